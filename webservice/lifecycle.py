"""Keep the alias's model in service: load it, watch the alias, swap atomically.

Requests read :attr:`ModelManager.model` once and use that object to the end, while a
background thread polls the registry and loads a new version beside the old one; the swap is
one reference assignment, so no request waits for a load and none sees half a model. When the
registry is unreachable or a new version fails to load, the current model keeps serving and the
cause is reported (``/ready``, ``/model``, metrics, log).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from webservice.served import ServedModel

log = logging.getLogger(__name__)


class ModelSource(Protocol):
    """Where the versions come from (the MLflow registry in production)."""

    name: str
    alias: str
    registry_uri: str

    def resolve(self) -> str | None:
        """The version the alias points to, None without one; raises when unreachable."""

    def load(self, version: str) -> ServedModel:
        """The version, loaded and ready to answer; raises when it cannot be."""


class Events(Protocol):
    """What the manager reports (the service's metrics)."""

    def swapped(self, old: ServedModel | None, new: ServedModel) -> None:
        """A model was put in service."""

    def load_failed(self) -> None:
        """A version could not be loaded."""

    def registry_failed(self) -> None:
        """The alias could not be checked."""


class ModelManager:  # pylint: disable=too-many-instance-attributes
    """The model in service, kept in line with the alias by a polling thread."""

    def __init__(
        self,
        source: ModelSource,
        poll_seconds: float,
        retry_seconds: float,
        events: Events | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.poll_seconds = poll_seconds
        self.retry_seconds = retry_seconds
        self.events = events
        self.clock = clock
        self.model: ServedModel | None = None
        self.reason = f"loading the model {source.name!r} (alias {source.alias!r})"
        self.registry_error: str | None = None
        self.last_checked_at: datetime | None = None
        self._failed: tuple[str, float] | None = None  # (version, when it may be tried again)
        self._stop = threading.Event()
        self._first_check = threading.Event()
        self._thread: threading.Thread | None = None

    def check(self) -> bool:
        """Look where the alias points and serve that version; True when a model was swapped in."""
        source = self.source
        try:
            version = source.resolve()
        except Exception as exc:  # pylint: disable=broad-exception-caught
            self.registry_error = f"cannot check the alias in {source.registry_uri}: {_say(exc)}"
            log.warning("%s", self.registry_error)
            if self.events:
                self.events.registry_failed()
            if self.model is None:
                self.reason = self.registry_error
            return False
        finally:
            self.last_checked_at = datetime.now(UTC)
        self.registry_error = None
        if version is None:
            if self.model is None:
                self.reason = (
                    f"no version of the model {source.name!r} has the alias {source.alias!r} "
                    f"in {source.registry_uri}: train and promote one (paris-housing train)"
                )
            else:
                log.warning(
                    "the alias %r of %r points nowhere now; still serving version %s",
                    source.alias,
                    source.name,
                    self.model.version,
                )
            return False
        if self.model is not None and self.model.version == version:
            return False
        if self._failed and self._failed[0] == version and self.clock() < self._failed[1]:
            return False
        return self._load(version)

    def _load(self, version: str) -> bool:
        try:
            new = self.source.load(version)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            self._failed = (version, self.clock() + self.retry_seconds)
            message = f"cannot load version {version} of {self.source.name!r}: {_say(exc)}"
            log.error("%s", message, exc_info=True)
            if self.events:
                self.events.load_failed()
            if self.model is None:
                self.reason = message
            return False
        old, self.model = self.model, new  # the swap: one assignment
        self._failed = None
        self.reason = ""
        log.info(
            "serving %s version %s (%s predictor, loaded in %.1f s)",
            new.name,
            new.version,
            new.predictor.kind,
            new.load_seconds,
        )
        if self.events:
            self.events.swapped(old, new)
        return True

    def start(self) -> None:
        """Check now, then every ``poll_seconds``, in a daemon thread."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="model-watcher", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                self.check()
            except Exception:  # pylint: disable=broad-exception-caught
                log.exception("the model watcher failed; it goes on")
            self._first_check.set()
            if self._stop.wait(self.poll_seconds):
                return

    def wait_first_check(self, timeout: float) -> bool:
        """Block until the first check is done (True) or ``timeout`` seconds passed (False)."""
        return self._first_check.wait(timeout)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop polling."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)


def _say(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")
