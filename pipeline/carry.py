"""Carry coders' decisions onto the current segments of the same text (issue 15).

A document's segments change when it is re-segmented (another unit or length limits) or
when a changed file is ingested as a new version. The decisions on the old segments are
not moved (the log is append-only): each current decision is *carried*, written again on
the current segments that hold the same text, as a new row whose ``carried_from`` names
the row it came from.

Where a decision lands (``current_targets``):
- the old segment is still current: on itself;
- same document, another segmentation: on every current segment that overlaps its
  character offsets (a sentence lands on the paragraph containing it, a paragraph on the
  sentences it overlaps);
- an older version of the document: its text is looked up in the current version (the
  occurrence nearest its old relative position) and then as above; text that is no longer
  there cannot be carried and is reported.
A decision that was itself carried goes back to its original segment when that segment
is current again, so cutting sentences -> paragraphs -> sentences restores the coding.

When several decisions of one coder land on one segment, an applied code wins over a
rejection of that code and over 'no code applies' (some of the text has the code); the
decisions that lose are reported as not carried, with the reason.

Call the writing functions inside ``Store.transaction()``.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from typing import Iterable, Sequence

from pipeline.store import to_json

__all__ = ["CarryReport", "Target", "current_targets", "carry_decisions", "segments_of", "combine", "describe", "write_carried", "KIND", "POSITIVE"]

KIND = "carry"
POSITIVE = ("accepted", "added")
MAX_OCCURRENCES = 10_000  # bounded search for a segment's text in a new version


@dataclass(frozen=True)
class CarryReport:
    """carried: ids of the decisions carried; written: new rows; not_carried: (id, reason)."""

    carried: tuple[int, ...] = ()
    written: int = 0
    not_carried: tuple[tuple[int, str], ...] = ()

    def __add__(self, other: "CarryReport") -> "CarryReport":
        return CarryReport(self.carried + other.carried, self.written + other.written,
                           self.not_carried + other.not_carried)


@dataclass(frozen=True)
class Target:
    """Where a segment's decisions belong now: current segment ids, or why nowhere."""

    segments: tuple[str, ...]
    reason: str = ""


@dataclass(frozen=True)
class _Pending:
    source_id: int | None  # the decision carried (None: written by the caller, e.g. confirm)
    coder: str
    segment_id: str
    code_id: str | None
    verdict: str
    memo: str
    workbook_id: str | None
    codebook_version: str
    suggestion_id: str | None = None


def segments_of(conn: sqlite3.Connection, document_id: str, segmentation_id: str) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT id FROM segments WHERE document_id = ? AND segmentation_id = ? ORDER BY seq",
        (document_id, segmentation_id))]


def current_targets(conn: sqlite3.Connection, segment_id: str, cache: dict | None = None) -> Target:
    """The current segments that now hold ``segment_id``'s text (see the module docstring)."""
    cache = {} if cache is None else cache
    seg = conn.execute("SELECT s.id, s.document_id, s.start, s.end, s.text, d.source_key FROM segments s"
                       " JOIN documents d ON d.id = s.document_id WHERE s.id = ?", (segment_id,)).fetchone()
    if seg is None:
        return Target((), "the segment is not in this study")
    current = _current_doc(conn, seg["source_key"], cache)
    if current is None:
        return Target((), "its document is no longer in the study")
    spans = _current_spans(conn, current["id"], cache)
    if any(s == segment_id for s, _, _ in spans):
        return Target((segment_id,))
    start, end = seg["start"], seg["end"]
    if current["id"] != seg["document_id"]:
        found = _locate(conn, seg, current, cache)
        if found is None:
            return Target((), "its text changed in the new version of the document")
        start, end = found
    hits = tuple(s for s, a, b in spans if a < end and b > start)
    return Target(hits) if hits else Target((), "no current segment covers its text")


def carry_decisions(conn: sqlite3.Connection, segment_ids: Iterable[str], what: str) -> CarryReport:
    """Carry every current decision on ``segment_ids`` that is not on a current segment."""
    ids = list(dict.fromkeys(segment_ids))
    rows = []
    for start in range(0, len(ids), 500):  # SQLite caps bound parameters
        chunk = ids[start:start + 500]
        rows += conn.execute(f"SELECT * FROM current_decisions WHERE segment_id IN ({','.join('?' * len(chunk))})"
                             " ORDER BY id", chunk).fetchall()
    cache: dict = {}
    pending: list[_Pending] = []
    failed: list[tuple[int, str]] = []
    for row in rows:
        target = _target_of(conn, row, cache)
        if target.segments == (row["segment_id"],):
            continue  # still current: nothing to carry
        if not target.segments:
            failed.append((int(row["id"]), target.reason))
        for seg in target.segments:
            pending.append(_Pending(int(row["id"]), row["coder"], seg, row["code_id"], row["verdict"], row["memo"],
                                    row["workbook_id"], row["codebook_version"]))
    kept, dropped = combine(pending)
    written = write_carried(conn, kept, what)
    lost_here = {id(p) for p, _ in dropped}
    # A decision is carried when it holds on at least one of its targets.
    carried = sorted({p.source_id for p in pending if id(p) not in lost_here and p.source_id is not None})
    lost: dict[int, str] = {}
    for p, reason in dropped:
        if p.source_id is not None and p.source_id not in carried:
            lost.setdefault(p.source_id, reason)
    return CarryReport(tuple(carried), written, tuple(failed) + tuple(sorted(lost.items())))


def combine(pending: Sequence[_Pending]) -> tuple[list[_Pending], list[tuple[_Pending, str]]]:
    """One decision per (coder, segment, code); applied codes win (see the module docstring)."""
    groups: dict[tuple[str, str, str | None], list[_Pending]] = {}
    for p in pending:
        groups.setdefault((p.coder, p.segment_id, p.code_id), []).append(p)
    applied = {(c, s) for (c, s, code), ps in groups.items() if code is not None
               and any(p.verdict in POSITIVE for p in ps)}
    kept, dropped = [], []
    for (coder, seg, code), ps in groups.items():
        if code is None and (coder, seg) in applied and any(p.verdict == "none" for p in ps):
            dropped += [(p, "a code was applied to overlapping text, which contradicts 'no code applies'")
                        for p in ps if p.verdict == "none"]
            continue
        best = max(ps, key=lambda p: (p.verdict in POSITIVE, p.source_id or 0))
        kept.append(best)
        dropped += [(p, "the same code was applied to overlapping text") for p in ps
                    if p is not best and p.verdict != best.verdict]
    return kept, dropped


def write_carried(conn: sqlite3.Connection, kept: Sequence[_Pending], what: str) -> int:
    """Append the decisions that change a coder's current one; one import row says why."""
    writes = []
    for p in kept:
        now = conn.execute("SELECT verdict, memo FROM current_decisions WHERE coder = ? AND segment_id = ?"
                           " AND COALESCE(code_id, '') = COALESCE(?, '')", (p.coder, p.segment_id, p.code_id)).fetchone()
        if now is not None and (now["verdict"], now["memo"]) == (p.verdict, p.memo):
            continue
        writes.append(p)
        writes += _implied(conn, p)
    if not writes:
        return 0
    last = conn.execute("SELECT COALESCE(MAX(id), 0) FROM decisions").fetchone()[0]
    digest = to_json([what, last, [(w.source_id, w.segment_id, w.code_id) for w in writes]])
    cursor = conn.execute("INSERT INTO imports(kind, workbook_id, file_hash, path) VALUES (?,?,?,?)",
                          (KIND, None, hashlib.sha256(digest.encode()).hexdigest(), what))
    for w in writes:
        conn.execute(
            "INSERT INTO decisions(coder, import_id, workbook_id, segment_id, code_id, codebook_version, verdict,"
            " memo, suggestion_id, carried_from) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (w.coder, cursor.lastrowid, w.workbook_id, w.segment_id, w.code_id, w.codebook_version, w.verdict,
             w.memo, w.suggestion_id, w.source_id))
    return len(writes)


def _implied(conn: sqlite3.Connection, p: _Pending) -> list[_Pending]:
    """An applied code retires the coder's 'no code applies' on that segment (as in review.log)."""
    if p.verdict not in POSITIVE:
        return []
    now = conn.execute("SELECT verdict FROM current_decisions WHERE coder = ? AND segment_id = ? AND code_id IS NULL",
                       (p.coder, p.segment_id)).fetchone()
    if now is None or now["verdict"] != "none":
        return []
    return [_Pending(None, p.coder, p.segment_id, None, "rejected", "(implied: a code was carried here)",
                     p.workbook_id, p.codebook_version)]


def _target_of(conn: sqlite3.Connection, row: sqlite3.Row, cache: dict) -> Target:
    """A carried decision goes back to its original segment when that one is current again."""
    origin = _origin(conn, row)
    if origin is not None and origin != row["segment_id"]:
        back = current_targets(conn, origin, cache)
        if back.segments == (origin,):
            return back
    return current_targets(conn, row["segment_id"], cache)


def _origin(conn: sqlite3.Connection, row: sqlite3.Row) -> str | None:
    seen = 0
    while row["carried_from"] is not None and seen < 100:  # bounded: a chain per re-segmentation
        row = conn.execute("SELECT segment_id, carried_from FROM decisions WHERE id = ?", (row["carried_from"],)).fetchone()
        seen += 1
    return None if row is None else row["segment_id"]


def _current_doc(conn: sqlite3.Connection, source_key: str, cache: dict) -> sqlite3.Row | None:
    key = ("doc", source_key)
    if key not in cache:
        cache[key] = conn.execute("SELECT id, text FROM current_documents WHERE source_key = ?", (source_key,)).fetchone()
    return cache[key]


def _current_spans(conn: sqlite3.Connection, document_id: str, cache: dict) -> list[tuple[str, int, int]]:
    key = ("spans", document_id)
    if key not in cache:
        cache[key] = [(r[0], r[1], r[2]) for r in conn.execute(
            "SELECT id, start, end FROM current_segments WHERE document_id = ? ORDER BY seq", (document_id,))]
    return cache[key]


def _locate(conn: sqlite3.Connection, seg: sqlite3.Row, current: sqlite3.Row, cache: dict) -> tuple[int, int] | None:
    """Offsets of the segment's text in the current version: the occurrence nearest its old place."""
    key = ("len", seg["document_id"])
    if key not in cache:
        cache[key] = conn.execute("SELECT length(text) FROM documents WHERE id = ?", (seg["document_id"],)).fetchone()[0]
    old_len = cache[key] or 1
    new_text: str = current["text"]
    needle: str = seg["text"]
    if not needle:
        return None
    expected = seg["start"] * len(new_text) / old_len
    best, at, found = None, new_text.find(needle), 0
    while at != -1 and found < MAX_OCCURRENCES:
        if best is None or abs(at - expected) < abs(best - expected):
            best = at
        at, found = new_text.find(needle, at + 1), found + 1
    return None if best is None else (best, best + len(needle))


def describe(report: CarryReport, limit: int = 10) -> list[str]:
    """Lines for a command to print: counts, then the decisions not carried, with ids."""
    lines = [f"carried {len(report.carried)} decision(s) to the new segments ({report.written} new rows); "
             f"could not carry {len(report.not_carried)}"]
    for decision_id, reason in report.not_carried[:limit]:
        lines.append(f"  decision {decision_id}: not carried: {reason}; it stays in the log "
                     f"(`deductive decisions --history`)")
    if len(report.not_carried) > limit:
        lines.append(f"  ... and {len(report.not_carried) - limit} more")
    return lines
