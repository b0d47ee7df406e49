"""The append-only decision log: what a batch of decisions adds to it.

Shared by `confirm` (workbooks) and `import-decisions` (CSV). Call the writing functions
inside ``Store.transaction()``; one import is one transaction.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Sequence

__all__ = ["Decision", "Planned", "imported_before", "insert_import", "reconcile", "plan", "write_decision", "write_all"]

POSITIVE = ("accepted", "added")
IMPLIED_BY_NOTHING = "(implied: no code applies)"
IMPLIED_BY_CODE = "(implied: a code was applied)"


@dataclass(frozen=True)
class Decision:
    segment_id: str
    code_id: str | None  # None with verdict 'none': no code applies
    verdict: str  # accepted | rejected | added | none
    memo: str = ""
    suggestion_id: str | None = None


@dataclass(frozen=True)
class Planned:
    writes: tuple[Decision, ...]
    unchanged: int

    @property
    def counts(self) -> dict[str, int]:
        return dict(Counter(d.verdict for d in self.writes))


def reconcile(found: Sequence[Decision]) -> frozenset[Decision]:
    """One decision per code of one segment; raises ValueError on a contradiction.

    Repeating a choice is fine (a suggested code also picked under Add code counts once,
    as accepted); accepting and rejecting the same code, or applying a code and saying
    no code applies, is not.
    """
    by_code: dict[str | None, Decision] = {}
    for d in found:
        earlier = by_code.get(d.code_id)
        if earlier is None or (earlier.verdict == "added" and d.verdict == "accepted"):
            by_code[d.code_id] = d
        elif earlier.verdict == d.verdict or (earlier.verdict, d.verdict) == ("accepted", "added"):
            continue
        else:
            what = "'no code applies'" if d.code_id is None else f"code '{d.code_id}'"
            raise ValueError(f"{what} is both {earlier.verdict} and {d.verdict} (accept and reject for the "
                             f"same suggestion); keep one of the two")
    positive = [d for d in by_code.values() if d.verdict in POSITIVE]
    nothing = by_code.get(None)
    if positive and nothing is not None and nothing.verdict == "none":
        raise ValueError(f"'no code applies' contradicts the accepted/added code '{positive[0].code_id}'; "
                         f"clear one of them")
    return frozenset(by_code.values())


def imported_before(conn: sqlite3.Connection, kind: str, file_hash: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM imports WHERE kind = ? AND file_hash = ?", (kind, file_hash)).fetchone()


def insert_import(conn: sqlite3.Connection, kind: str, workbook_id: str | None, file_hash: str, path: str) -> int:
    cursor = conn.execute("INSERT INTO imports(kind, workbook_id, file_hash, path) VALUES (?,?,?,?)",
                          (kind, workbook_id, file_hash, path))
    return int(cursor.lastrowid)


def plan(conn: sqlite3.Connection, coder: str, workbook_id: str | None, decisions: Sequence[Decision]) -> Planned:
    """The rows to append so the coder's current decisions become ``decisions``.

    A decision identical to the coder's current one from the same workbook (a workbook
    confirmed again after more rows were filled in) is not repeated. Applying a code
    retires an earlier 'no code applies' of that segment, and 'no code applies' retires
    earlier applied codes, each with a 'rejected' row that says why: the log only grows.
    """
    segments = sorted({d.segment_id for d in decisions})
    current = _current(conn, coder, segments)
    by_segment: dict[str, list[Decision]] = {}
    for d in decisions:
        by_segment.setdefault(d.segment_id, []).append(d)
    writes, unchanged = [], 0
    for segment, new in by_segment.items():
        for d in new + _implied(segment, new, current):
            now = current.get((segment, d.code_id))
            if now is not None and now["workbook_id"] == workbook_id and (now["verdict"], now["memo"]) == (d.verdict, d.memo):
                unchanged += 1
                continue
            writes.append(d)
    return Planned(tuple(writes), unchanged)


def _implied(segment: str, new: list[Decision], current: dict[tuple[str, str | None], sqlite3.Row]) -> list[Decision]:
    codes = {d.code_id for d in new}
    implied = []
    if any(d.verdict == "none" for d in new):
        for (seg, code), row in current.items():
            if seg == segment and code is not None and code not in codes and row["verdict"] in POSITIVE:
                implied.append(Decision(segment, code, "rejected", IMPLIED_BY_NOTHING))
    elif any(d.verdict in POSITIVE for d in new):
        row = current.get((segment, None))
        if row is not None and row["verdict"] == "none":
            implied.append(Decision(segment, None, "rejected", IMPLIED_BY_CODE))
    return implied


def _current(conn: sqlite3.Connection, coder: str, segments: Sequence[str]) -> dict[tuple[str, str | None], sqlite3.Row]:
    out = {}
    for start in range(0, len(segments), 500):  # SQLite caps the number of bound parameters
        chunk = segments[start:start + 500]
        rows = conn.execute(
            f"SELECT * FROM current_decisions WHERE coder = ? AND segment_id IN ({','.join('?' * len(chunk))})",
            [coder, *chunk])
        for row in rows:
            out[(row["segment_id"], row["code_id"])] = row
    return out


def write_decision(conn: sqlite3.Connection, import_id: int, coder: str, workbook_id: str | None,
                   codebook_version: str, decision: Decision) -> None:
    conn.execute(
        "INSERT INTO decisions(coder, import_id, workbook_id, segment_id, code_id, codebook_version,"
        " verdict, memo, suggestion_id) VALUES (?,?,?,?,?,?,?,?,?)",
        (coder, import_id, workbook_id, decision.segment_id, decision.code_id, codebook_version,
         decision.verdict, decision.memo, decision.suggestion_id),
    )


def write_all(conn: sqlite3.Connection, import_id: int, coder: str, workbook_id: str | None,
              codebook_version: str, decisions: Iterable[Decision]) -> None:
    for decision in decisions:
        write_decision(conn, import_id, coder, workbook_id, codebook_version, decision)
