"""The right unit for each code: roll sentence evidence up to paragraphs, turns, sections, documents.

A code (or its group) may name a ``unit`` larger than a segment. Its suggestions are made
once per unit, from the scores of the unit's segments, by one rule (docs/units-and-scope.md):

    unit score = (max + mean) / 2 over the unit's in-scope segments

The max says "some sentence shows the code"; the mean says "the unit is about it". Their
average never exceeds the strongest sentence (a unit is not more certain than its best
evidence, however long it is) and equals the segment's score for a one-segment unit, so
a paragraph segmentation gives the same result as before. Raw scores roll up the same way.

Where units live. Paragraphs are the blank-line-separated stretches of prose blocks and
speaker turns (segment.py cuts the same way); turns are blocks of kind "turn"; sections
run from one heading-like block (a short single line without closing punctuation, or a
markdown ``#`` line) to the next; the document is all its blocks. A unit suggestion is
stored on the unit's *first segment* with the unit's kind and offsets
(``suggestions.unit/unit_start/unit_end``), so every decision stays keyed to a real
segment and ``text[unit_start:unit_end]`` is exactly the unit's text. A document that
lacks the unit (a prose report has no turns) scores those codes on its segments; a
study where no document has it is refused (``check_units``).

Hierarchy. A codable parent's score is at least the best of its codable children's, so
a construct's evidence also counts for its domain (``hierarchy_max``).
"""

from __future__ import annotations

import bisect
import dataclasses
import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from pipeline.codebook import Codebook
from pipeline.config import RoleSettings
from pipeline.documents import load_blocks
from pipeline.errors import InputError
from pipeline.records import Block
from pipeline.suggest.scope import OUT_OF_SCOPE, apply_scope, check_scope, scope_mask, study_role_map

__all__ = ["LARGER_UNITS", "ROLLUP_RULE", "Layout", "load_layout", "SegmentRow", "UnitChoice", "unit_spans", "group_units", "roll_up",
           "hierarchy_max", "check_units", "choose_by_unit", "with_units"]

LARGER_UNITS = ("paragraph", "turn", "section", "document")
ROLLUP_RULE = "half-max-half-mean-v1"  # part of a run's identity: a new rule makes a new run
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_HEADING_MAX_CHARS = 80
_MISSING = {
    "paragraph": "none of the study's documents has paragraphs (every document is rows of a table)",
    "turn": "none of the study's documents has speaker turns (there are no transcripts)",
    "section": "none of the study's documents has sections (no headings were found)",
    "document": "the study has no documents",
}


@dataclass(frozen=True, slots=True)  # one per segment of the study: slots halve its memory
class SegmentRow:
    id: str
    document_id: str
    start: int
    end: int
    role: str | None = None


@dataclass(frozen=True)
class UnitChoice:
    """A suggestion row: the chooser's choice, and the larger unit it was made for (None: the segment)."""

    choice: Any  # pipeline.suggest.scoring.Choice
    unit: str | None = None
    start: int | None = None
    end: int | None = None


def unit_spans(text: str, blocks: Sequence[Block], kind: str) -> list[tuple[int, int]]:
    """The document's units of this kind as (start, end); [] when it has none."""
    prose = [b for b in blocks if b.kind != "row"]
    if kind == "paragraph":
        return [p for b in prose for p in _paragraphs(text, b.start, b.end)]
    if kind == "turn":  # a transcript's speaker turns; a table row with a speaker is one too
        return [(b.start, b.end) for b in blocks if b.kind == "turn" or (b.kind == "row" and b.speaker)]
    if kind == "section":
        heads = [i for i, b in enumerate(prose) if _is_heading(text[b.start:b.end])]
        if not heads:
            return []
        cuts = ([0] if heads[0] else []) + heads + [len(prose)]
        return [(prose[a].start, prose[b - 1].end) for a, b in zip(cuts, cuts[1:]) if b > a]
    if kind == "document":
        return [(min(b.start for b in blocks), max(b.end for b in blocks))] if blocks else []
    raise ValueError(kind)


def _paragraphs(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out, cursor = [], start
    for match in _PARAGRAPH_BREAK.finditer(text, start, end):
        out.append((cursor, match.start()))
        cursor = match.end()
    out.append((cursor, end))
    return [(s, e) for s, e in out if text[s:e].strip()]


def _is_heading(line: str) -> bool:
    line = line.strip()
    if line.startswith("#"):
        return True
    return 0 < len(line) <= _HEADING_MAX_CHARS and "\n" not in line and not line.endswith(
        (".", "?", "!", ",", ";", ":", '"', "”", "'", "’", ")"))


def group_units(segments: Sequence[SegmentRow], spans_of: Mapping[str, list[tuple[int, int]]]) -> list[tuple[int, int, list[int]]]:
    """Segments (indices) grouped by the unit containing their start: (start, end, members).

    A segment of a document without such units, or one no unit contains, is its own unit.
    The unit's offsets cover its members, so ``text[start:end]`` holds all of them.
    """
    groups: dict[tuple[str, int], list[int]] = {}
    spans: dict[tuple[str, int], tuple[int, int]] = {}
    starts = {d: [u[0] for u in units] for d, units in spans_of.items()}
    for i, seg in enumerate(segments):
        units = spans_of.get(seg.document_id) or []
        k = bisect.bisect_right(starts.get(seg.document_id, []), seg.start) - 1
        if k >= 0 and units[k][0] <= seg.start < units[k][1]:
            key, span = (seg.document_id, k), units[k]
        else:
            key, span = (seg.id, -1), (seg.start, seg.end)
        groups.setdefault(key, []).append(i)
        start, end = spans.get(key, span)
        spans[key] = (min(start, seg.start), max(end, seg.end))
    return [(spans[k][0], spans[k][1], members) for k, members in groups.items()]


def roll_up(values: np.ndarray, members: Sequence[Sequence[int]]) -> np.ndarray:
    """Units x codes: (max + mean) / 2 over each unit's in-scope member rows (OUT_OF_SCOPE if none)."""
    out = np.full((len(members), values.shape[1]), OUT_OF_SCOPE, dtype=np.float64)
    for u, rows in enumerate(members):
        block = values[list(rows)]
        valid = block > OUT_OF_SCOPE
        count = valid.sum(axis=0)
        top = np.where(valid, block, -np.inf).max(axis=0)
        mean = np.where(valid, block, 0.0).sum(axis=0) / np.maximum(count, 1)
        out[u] = np.where(count > 0, (top + mean) / 2.0, OUT_OF_SCOPE)
    return out


def hierarchy_max(scores: np.ndarray, codebook: Codebook, codes: Sequence[str]) -> np.ndarray:
    """A codable parent's score is at least the best score of its codable descendants."""
    index = {c: j for j, c in enumerate(codes)}
    out = scores.copy()
    for code in reversed(codes):  # children before parents in codebook order is not guaranteed: walk ancestors
        for parent in codebook.ancestors(code):
            if parent.id in index:
                p = index[parent.id]
                out[:, p] = np.maximum(out[:, p], out[:, index[code]])
    return out


def check_units(codebook: Codebook, documents: Mapping[str, tuple[str, Sequence[Block]]]) -> None:
    """Refuse a unit that no document of the study has, naming the codes and what to do."""
    wanted: dict[str, list[str]] = {}
    for code in codebook.codable:
        unit = codebook.unit_of(code.id)
        if unit in LARGER_UNITS:
            wanted.setdefault(unit, []).append(code.id)
    for unit, ids in wanted.items():
        if not any(unit_spans(text, blocks, unit) for text, blocks in documents.values()):
            names = ", ".join(map(repr, ids[:5])) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
            raise InputError(f"codebook '{codebook.name}': code(s) {names} have unit '{unit}', but {_MISSING[unit]}. "
                             f"Remove `unit: {unit}` from the codebook (or its group) to suggest them on each segment, "
                             "or ingest documents that have that unit")


def choose_by_unit(
    codebook: Codebook,
    codes: Sequence[str],
    segments: Sequence[SegmentRow],
    documents: Mapping[str, tuple[str, Sequence[Block]]],
    raw: np.ndarray,
    scores: np.ndarray,
    chooser: Callable[[np.ndarray, np.ndarray], list[list[Any]]],
) -> list[list[UnitChoice]]:
    """Per segment, its suggestion rows: scope applied, hierarchy rolled up, each code chosen
    at its unit. ``chooser(raw, scores)`` is the suggester's own choice over a score matrix."""
    mask = scope_mask(codebook, codes, [s.role for s in segments])
    scores = apply_scope(hierarchy_max(apply_scope(scores, mask), codebook, codes), mask)
    raw = np.where(mask, raw, OUT_OF_SCOPE)
    level = np.array([codebook.unit_of(c) if codebook.unit_of(c) in LARGER_UNITS else "" for c in codes])
    rows: list[list[UnitChoice]] = [[] for _ in segments]
    for i, choices in enumerate(chooser(raw, np.where(level == "", scores, OUT_OF_SCOPE))):
        rows[i] += [UnitChoice(c) for c in choices]
    present = {s.document_id for s in segments}  # a chunk's documents, not the study's (no quadratic cost)
    for unit in sorted(set(level) - {""}):
        spans = {d: unit_spans(text, blocks, unit) for d, (text, blocks) in documents.items() if d in present}
        units = group_units(segments, spans)
        members = [m for _, _, m in units]
        unit_scores = np.where(level == unit, roll_up(scores, members), OUT_OF_SCOPE)
        for (start, end, group), choices in zip(units, chooser(roll_up(raw, members), unit_scores)):
            rows[group[0]] += [UnitChoice(c, unit, start, end) for c in choices if c.code is not None]
    return [_merge(r) for r in rows]


def _merge(rows: list[UnitChoice]) -> list[UnitChoice]:
    """Shown codes (best first), else the explicit "no code"; then runners-up; ranks 1..n."""
    real = [r for r in rows if r.choice.code is not None and r.choice.score is not None
            and r.choice.score > OUT_OF_SCOPE]
    shown = sorted((r for r in real if r.choice.suggested), key=lambda r: -r.choice.score)
    kept = sorted((r for r in real if not r.choice.suggested), key=lambda r: -r.choice.score)
    if not shown:
        shown = [next(r for r in rows if r.choice.code is None and r.unit is None)]
    return [dataclasses.replace(r, choice=dataclasses.replace(r.choice, rank=k + 1))
            for k, r in enumerate(shown + kept)]


@dataclass(frozen=True)
class Layout:
    """The study's segments with their speakers' roles, and the documents' texts and blocks."""

    segments: Mapping[str, SegmentRow]
    documents: Mapping[str, tuple[str, tuple[Block, ...]]]
    roles_hash: str

    def params(self) -> dict[str, str]:
        """What a suggestion run depends on besides codebook and model: rule and role map."""
        return {"rollup": ROLLUP_RULE, "roles": self.roles_hash}

    def choose(self, codebook: Codebook, codes: Sequence[str], ids: Sequence[str], raw: np.ndarray,
               scores: np.ndarray, chooser: Callable[[np.ndarray, np.ndarray], list[list[Any]]]) -> list[list[UnitChoice]]:
        return choose_by_unit(codebook, codes, [self.segments[i] for i in ids], self.documents, raw, scores, chooser)


def load_layout(store: Any, codebook: Codebook, role_settings: RoleSettings) -> Layout:
    """Read the current segments and documents and refuse what cannot work, before anything
    is embedded or stored: a single segment, a scope no speaker has, a unit no document has."""
    roles = study_role_map(store, role_settings)
    rows = store.query("SELECT s.id, s.document_id, s.start, s.end, s.speaker, d.case_name FROM current_segments s"
                       " JOIN documents d ON d.id = s.document_id ORDER BY s.document_id, s.seq")
    if len(rows) == 1 and codebook.codable:  # (no codable codes: the suggester says so)
        raise InputError("the study has one segment: suggestions compare segments with each other and with the "
                         "codes, so one segment cannot be calibrated. Ingest more documents (`deductive ingest`) or "
                         "cut smaller segments ([segment] unit = \"sentence\" in deductive.toml, then "
                         "`deductive segment`)")
    segments = {r["id"]: SegmentRow(r["id"], r["document_id"], r["start"], r["end"],
                                    roles.role_of(r["speaker"], r["case_name"])) for r in rows}
    check_scope(codebook, roles, Counter(s.role for s in segments.values()))
    documents: dict[str, tuple[str, tuple[Block, ...]]] = {}
    if any(codebook.unit_of(c.id) in LARGER_UNITS for c in codebook.codable):
        for doc in {s.document_id for s in segments.values()}:
            text = store.conn.execute("SELECT text FROM documents WHERE id = ?", (doc,)).fetchone()[0]
            documents[doc] = (text, tuple(load_blocks(store.conn, doc)))
        check_units(codebook, documents)
    payload = json.dumps([sorted(roles.labels.items()), sorted((k, sorted(v.items())) for k, v in roles.per_case.items())])
    return Layout(segments, documents, hashlib.sha256(payload.encode()).hexdigest()[:12])


def with_units(store: Any, run_id: str, frame: Any, codebook: Codebook) -> Any:
    """The suggestions export with a "Domain > Construct" label beside each code, and, for a
    suggestion made for a larger unit, the unit's kind, offsets and text (instead of the
    first segment's)."""
    rows = store.query("SELECT g.rank, g.segment_id, g.unit, g.unit_start, g.unit_end, d.text AS doc FROM suggestions g"
                       " JOIN segments s ON s.id = g.segment_id JOIN documents d ON d.id = s.document_id"
                       " WHERE g.run_id = ? AND g.unit IS NOT NULL", (run_id,))
    units = {(r["segment_id"], r["rank"]): (r["unit"], r["unit_start"], r["unit_end"], r["doc"][r["unit_start"]:r["unit_end"]])
             for r in rows}
    frame = frame.copy()
    known = {c.id for c in codebook.codes}
    # Appended after the existing columns, so scripts reading them by position keep working.
    frame["label"] = [codebook.path_label(c) if isinstance(c, str) and c in known else "" for c in frame["code"]]
    found = [units.get((s, r)) for s, r in zip(frame["segment_id"], frame["rank"])]
    frame["unit"] = [u[0] if u else "" for u in found]
    frame["unit_start"] = [u[1] if u else None for u in found]
    frame["unit_end"] = [u[2] if u else None for u in found]
    frame["text"] = [u[3] if u else t for u, t in zip(found, frame["text"])]
    return frame
