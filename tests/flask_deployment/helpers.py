"""Helpers for tests of the web form: a valid form's data, the CSRF token, a store in memory."""

from __future__ import annotations

import re
import threading
from typing import Any

from paris_housing.datasets import KAGGLE, Kind

TEST_SECRET_KEY = "test-secret-key-0123456789abcdef0123456789abcdef"

HOME = {
    "squareMeters": "120",
    "numberOfRooms": "4",
    "hasYard": "1",
    "floors": "2",
    "cityPartRange": "7",
    "made": "1998",
    "isNewBuilt": "",
    "hasStormProtector": "1",
}


def form_data(**overrides: str | None) -> dict[str, str]:
    """What a browser posts for a valid home: ``HOME`` and the spec's defaults for the rest.

    Unticked checkboxes are not sent; ``None`` leaves a field out.
    """
    data: dict[str, str] = {}
    for column in KAGGLE.features:
        value = HOME.get(column.name, str(int(column.default or 0)))
        if column.kind is Kind.BINARY:
            value = "1" if value in ("1", "y") else ""
        if value:
            data[column.name] = value
    for name, value in overrides.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def expected_inputs(data: dict[str, str]) -> dict[str, int]:
    """The typed inputs the form should make of ``data``."""
    return {c.name: int(data.get(c.name) or 0) for c in KAGGLE.features}


def csrf_token(html: str) -> str:
    """The CSRF token in a rendered form."""
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


class MemoryStore:
    """A store in memory with MongoDB's insert semantics, which can be switched off."""

    def __init__(self) -> None:
        self.documents: dict[str, dict[str, Any]] = {}
        self.inserts = 0
        self.finds = 0
        self.down = False
        self._lock = threading.Lock()

    def insert(self, document: dict[str, Any]) -> bool:
        """Like ``insert_one`` on ``_id``: False for a duplicate, ConnectionError when down."""
        with self._lock:
            self.inserts += 1
            if self.down:
                raise ConnectionError("store is down")
            if document["_id"] in self.documents:
                return False
            self.documents[document["_id"]] = document
            return True

    def find(self, request_id: str) -> dict[str, Any] | None:
        """Like ``find_one`` on ``_id``; ConnectionError when down."""
        with self._lock:
            self.finds += 1
            if self.down:
                raise ConnectionError("store is down")
            return self.documents.get(request_id)
