"""Outbox first, MongoDB second: how a submission reaches MongoDB exactly once.

:meth:`Relay.submit` commits the document to the local outbox before anything else, then tries
MongoDB once unless MongoDB was just found down. A background thread drains the outbox: every
``retry_seconds`` while documents wait, and at once when a request wakes it. The insert is keyed
by the request id, so a retry after a lost acknowledgement finds the document already there
instead of writing it twice. :meth:`Relay.find` reads a submission back wherever it is: the outbox
while it waits there, else MongoDB.

A document leaves the outbox only once it has been *read back* from the store by its id: neither
an acknowledged insert nor a duplicate-key answer is taken as proof, since a server (the
``nx-27017`` stand-in, or a primary that steps down before replicating) can acknowledge a write it
then loses, and ``nx-27017`` reports any SQLite integrity error as a duplicate key. The check
costs one ``find_one`` on ``_id`` per delivery; see ``flask_deployment/README.md`` for its
measured cost.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Protocol

from flask_deployment.outbox import Outbox

log = logging.getLogger(__name__)


class Store(Protocol):
    """Where documents end up (MongoDB in production)."""

    def insert(self, document: dict[str, Any]) -> bool:
        """Write once; False if it was already there; raise on failure."""

    def find(self, request_id: str) -> dict[str, Any] | None:
        """The document with this ``_id``, or None; raise on failure."""


class StoreUnreachable(Exception):
    """A submission could not be looked up: it is not in the outbox and the store failed."""


class Relay:
    """Moves submissions from the outbox to the store, in the request and in the background."""

    def __init__(
        self,
        outbox: Outbox,
        store: Store,
        retry_seconds: float,
        errors: tuple[type[BaseException], ...],
    ) -> None:
        self.outbox = outbox
        self.store = store
        self.retry_seconds = retry_seconds
        self._errors = errors
        self._store_up = True
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._drain_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def store_up(self) -> bool:
        """Whether the last write to the store succeeded."""
        return self._store_up

    def submit(self, document: dict[str, Any]) -> bool:
        """Keep ``document`` durably, then try to deliver it; True if the store has it now."""
        self.outbox.add(document)
        delivered = self._store_up and self._deliver(document["_id"], document)
        self._wake.set()
        return delivered

    def find(self, request_id: str) -> dict[str, Any] | None:
        """The submission with this request id: from the outbox while it waits there or was
        delivered recently, else from the store (a document leaves the outbox only once the
        store has it, so it is always in one of them); None if neither has it,
        :class:`StoreUnreachable` if the store fails."""
        document = self.outbox.recent(request_id)
        if document is not None:
            return document
        try:
            return self.store.find(request_id)
        except self._errors as exc:
            raise StoreUnreachable(f"submission {request_id} cannot be read: {exc}") from exc

    def drain(self) -> int:
        """Deliver what waits, oldest first, until the outbox is empty or the store fails.

        Returns how many documents were delivered.
        """
        done = 0
        with self._drain_lock:
            while not self._stop.is_set():
                batch = self.outbox.pending()
                if not batch:
                    break
                for item in batch:
                    if not self._deliver(item.request_id, item.document):
                        return done
                    done += 1
        return done

    def _deliver(self, request_id: str, document: dict[str, Any]) -> bool:
        """Insert, then read back by id; only a document read back leaves the outbox."""
        try:
            new = self.store.insert(document)
            stored = self.store.find(request_id)
        except self._errors as exc:
            return self._failed(request_id, f"MongoDB write failed, kept in the outbox: {exc}")
        if stored is None:
            answer = "inserted it" if new else "said it already held it"
            return self._failed(
                request_id,
                f"MongoDB {answer} but submission {request_id} cannot be read back: "
                "kept in the outbox",
            )
        if not new:
            log.info("submission %s was already in MongoDB", request_id)
        if not self._store_up:
            log.warning("MongoDB is back: delivering the outbox")
        self._store_up = True
        self.outbox.delivered(request_id)
        return True

    def _failed(self, request_id: str, error: str) -> bool:
        """Keep the document waiting (its error counted) and stop direct tries until one works."""
        if self._store_up:
            log.warning("%s", error)
        self._store_up = False
        self.outbox.failed(request_id, error)
        return False

    def wake(self) -> None:
        """Ask the drainer to try now (cheap; called on every request)."""
        self._wake.set()

    def start(self) -> None:
        """Start the background drainer (a daemon thread; idempotent)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="outbox-drainer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.drain()
            except Exception:  # pylint: disable=broad-exception-caught
                log.exception("outbox drain failed; retrying in %.1fs", self.retry_seconds)
            self._wake.wait(self.retry_seconds)
            self._wake.clear()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the drainer thread (what waits stays in the outbox)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
