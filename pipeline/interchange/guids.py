"""Deterministic GUIDs for REFI-QDA exports.

A GUID is a UUID version 5 of a fixed namespace and a stable key such as
``code:<codebook name>:<code id>``, so exporting the same study twice gives the same
GUIDs and, with sorted output, byte-identical files. GUIDs that came in with an import
are remembered in the store's ``meta`` table and reused on export, so an object keeps
its identity across a round trip through another tool.
"""

from __future__ import annotations

import sqlite3
import uuid

__all__ = ["NAMESPACE", "guid", "GuidBook", "remember"]

# Fixed once; changing it would change every exported GUID.
NAMESPACE = uuid.UUID("6f1c2b0e-5d7a-4c1e-9a43-2f0d8e7b6a51")
_META_PREFIX = "refi.guid."


def guid(kind: str, *key: str) -> str:
    """The GUID of an object of ``kind`` named by ``key`` (lower-case, hyphenated)."""
    return str(uuid.uuid5(NAMESPACE, "\0".join((kind, *key))))


class GuidBook:
    """GUIDs for one export: remembered ones first, else deterministic; never reused twice."""

    def __init__(self, remembered: dict[str, str] | None = None) -> None:
        self.remembered = dict(remembered or {})
        self._assigned: dict[str, str] = {}
        self._used: set[str] = set()

    @classmethod
    def from_store(cls, conn: sqlite3.Connection) -> "GuidBook":
        rows = conn.execute("SELECT key, value FROM meta WHERE key LIKE ?", (_META_PREFIX + "%",)).fetchall()
        return cls({str(r[0])[len(_META_PREFIX):]: str(r[1]) for r in rows})

    def get(self, kind: str, *key: str) -> str:
        name = memo_key(kind, *key)
        if name in self._assigned:
            return self._assigned[name]
        known = self.remembered.get(name)
        value = known if known and known.lower() not in self._used else guid(kind, *key)
        self._assigned[name] = value
        self._used.add(value.lower())
        return value


def memo_key(kind: str, *key: str) -> str:
    return "|".join((kind, *key))


def remember(conn: sqlite3.Connection, kind: str, key: tuple[str, ...], value: str) -> None:
    """Keep an imported GUID for later exports (inside a transaction)."""
    conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (_META_PREFIX + memo_key(kind, *key), value))
