"""A durable local outbox: each submission is on disk before MongoDB is even tried.

One SQLite file (WAL, ``synchronous=FULL``: a committed row survives a crash or a power cut),
shared safely by every thread and every gunicorn worker of the app. A row waits in the outbox
until MongoDB holds its document, so a MongoDB outage delays submissions but never loses them.
A delivered row is kept for :data:`KEEP_DELIVERED_SECONDS` more (no longer waiting), so that a
submission's result page can be shown from here even while MongoDB is away.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from tenacity import retry, retry_if_exception, stop_after_delay, wait_random

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    request_id   TEXT PRIMARY KEY,
    document     TEXT NOT NULL,
    queued_at    REAL NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT,
    delivered_at REAL
)
"""
_INDEX = "CREATE INDEX IF NOT EXISTS outbox_delivered_at ON outbox (delivered_at)"
KEEP_DELIVERED_SECONDS = 3600.0
_DATETIME = "__datetime__"


@dataclass(frozen=True)
class Pending:
    """A document waiting for MongoDB."""

    request_id: str
    document: dict[str, Any]
    attempts: int


def _locked(error: BaseException) -> bool:
    return isinstance(error, sqlite3.OperationalError) and "locked" in str(error)


@retry(
    retry=retry_if_exception(_locked),
    wait=wait_random(0.01, 0.1),
    stop=stop_after_delay(30),
    reraise=True,
)
def _use_wal(path: Path) -> None:
    """Put the file in WAL mode (persistent: once for the file).

    SQLite takes an exclusive lock to switch the journal and answers "database is locked" at once,
    without waiting for its busy timeout, when another process holds the file: two workers that
    open a new outbox together (gevent workers boot within a millisecond of each other) made one
    of them fail to boot. So the switch is retried for a while.
    """
    with closing(sqlite3.connect(path, timeout=30, isolation_level=None)) as db:
        if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            db.execute("PRAGMA journal_mode=WAL")


class Outbox:
    """Submissions not yet confirmed by MongoDB, kept in a SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        _use_wal(path)
        with self._connect() as db:
            db.execute(_SCHEMA)
            columns = {row[1] for row in db.execute("PRAGMA table_info(outbox)")}
            if "delivered_at" not in columns:  # an outbox written before delivered rows stayed
                db.execute("ALTER TABLE outbox ADD COLUMN delivered_at REAL")
            db.execute(_INDEX)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A short-lived connection: one transaction, committed (and synced) on success."""
        with closing(sqlite3.connect(self.path, timeout=30, isolation_level=None)) as db:
            db.execute("PRAGMA synchronous=FULL")
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def add(self, document: dict[str, Any]) -> None:
        """Keep ``document`` (keyed by its ``_id``) until it is delivered; a second add of the
        same id changes nothing."""
        with self._connect() as db:
            db.execute(
                "INSERT OR IGNORE INTO outbox (request_id, document, queued_at) VALUES (?, ?, ?)",
                (document["_id"], encode(document), time.time()),
            )

    def pending(self, limit: int = 100) -> list[Pending]:
        """The oldest documents still waiting, at most ``limit``."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT request_id, document, attempts FROM outbox WHERE delivered_at IS NULL "
                "ORDER BY queued_at LIMIT ?",
                (limit,),
            ).fetchall()
        return [Pending(rid, decode(doc), attempts) for rid, doc, attempts in rows]

    def get(self, request_id: str) -> Pending | None:
        """The waiting document with this id, if any."""
        with self._connect() as db:
            row = db.execute(
                "SELECT request_id, document, attempts FROM outbox "
                "WHERE request_id = ? AND delivered_at IS NULL",
                (request_id,),
            ).fetchone()
        return None if row is None else Pending(row[0], decode(row[1]), row[2])

    def recent(self, request_id: str) -> dict[str, Any] | None:
        """The document with this id, waiting or delivered in the last
        :data:`KEEP_DELIVERED_SECONDS`, if any."""
        with self._connect() as db:
            row = db.execute(
                "SELECT document FROM outbox WHERE request_id = ?", (request_id,)
            ).fetchone()
        return None if row is None else decode(row[0])

    def delivered(self, request_id: str) -> None:
        """MongoDB holds the document: it no longer waits (and rows delivered long ago go)."""
        now = time.time()
        with self._connect() as db:
            db.execute(
                "UPDATE outbox SET delivered_at = ? WHERE request_id = ? AND delivered_at IS NULL",
                (now, request_id),
            )
            db.execute("DELETE FROM outbox WHERE delivered_at < ?", (now - KEEP_DELIVERED_SECONDS,))

    def failed(self, request_id: str, error: str) -> None:
        """Count a failed delivery and remember why (kept for the next try)."""
        with self._connect() as db:
            db.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE request_id = ?",
                (error[:500], request_id),
            )

    def count(self) -> int:
        """How many documents are waiting."""
        with self._connect() as db:
            return db.execute("SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL").fetchone()[
                0
            ]


def encode(document: dict[str, Any]) -> str:
    """JSON text of a document; datetimes are kept as tagged ISO strings."""
    return json.dumps(document, default=_tag, ensure_ascii=False, allow_nan=False)


def decode(text: str) -> dict[str, Any]:
    """The document :func:`encode` wrote, datetimes restored."""
    return json.loads(text, object_hook=_untag)


def _tag(value: Any) -> dict[str, str]:
    if isinstance(value, datetime):
        return {_DATETIME: value.isoformat()}
    raise TypeError(f"cannot store {type(value).__name__} in the outbox")


def _untag(obj: dict[str, Any]) -> Any:
    if len(obj) == 1 and _DATETIME in obj:
        return datetime.fromisoformat(obj[_DATETIME])
    return obj
