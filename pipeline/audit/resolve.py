"""Resolve disagreements: the returned disagreements workbook becomes decisions of one
coder ('consensus' by default), appended in one transaction, all rows or none."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from pipeline.audit.disagreements import HASH_KEY, NO_CODE, RESOLUTION_MEMO, SEGMENT_KEY, SHEET, VERSION_KEY, ResolvedRow
from pipeline.audit.sample import CONSENSUS
from pipeline.codebook import Codebook
from pipeline.hashing import sha256
from pipeline.errors import StudyError, WorkbookError
from pipeline.review import log
from pipeline.review.layout import resolve_code, text_fingerprint

if TYPE_CHECKING:
    from pipeline.context import StudyContext

__all__ = ["ResolveReport", "resolve"]

KIND = "disagreements"
AGREED_KIND = "agreed"  # segments every coder coded alike, recorded by `resolve` beside the resolutions
MAX_LISTED = 25
REPLACED = "(resolution replaced it)"


@dataclass(frozen=True)
class ResolveReport:
    path: Path
    status: str  # "imported" | "already imported"
    coder: str = CONSENSUS
    resolved: int = 0
    unresolved: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    agreed: int = 0  # segments all coders coded alike, recorded for the coder as well


def resolve(study: "StudyContext", path: Path | str, coder: str = CONSENSUS) -> ResolveReport:
    """Append the workbook's resolutions as decisions of ``coder``; all rows or none."""
    from pipeline.audit.excel import read_disagreements  # the one openpyxl module

    path = Path(path)
    rows, slots = read_disagreements(path)
    try:
        digest = sha256(path.read_bytes() + json.dumps({"coder": coder}).encode())
    except OSError as exc:
        raise WorkbookError(f"{path}: cannot read the file ({exc}); check the path") from exc
    if log.imported_before(study.store.conn, KIND, digest) is not None:
        return ResolveReport(path, "already imported", coder)
    planned, unresolved, version = _parse(study, path, rows, slots)
    agreed = _agreed(study, _coders(rows), version, coder)
    counts: dict[str, int] = {}
    with study.store.transaction() as conn:
        import_id = log.insert_import(conn, KIND, None, digest, str(path))
        decisions = _with_replacements(conn, coder, planned)
        writes = log.plan(conn, coder, None, decisions).writes
        log.write_all(conn, import_id, coder, None, version, writes)
        for d in writes:
            counts[d.verdict] = counts.get(d.verdict, 0) + 1
        if agreed:
            # Separate import kind: agreement is not a hand resolution, so a later merge may restate it.
            agreed_id = log.insert_import(conn, AGREED_KIND, None, digest, str(path))
            log.write_all(conn, agreed_id, coder, None, version, agreed)
    return ResolveReport(path, "imported", coder, len({d.segment_id for d in planned}), unresolved, counts,
                         len({d.segment_id for d in agreed}))


def _coders(rows: Sequence[ResolvedRow]) -> tuple[str, ...]:
    """The coders the workbook compared (its 'NAME: codes' columns)."""
    names = rows[0].values if rows else {}
    return tuple(n[: -len(": codes")] for n in names if n.endswith(": codes"))


def _agreed(study: "StudyContext", coders: tuple[str, ...], version: str, into: str) -> list[log.Decision]:
    """The sample segments all compared coders coded alike, for ``into`` where it has nothing yet.

    Without them, resolving alone would leave the agreed segments out of the consensus
    (and `summarize --consensus` would depend on whether `merge-coders` also ran)."""
    from pipeline.audit.disagreements import find_disagreements
    from pipeline.audit.sample import AuditOptions, load_audit_sample

    if len(coders) < 2 or into in coders:
        return []
    coding = load_audit_sample(study, AuditOptions(coders=coders, codebook_version=version or None, bootstrap=0))
    differ = {d.segment_id for d in find_disagreements(coding)}
    sets = coding.code_sets()
    has = {r[0] for r in study.store.query("SELECT DISTINCT segment_id FROM current_decisions WHERE coder = ?", (into,))}
    memo = f"agreed by {', '.join(coders)}"
    out: list[log.Decision] = []
    for unit in coding.sample:
        if unit in differ or unit in has:
            continue
        codes = sorted(sets.get((coders[0], unit), frozenset()))
        out += [log.Decision(unit, c, "added", memo) for c in codes] or [log.Decision(unit, None, "none", memo)]
    return out


def _parse(study: "StudyContext", path: Path, rows: Sequence[ResolvedRow],
           slots: Sequence[str]) -> tuple[list[log.Decision], int, str]:
    current = {r["id"]: r["text"] for r in study.store.query("SELECT id, text FROM current_segments")}
    problems: list[str] = []
    decisions: list[log.Decision] = []
    versions: set[str] = set()
    seen: dict[str, int] = {}
    unresolved = 0
    for row in rows:
        picks = [(h, str(row.values.get(h) or "").strip()) for h in slots]
        picks = [(h, v) for h, v in picks if v]
        if not picks:
            unresolved += 1
            continue
        segment = _check_keys(row, current, seen, problems)
        version = str(row.values.get(VERSION_KEY) or "").strip()
        versions.add(version)
        book = _codebook(study, version, row, problems)
        if segment is None or book is None:
            continue
        found = _decisions(row, segment, picks, book, problems)
        decisions.extend(found)
    if len(versions) > 1:
        problems.append(f"sheet '{SHEET}': rows name {len(versions)} codebook versions; use one workbook per audit")
    if problems:
        listed = problems[:MAX_LISTED] + ([f"... and {len(problems) - MAX_LISTED} more"] if len(problems) > MAX_LISTED else [])
        raise WorkbookError(f"{path}: nothing was imported ({len(problems)} problem(s)):\n  " + "\n  ".join(listed))
    return decisions, unresolved, versions.pop() if versions else ""


def _check_keys(row: ResolvedRow, current: dict[str, str], seen: dict[str, int], problems: list[str]) -> str | None:
    segment = str(row.values.get(SEGMENT_KEY) or "").strip()
    if segment not in current:
        problems.append(f"{row.where(SEGMENT_KEY)}: '{segment}' is not a current segment of this study; the key "
                        f"was edited or the document was re-ingested: write a fresh workbook with `deductive audit`")
        return None
    if str(row.values.get(HASH_KEY) or "").strip() != text_fingerprint(current[segment]):
        problems.append(f"{row.where(HASH_KEY)}: the segment's text changed since the workbook was written; "
                        f"write a fresh workbook with `deductive audit`")
        return None
    if segment in seen:
        problems.append(f"{row.where(SEGMENT_KEY)}: segment {segment} is also on row {seen[segment]}; keep one row")
        return None
    seen[segment] = row.row
    return segment


def _codebook(study: "StudyContext", version: str, row: ResolvedRow, problems: list[str]) -> Codebook | None:
    try:
        return study.codebook(version or None)
    except StudyError:  # the version is not in this study
        problems.append(f"{row.where(VERSION_KEY)}: codebook version '{version}' is not in this study; "
                        f"the key was edited or the workbook belongs to another study")
        return None


def _decisions(row: ResolvedRow, segment: str, picks: Sequence[tuple[str, str]], book: Codebook,
               problems: list[str]) -> list[log.Decision]:
    memo = str(row.values.get(RESOLUTION_MEMO) or "").strip()
    nothing = [h for h, v in picks if v.lower() in (NO_CODE, "(no code)")]
    if nothing and len(picks) > 1:
        problems.append(f"{row.where(nothing[0])}: '{NO_CODE}' cannot go with codes in the other resolution "
                        f"cells; clear one of them")
        return []
    if nothing:
        return [log.Decision(segment, None, "none", memo)]
    codes: list[str] = []
    for header, value in picks:
        try:
            code = resolve_code(value, book)
        except ValueError as exc:
            problems.append(f"{row.where(header)}: {exc}")
            return []
        if code not in codes:
            codes.append(code)
    return [log.Decision(segment, code, "added", memo) for code in codes]


def _with_replacements(conn: Any, coder: str, planned: list[log.Decision]) -> list[log.Decision]:
    """Reject the coder's earlier codes on a resolved segment that the resolution dropped."""
    chosen: dict[str, set[str | None]] = {}
    for d in planned:
        chosen.setdefault(d.segment_id, set()).add(d.code_id)
    extra = []
    for segment, codes in chosen.items():
        if None in codes:
            continue  # 'none' retires applied codes by itself (log.plan)
        rows = conn.execute("SELECT code_id FROM current_decisions WHERE coder = ? AND segment_id = ? AND"
                            " code_id IS NOT NULL AND verdict IN ('accepted', 'added')", (coder, segment))
        extra += [log.Decision(segment, r[0], "rejected", REPLACED) for r in rows if r[0] not in codes]
    return planned + extra
