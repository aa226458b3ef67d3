"""The prediction log: every prediction, written in batches by a background thread.

A request only appends a tuple to a bounded in-memory queue (about a microsecond); a writer
thread takes queued predictions in batches, has the store prepare each batch (MongoDB
documents, or a Parquet object for the bucket) and writes it. When the store is down, the
writer keeps the prepared batches and retries them, in order, with a growing pause; when more
than ``max_pending`` predictions are waiting, new ones are dropped and counted rather than
letting memory grow or a request wait.

Every prediction becomes one record (see :mod:`webservice.sinks` for the stores)::

    request_id, row (index in its request), timestamp (UTC), endpoint, dataset, model_name,
    model_version, <one field per feature of the spec>, price, currency
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Sequence
from typing import Any, Protocol

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 30.0
# request_id, row, unix time, endpoint, model version, feature values, price
Entry = tuple[str, int, float, str, str, Sequence[float], float]


class Sink(Protocol):
    """A store of predictions."""

    description: str

    def prepare(self, entries: list[Entry]) -> Any:
        """The entries as one batch the store takes (converted once, however many retries)."""

    def write(self, batch: Any) -> None:
        """Write a prepared batch, all of it, or raise."""

    def close(self) -> None:
        """Release connections."""


class LogEvents(Protocol):
    """What the writer reports (the service's metrics)."""

    def pending(self, count: int) -> None:
        """Predictions waiting to be written."""

    def written(self, count: int) -> None:
        """Predictions written."""

    def dropped(self, count: int) -> None:
        """Predictions dropped because too many were pending."""

    def write_failed(self) -> None:
        """A write failed; it will be retried."""


class PredictionLog:  # pylint: disable=too-many-instance-attributes
    """Queue predictions without blocking; write them in batches from a thread."""

    def __init__(
        self,
        sink: Sink,
        batch_rows: int,
        flush_seconds: float,
        max_pending: int,
        events: LogEvents | None = None,
    ) -> None:
        self.sink = sink
        self.batch_rows = batch_rows
        self.flush_seconds = flush_seconds
        self.max_pending = max_pending
        self.events = events
        self._queue: deque[Entry] = deque()
        self._unsent: deque[tuple[int, Any]] = deque()  # (rows, prepared batch): writer only
        self._unsent_rows = 0  # written by the writer only
        self._dropped = 0  # incremented by requests only
        self._dropped_reported = 0  # advanced by the writer only
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None

    @property
    def pending(self) -> int:
        """Predictions not written yet."""
        return len(self._queue) + self._unsent_rows

    def submit(
        self,
        request_id: str,
        endpoint: str,
        model_version: str,
        values: Sequence[float],
        price: float,
    ) -> None:
        """Queue one prediction; never blocks (drops it when too many are pending)."""
        queue = self._queue
        if len(queue) + self._unsent_rows >= self.max_pending:
            self._dropped += 1
            return
        queue.append((request_id, 0, time.time(), endpoint, model_version, values, price))
        if len(queue) == self.batch_rows:
            self._wake.set()

    def submit_many(
        self,
        request_id: str,
        endpoint: str,
        model_version: str,
        rows: Sequence[Sequence[float]],
        prices: Sequence[float],
    ) -> None:
        """Queue the predictions of one batch request (those beyond the bound are dropped)."""
        room = max(self.max_pending - self.pending, 0)
        if room < len(rows):
            self._dropped += len(rows) - room
        now = time.time()
        self._queue.extend(
            (request_id, i, now, endpoint, model_version, values, price)
            for i, (values, price) in enumerate(zip(rows[:room], prices))
        )
        if len(self._queue) >= self.batch_rows:
            self._wake.set()

    def start(self) -> None:
        """Start the writer thread."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="prediction-log", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Write what is pending (one last attempt), then stop the writer."""
        self._stopping = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self.sink.close()

    def _run(self) -> None:
        failures = 0
        while True:
            pause = self.flush_seconds if failures == 0 else _backoff(failures, self.flush_seconds)
            self._wake.wait(pause)
            self._wake.clear()
            stopping = self._stopping
            try:
                failures = 0 if self.flush() else failures + 1
            except Exception:  # pylint: disable=broad-exception-caught
                log.exception("the prediction log's writer failed; it goes on")
                failures += 1
            if stopping:
                if self.pending:
                    log.error(
                        "stopping with %d predictions not written to %s: %s",
                        self.pending,
                        self.sink.description,
                        self.last_error,
                    )
                return

    def flush(self) -> bool:
        """Prepare and write what is pending now, batch by batch; False at the first failure."""
        try:
            for _ in range(len(self._queue) // self.batch_rows + 1):
                self._prepare_batch()
            while self._unsent:
                rows, batch = self._unsent[0]
                try:
                    self.sink.write(batch)
                except Exception as exc:  # pylint: disable=broad-exception-caught
                    self.last_error = f"{type(exc).__name__}: {exc}"
                    log.warning(
                        "cannot write %d predictions to %s (%d pending, will retry): %s",
                        rows,
                        self.sink.description,
                        self.pending,
                        self.last_error,
                    )
                    if self.events:
                        self.events.write_failed()
                    return False
                self._unsent.popleft()
                self._unsent_rows -= rows
                self.last_error = None
                if self.events:
                    self.events.written(rows)
            return True
        finally:
            self._report()

    def _prepare_batch(self) -> None:
        """Move up to one batch of queued entries to the prepared, unsent batches."""
        queue = self._queue
        count = min(len(queue), self.batch_rows)
        if count:
            entries = [queue.popleft() for _ in range(count)]
            try:
                batch = self.sink.prepare(entries)
            except Exception:  # pylint: disable=broad-exception-caught
                log.exception(
                    "cannot prepare %d predictions for %s: dropped", count, self.sink.description
                )
                self._dropped += count
                return
            self._unsent.append((count, batch))
            self._unsent_rows += count

    def _report(self) -> None:
        if self.events is None:
            return
        dropped = self._dropped - self._dropped_reported
        if dropped:
            self._dropped_reported += dropped
            self.events.dropped(dropped)
        self.events.pending(self.pending)


def _backoff(failures: int, base: float) -> float:
    return min(base * 2 ** min(failures, 10), MAX_BACKOFF_SECONDS)
