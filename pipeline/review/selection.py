"""Which segments and suggestions go into a coder's queue (SQL only, no spreadsheet)."""

from __future__ import annotations

import dataclasses
import heapq
import json
import random
import sqlite3
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterator, Sequence

from pipeline.codebook import Codebook
from pipeline.errors import ConfigError
from pipeline.review.layout import NO_CODE_LABEL, text_fingerprint

if TYPE_CHECKING:
    from pipeline.suggest.scope import RoleMap

__all__ = ["QueueOptions", "Suggested", "QueueItem", "Selection", "select", "select_items", "split_overlap",
           "describe_left_out"]

ORDERS = ("document", "score", "uncertainty")
UNTRUSTED_MARK = " (untrusted)"
# Why a segment in scope (the study, or --cases) was not queued; counted and reported.
DECIDED = "already decided by this coder"
QUEUED_BEFORE = "already sent to this coder and not decided yet (--requeue sends them again)"
NOT_CHOSEN_CODES = "without a suggestion of the chosen --codes"
NO_CODE_SUGGESTED = "without a suggested code (left out by --only-suggested)"
OVER_LIMIT = "beyond --limit"
OUT_OF_SCOPE = "spoken by a role no code applies to (e.g. the interviewer)"
# Uncertainty sampling compares each pick with the ones before it: rank at most this many.
MAX_UNCERTAINTY_RANKED = 500


@dataclass(frozen=True)
class QueueOptions:
    """What to queue for one coder (and, with ``overlap``, for a second one).

    cases/codes: only these cases / these codes and their sub-codes. order: "document"
    (case, document, position), "score" (best suggestion first) or "uncertainty" (the
    segments whose confirmation teaches the learned suggester most; see
    pipeline.suggest.training.uncertainty_ranking). include_uncoded: segments for which
    no code was suggested are queued too (the default, None or True: every segment in scope
    reaches a coder, who can add codes); False queues only segments with a suggested code.
    With ``codes``, only segments with a suggestion of those codes are in scope. requeue: also
    queue segments sent to this coder before but never decided. overlap: the share of the
    queue that both ``coder`` and ``with_coder`` review; the rest is split between them.
    """

    coder: str
    cases: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    limit: int | None = None
    order: str = "document"
    include_uncoded: bool | None = None
    requeue: bool = False
    overlap: float | None = None
    with_coder: str | None = None
    run_id: str | None = None
    codebook_version: str | None = None
    seed: int = 0


@dataclass(frozen=True)
class Suggested:
    id: str
    code_id: str | None  # None: the explicit "no code"
    label: str
    score: float | None
    unit: str | None = None  # a larger unit (paragraph, turn, ...): the suggestion is for its text
    unit_start: int | None = None
    unit_end: int | None = None


@dataclass(frozen=True)
class QueueItem:
    segment_id: str
    case: str
    document: str
    location: str
    speaker: str
    text: str
    before: str
    after: str
    suggestions: tuple[Suggested, ...]
    text_hash: str
    seq: int = 0

    @property
    def best_score(self) -> float:
        return _best_score(self.suggestions)


@dataclass(frozen=True)
class Selection:
    """The queue, and the segments in scope left out of it: reason -> count."""

    items: list[QueueItem]
    left_out: dict[str, int]


def select_items(conn: sqlite3.Connection, codebook: Codebook, run_id: str | None,
                 options: QueueOptions, roles: RoleMap | None = None) -> list[QueueItem]:
    """The queue for ``options.coder`` (and ``with_coder``), in the requested order."""
    return select(conn, codebook, run_id, options, roles).items


def select(conn: sqlite3.Connection, codebook: Codebook, run_id: str | None, options: QueueOptions,
           roles: RoleMap | None = None) -> Selection:
    """``select_items`` with the segments it left out, counted by reason.

    ``roles`` (the study's speaker labels -> roles): segments whose speaker no code applies
    to (pipeline.suggest.scope) are left out, and counted.

    Memory stays bounded by the queue, not the study: segments are read one document at a
    time (with their suggestions and neighbours), and only the segments that can still be
    in the queue are kept: the first ``limit`` in document order, the ``limit`` best in a
    heap by score. Uncertainty order reads the documents twice: the candidates' ids to rank
    them (their vectors are read from the cache as the ranking looks at them), then the
    items it queues.
    """
    if options.order not in ORDERS:
        raise ConfigError(f"--order '{options.order}' is unknown; use one of: {', '.join(ORDERS)}")
    include = options.include_uncoded is not False and not options.codes
    shown_of = _Shown(conn, run_id, codebook, _expand_codes(codebook, options.codes), include)
    decided, sent = _excluded_parts(conn, options.coder, codebook.version, options.requeue)
    if options.with_coder:
        more = _excluded_parts(conn, options.with_coder, codebook.version, options.requeue)
        decided, sent = decided | more[0], sent | more[1]
    scope = _Scope(codebook, roles)
    left_out: Counter = Counter()

    def candidates(counted: Counter) -> Iterator[tuple[float, str, Callable[[], QueueItem]]]:
        """(best score, segment id, item builder) of every segment that can be queued, in
        document order; the others are counted by reason in ``counted``."""
        for document, rows in _documents(conn, options.cases):
            shown = shown_of.document(document["id"], document["segmentation_id"])
            context = {row["seq"]: _line(row) for row in rows}
            for row in rows:
                suggestions = shown.get(row["id"], ())
                reason = OUT_OF_SCOPE if scope.out(row["speaker"], document["case_name"]) else _left_out(
                    row["id"], suggestions, decided, sent, include, bool(options.codes))
                if reason:
                    counted[reason] += 1
                    continue
                yield _best_score(suggestions), row["id"], (
                    lambda d=document, r=row, g=suggestions, c=context: _unit_text(conn, _item(d, r, g, c)))

    if options.order == "uncertainty" and run_id is not None:
        items, over = _by_uncertainty(conn, codebook, run_id, candidates, left_out, options.limit)
    else:
        picked = _Picked(options.order == "score", options.limit)
        for score, _, make in candidates(left_out):
            picked.add(score, make)
        items, over = picked.items(), picked.dropped
    if over:
        left_out[OVER_LIMIT] += over
    return Selection(items, dict(left_out))


class _Picked:
    """The items that can still be in a queue of ``limit``: the first ones (document order)
    or the best by score in a heap (ties keep document order); ``make`` builds an item
    only when it is kept."""

    def __init__(self, by_score: bool, limit: int | None) -> None:
        self.by_score, self.limit = by_score, limit
        self.kept: list = []
        self.dropped = 0
        self._seen = 0

    def add(self, score: float, make: Callable[[], QueueItem]) -> None:
        self._seen += 1
        if self.limit is None or len(self.kept) < self.limit:
            entry = (score, -self._seen, make()) if self.by_score else make()
            if self.by_score:
                heapq.heappush(self.kept, entry)
            else:
                self.kept.append(entry)
            return
        self.dropped += 1
        if self.by_score and (score, -self._seen) > self.kept[0][:2]:  # better than the worst kept
            heapq.heapreplace(self.kept, (score, -self._seen, make()))

    def items(self) -> list[QueueItem]:
        if not self.by_score:
            return list(self.kept)
        return [entry[2] for entry in sorted(self.kept, key=lambda e: (-e[0], -e[1]))]


class _Scope:
    """Whether a speaker's role is in no codable code's scope (e.g. interviewer turns)."""

    def __init__(self, codebook: Codebook, roles: RoleMap | None) -> None:
        self.codebook, self.roles = codebook, roles
        self._out: dict[tuple[str | None, str], bool] = {}

    def out(self, speaker: str | None, case: str) -> bool:
        if self.roles is None:
            return False
        key = (speaker, case)
        if key not in self._out:
            from pipeline.suggest.scope import in_scope

            role = self.roles.role_of(speaker, case)
            self._out[key] = not any(in_scope(self.codebook, c.id, role) for c in self.codebook.codable)
        return self._out[key]


def _left_out(segment: str, shown: tuple[Suggested, ...], decided: set[str], sent: set[str], include: bool,
              by_codes: bool) -> str:
    if segment in decided:
        return DECIDED
    if segment in sent:
        return QUEUED_BEFORE
    if by_codes and not any(s.code_id is not None for s in shown):
        return NOT_CHOSEN_CODES
    if not include and not any(s.code_id is not None for s in shown):
        return NO_CODE_SUGGESTED
    return ""


def describe_left_out(left_out: dict[str, int]) -> list[str]:
    """One line per reason, for the terminal and the Instructions sheet."""
    return [f"{n} segment(s) {reason}" for reason, n in sorted(left_out.items(), key=lambda kv: -kv[1]) if n]


def _unit_text(conn: sqlite3.Connection, item: QueueItem) -> QueueItem:
    """An item carrying a suggestion for a larger unit shows that unit's text (the decision
    stays keyed to the unit's first segment, which the row is)."""
    spans = [(s.unit_start, s.unit_end) for s in item.suggestions if s.unit and s.unit_start is not None]
    if not spans:
        return item
    start, end = min(a for a, _ in spans), max(b for _, b in spans)
    text = conn.execute("SELECT substr(d.text, ?, ?) FROM segments s JOIN documents d ON d.id = s.document_id"
                        " WHERE s.id = ?", (start + 1, end - start, item.segment_id)).fetchone()[0]
    units = sorted({s.unit for s in item.suggestions if s.unit})
    return dataclasses.replace(item, text=text, location=f"{item.location} · {', '.join(units)}")


def _by_uncertainty(conn: sqlite3.Connection, codebook: Codebook, run_id: str,
                    candidates: Callable[[Counter], Iterator[tuple[float, str, Callable[[], QueueItem]]]],
                    left_out: Counter, limit: int | None) -> tuple[list[QueueItem], int]:
    """Most informative first (then the rest in document order), and how many were over ``limit``.

    Two passes over the documents: the first keeps only the candidates' ids, to rank them;
    the second builds the items that are queued. So a limited queue holds its own items, not
    one item per candidate of the study.
    """
    from pipeline.suggest.active import uncertainty_ranking

    ids = [segment_id for _, segment_id, _ in candidates(left_out)]
    n = min(limit or MAX_UNCERTAINTY_RANKED, MAX_UNCERTAINTY_RANKED, len(ids))
    first = uncertainty_ranking(conn, codebook, run_id, ids, n) if ids else []
    rank = {s: k for k, s in enumerate(first)}
    room = len(ids) if limit is None else max(0, limit - len(first))  # unranked ones, in document order
    wanted = set(first) | set([s for s in ids if s not in rank][:room])
    items = [make() for _, segment_id, make in candidates(Counter()) if segment_id in wanted]
    items.sort(key=lambda item: rank.get(item.segment_id, len(rank)))  # stable: the rest keep document order
    return items, len(ids) - len(items)


def split_overlap(items: Sequence[QueueItem], fraction: float, seed: int) -> tuple[list[QueueItem], list[QueueItem]]:
    """A random ``fraction`` of the items goes to both coders; the rest alternates.

    Each coder's list keeps the queue's order.
    """
    if not 0.0 <= fraction <= 1.0:
        raise ConfigError(f"--overlap {fraction} must be a share between 0 and 1 (e.g. 0.2 for 20%)")
    order = list(range(len(items)))
    random.Random(seed).shuffle(order)
    shared = set(order[: round(fraction * len(items))])
    rest = [i for i in order if i not in shared]
    first = shared | set(rest[0::2])
    second = shared | set(rest[1::2])
    return [items[i] for i in sorted(first)], [items[i] for i in sorted(second)]


def _expand_codes(codebook: Codebook, codes: Sequence[str]) -> set[str] | None:
    return codebook.with_descendants(codes) if codes else None


def _documents(conn: sqlite3.Connection, cases: Sequence[str]) -> Iterator[tuple[sqlite3.Row, list[sqlite3.Row]]]:
    """Each current document in queue order (case, document) with its current segments in order."""
    sql = ("SELECT d.id, d.case_name, d.source_key, ds.segmentation_id FROM current_documents d"
           " JOIN document_segmentation ds ON ds.document_id = d.id")
    params: list[str] = []
    if cases:
        known = {r[0] for r in conn.execute("SELECT name FROM cases")}
        unknown = [c for c in cases if c not in known]
        if unknown:
            raise ConfigError(f"--cases: {', '.join(unknown)} unknown; the study's cases are: {', '.join(sorted(known))}")
        sql += f" WHERE d.case_name IN ({','.join('?' * len(cases))})"
        params = list(cases)
    documents = conn.execute(sql + " ORDER BY d.case_name, d.source_key", params).fetchall()  # small: one row a document
    for document in documents:
        rows = conn.execute("SELECT id, seq, text, speaker, turn, timestamp, page FROM segments"
                            " WHERE document_id = ? AND segmentation_id = ? ORDER BY seq",
                            (document["id"], document["segmentation_id"])).fetchall()
        if rows:
            yield document, rows


class _Shown:
    """The shown suggestions of a run, read one document at a time."""

    def __init__(self, conn: sqlite3.Connection, run_id: str | None, codebook: Codebook,
                 wanted: set[str] | None, include_uncoded: bool) -> None:
        self.conn, self.run_id, self.wanted, self.include_uncoded = conn, run_id, wanted, include_uncoded
        self.labels = {c.id: codebook.path_label(c.id) for c in codebook.codes}  # "Domain > Construct"
        # Codes a learned suggester could not show to be better than chance are flagged.
        params = conn.execute("SELECT params FROM suggestion_runs WHERE id = ?", (run_id,)).fetchone()
        self.untrusted = set(json.loads(params[0]).get("untrusted", [])) if params else set()

    def document(self, document_id: str, segmentation_id: str) -> dict[str, tuple[Suggested, ...]]:
        if self.run_id is None:
            return {}
        out: dict[str, list[Suggested]] = {}
        # CROSS JOIN keeps this join order (SQLite's rule): the document's segments by their
        # index, then each one's suggestions by (run_id, segment_id, rank). Left to itself,
        # the planner scanned the whole run's suggestions for every document.
        rows = self.conn.execute(
            "SELECT g.id, g.segment_id, g.code_id, g.score, g.unit, g.unit_start, g.unit_end FROM segments s"
            " CROSS JOIN suggestions g ON g.segment_id = s.id WHERE s.document_id = ? AND s.segmentation_id = ?"
            " AND g.run_id = ? AND g.suggested = 1 ORDER BY s.seq, g.rank", (document_id, segmentation_id, self.run_id))
        for r in rows:
            code = r["code_id"]
            if code is None and not self.include_uncoded:
                continue
            if code is not None and self.wanted is not None and code not in self.wanted:
                continue
            label = NO_CODE_LABEL if code is None else self.labels.get(code, code)
            if code in self.untrusted:
                label += UNTRUSTED_MARK
            if r["unit"]:
                label += f" ({r['unit']})"
            out.setdefault(r["segment_id"], []).append(
                Suggested(r["id"], code, label, r["score"], r["unit"], r["unit_start"], r["unit_end"]))
        return {seg: _drop_no_code_beside_codes(s) for seg, s in out.items()}


def _drop_no_code_beside_codes(shown: list[Suggested]) -> tuple[Suggested, ...]:
    # With --codes, a segment can keep a "no code" row next to filtered codes; the codes win.
    coded = [s for s in shown if s.code_id is not None]
    return tuple(coded or shown)


def _excluded_parts(conn: sqlite3.Connection, coder: str, version: str, requeue: bool) -> tuple[set[str], set[str]]:
    """Segments this coder already decided, and (unless requeue) those already sent to them."""
    decided = {r[0] for r in conn.execute(
        "SELECT DISTINCT segment_id FROM decisions WHERE coder = ? AND codebook_version = ?", (coder, version))}
    if requeue:
        return decided, set()
    sent = {r[0] for r in conn.execute(
        "SELECT wi.segment_id FROM workbook_items wi JOIN workbooks w ON w.id = wi.workbook_id"
        " WHERE w.coder = ? AND w.codebook_version = ?", (coder, version))}
    return decided, sent - decided


def _line(row: sqlite3.Row) -> str:
    """A neighbour as the Before/After columns show it: 'Speaker: text'."""
    speaker = row["speaker"] or ""
    return f"{speaker}: {row['text']}" if speaker and row["text"] else row["text"]


def _best_score(shown: tuple[Suggested, ...]) -> float:
    return max((s.score or 0.0 for s in shown if s.code_id), default=0.0)


def _item(document: sqlite3.Row, row: sqlite3.Row, shown: tuple[Suggested, ...], context: dict[int, str]) -> QueueItem:
    return QueueItem(
        segment_id=row["id"], case=document["case_name"], document=document["source_key"],
        location=_location(row), speaker=row["speaker"] or "", text=row["text"],
        before=context.get(row["seq"] - 1, ""), after=context.get(row["seq"] + 1, ""),
        suggestions=shown, text_hash=text_fingerprint(row["text"]), seq=row["seq"],
    )


def _location(row: sqlite3.Row) -> str:
    parts = []
    if row["page"] is not None:
        parts.append(f"p. {row['page']}")
    if row["turn"] is not None:
        parts.append(f"turn {row['turn']}")
    if row["timestamp"]:
        parts.append(str(row["timestamp"]))
    return " · ".join(parts) or f"seg. {row['seq'] + 1}"
