"""The submissions collection in MongoDB: indexes, and an insert that is safe to repeat.

Every call is bounded by ``mongodb_timeout_ms`` so that a slow or stopped server costs a request
at most that long; what could not be written stays in the outbox (:mod:`flask_deployment.relay`).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from pymongo import ASCENDING, MongoClient
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError, PyMongoError

from paris_housing.settings import Settings

log = logging.getLogger(__name__)

StoreError = PyMongoError


def mongodb_uri(settings: Settings) -> str:
    """``MONGODB_URI``, or the embedded MongoDB-wire server's address on loopback."""
    if settings.mongodb_uri is not None:
        return settings.mongodb_uri.get_secret_value()
    return f"mongodb://127.0.0.1:{settings.mongodb_embedded_port}"


class SubmissionStore:
    """The MongoDB collection that holds the submissions."""

    def __init__(self, uri: str, database: str, collection: str, timeout_ms: int) -> None:
        self._client: MongoClient = MongoClient(
            uri,
            serverSelectionTimeoutMS=timeout_ms,
            connectTimeoutMS=timeout_ms,
            socketTimeoutMS=timeout_ms,
            appname="paris-housing-web",
            tz_aware=True,
        )
        self._collection: Collection = self._client[database][collection]
        self._indexed = False
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> SubmissionStore:
        """The store named by the settings."""
        return cls(
            mongodb_uri(settings),
            settings.mongodb_database,
            settings.mongodb_collection,
            settings.mongodb_timeout_ms,
        )

    @property
    def collection(self) -> Collection:
        """The underlying collection (for reads and tests)."""
        return self._collection

    def ensure_indexes(self) -> None:
        """An index on time, and a unique one on the request id (both idempotent)."""
        with self._lock:
            if self._indexed:
                return
            self._collection.create_index([("created_at", ASCENDING)], name="created_at")
            self._collection.create_index(
                [("request_id", ASCENDING)], name="request_id_unique", unique=True
            )
            self._indexed = True

    def insert(self, document: dict[str, Any]) -> bool:
        """Write ``document`` once; True if it was new, False if MongoDB already had it.

        Raises :data:`StoreError` when MongoDB cannot be reached or refuses the write.
        """
        self.ensure_indexes()
        try:
            self._collection.insert_one(dict(document))
        except DuplicateKeyError:
            return False
        return True

    def find(self, request_id: str) -> dict[str, Any] | None:
        """The submission with this request id, or None; raises :data:`StoreError`."""
        return self._collection.find_one({"_id": request_id})

    def close(self) -> None:
        """Close the client's connections."""
        self._client.close()
