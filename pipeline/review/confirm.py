"""`confirm`: read a returned workbook, validate every row, append its decisions.

All or nothing: any problem rejects the whole workbook with a list of located problems
(sheet, row, column, what to do) and nothing is written. Rows deleted from the sheet
and blank rows are not problems: those segments stay queued.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.carry import current_targets
from pipeline.codebook import Codebook
from pipeline.hashing import sha256
from pipeline.errors import WorkbookError
from pipeline.review import layout as L
from pipeline.review import log
from pipeline.review.emergent import Proposal, record_proposals
from pipeline.review.workbook import SheetRow, read_queue_sheet

if TYPE_CHECKING:
    from pipeline.context import StudyContext

__all__ = ["ConfirmReport", "confirm", "file_hash"]

KIND = "workbook"
MAX_LISTED = 25


@dataclass(frozen=True)
class ConfirmReport:
    path: Path
    workbook_id: str
    coder: str
    file_hash: str
    status: str  # "imported" | "already imported"
    decided_rows: int = 0
    blank_rows: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    unchanged: int = 0
    warnings: tuple[str, ...] = ()
    proposed: tuple["Proposal", ...] = ()  # codes typed under Add code that the codebook lacks


@dataclass
class _Workbook:
    id: str
    coder: str
    version: str
    items: dict[str, sqlite3.Row]  # segment id -> workbook_items row
    stored_hash: dict[str, str]  # segment id -> hash of the store's text now
    suggestion_codes: dict[str, str | None]  # suggestion id -> code id
    known_ids: set[str]  # workbook ids in the sheet that this study wrote


def file_hash(path: Path) -> str:
    try:
        return sha256(Path(path).read_bytes())
    except OSError as exc:
        raise WorkbookError(f"{path}: cannot read the file ({exc}); check the path") from exc


def confirm(study: "StudyContext", path: Path | str) -> ConfirmReport:
    """Import one returned workbook (any file name) into the decision log."""
    path = Path(path)
    digest = file_hash(path)
    earlier = log.imported_before(study.store.conn, KIND, digest)
    if earlier is not None:
        coder = _coder_of(study.store.conn, earlier["workbook_id"])
        return ConfirmReport(path, earlier["workbook_id"], coder, digest, "already imported")
    rows = read_queue_sheet(path)
    book = _load_workbook(study, path, rows)
    codebook = study.codebook(book.version)
    problems: list[str] = []
    warnings: list[str] = []
    decided: dict[str, tuple[int, frozenset[log.Decision]]] = {}
    proposals: list[Proposal] = []
    blank = 0
    for row in rows:
        where = f"{path.name}: sheet '{L.QUEUE_SHEET}' row {row.row}"
        proposed = len(proposals)
        found = _row_decisions(row, book, codebook, where, problems, proposals)
        if found is None:
            continue
        if not found and len(proposals) > proposed:
            continue  # only a proposed (emergent) code: recorded below
        if not found:
            blank += 1
            if _text(row.values.get(L.MEMO_HEADER)):
                warnings.append(f"{where}: a memo without any decision was not recorded; add a decision to keep it")
            continue
        segment = str(row.values[L.SEGMENT_KEY]).strip()
        if segment in decided and decided[segment][1] != found:
            problems.append(f"{where}: segment {segment} is also in row {decided[segment][0]} with different "
                            f"decisions (accept and reject for the same suggestion); keep one of the two rows")
        decided.setdefault(segment, (row.row, found))
    if problems:
        listed = problems[:MAX_LISTED] + ([f"... and {len(problems) - MAX_LISTED} more"] if len(problems) > MAX_LISTED else [])
        raise WorkbookError(f"{path}: workbook rejected, nothing was imported ({len(problems)} problem(s)):\n  "
                            + "\n  ".join(listed))
    warnings += _deleted_rows(path, book, rows)
    decisions, moved = _onto_current(study.store.conn, path, decided)
    warnings += moved
    try:
        planned = _write(study, path, book, digest, decisions, proposals)
    except sqlite3.IntegrityError:
        # Another `confirm` of the same file committed between our check and our write.
        return ConfirmReport(path, book.id, book.coder, digest, "already imported")
    return ConfirmReport(path, book.id, book.coder, digest, "imported", len(decided), blank,
                         planned.counts, planned.unchanged, tuple(warnings), tuple(proposals))


def _write(study: "StudyContext", path: Path, book: _Workbook, digest: str, decisions: list[log.Decision],
           proposals: list[Proposal]) -> log.Planned:
    with study.store.transaction() as conn:
        if log.imported_before(conn, KIND, digest) is not None:
            raise sqlite3.IntegrityError("already imported")  # checked again under the write lock
        planned = log.plan(conn, book.coder, book.id, decisions)
        import_id = log.insert_import(conn, KIND, book.id, digest, str(path))
        log.write_all(conn, import_id, book.coder, book.id, book.version, planned.writes)
        record_proposals(conn, import_id, book.coder, book.id, book.version, proposals)
    return planned


def _onto_current(conn: sqlite3.Connection, path: Path,
                  decided: dict[str, tuple[int, frozenset[log.Decision]]]) -> tuple[list[log.Decision], list[str]]:
    """Decisions on segments that are no longer current (the document was re-segmented or
    re-ingested after the workbook was queued) go to the current segments holding the same
    text (pipeline.carry); rows whose text changed are reported and not stored."""
    out: list[log.Decision] = []
    warnings: list[str] = []
    moved: dict[str, list[log.Decision]] = {}
    cache: dict = {}
    for segment, (row, found) in decided.items():
        target = current_targets(conn, segment, cache)
        if target.segments == (segment,):
            out += sorted(found, key=_order)
        elif not target.segments:
            warnings.append(f"{path.name}: sheet '{L.QUEUE_SHEET}' row {row}: not imported: {target.reason} since "
                            f"this workbook was queued; the new text is queued again by `deductive queue`")
        else:
            for seg in target.segments:
                moved.setdefault(seg, []).extend(replace(d, segment_id=seg) for d in found)
    for seg, found in moved.items():
        out += _merged(found)
    if moved:
        warnings.append(f"{path.name}: {len(moved)} decision(s) went onto the current segments of documents "
                        f"re-segmented or re-ingested since the workbook was queued (same text)")
    return out, warnings


def _merged(found: list[log.Decision]) -> list[log.Decision]:
    """Several rows landing on one segment: an applied code wins over its rejection and over 'none'."""
    applied = {d.code_id for d in found if d.verdict in log.POSITIVE}
    best: dict[str | None, log.Decision] = {}
    for d in sorted(found, key=_order):
        if d.code_id is None and applied and d.verdict == "none":
            continue
        if d.code_id not in best or (d.verdict in log.POSITIVE and best[d.code_id].verdict not in log.POSITIVE):
            best[d.code_id] = d
    return list(best.values())


def _order(d: log.Decision) -> tuple[str, str]:
    return (d.verdict, d.code_id or "")


def _coder_of(conn: sqlite3.Connection, workbook_id: str | None) -> str:
    row = conn.execute("SELECT coder FROM workbooks WHERE id = ?", (workbook_id,)).fetchone()
    return "" if row is None else str(row["coder"])


def _load_workbook(study: "StudyContext", path: Path, rows: list[SheetRow]) -> _Workbook:
    """The workbook the rows belong to (the id most rows carry), with what it showed."""
    ids = [_text(r.values.get(L.WORKBOOK_KEY)) for r in rows if _text(r.values.get(L.WORKBOOK_KEY))]
    if not ids:
        raise WorkbookError(f"{path}: sheet '{L.QUEUE_SHEET}' has no row with a workbook id (hidden column "
                            f"'{L.WORKBOOK_KEY}'); use the workbook as `deductive queue` wrote it")
    workbook_id = max(set(ids), key=ids.count)
    conn = study.store.conn
    found = conn.execute("SELECT * FROM workbooks WHERE id = ?", (workbook_id,)).fetchone()
    if found is None:
        raise WorkbookError(f"{path}: unknown workbook id '{workbook_id}' (sheet '{L.QUEUE_SHEET}', column "
                            f"'{L.WORKBOOK_KEY}'): it was not queued in {study.root}; confirm it in the study that wrote it")
    items = {r["segment_id"]: r for r in conn.execute("SELECT * FROM workbook_items WHERE workbook_id = ?", (workbook_id,))}
    texts = conn.execute("SELECT s.id, s.text FROM workbook_items wi JOIN segments s ON s.id = wi.segment_id"
                         " WHERE wi.workbook_id = ?", (workbook_id,))
    codes = conn.execute("SELECT s.id, s.code_id FROM workbook_items wi, json_each(wi.suggestion_ids) j"
                         " JOIN suggestions s ON s.id = j.value WHERE wi.workbook_id = ?", (workbook_id,))
    distinct = sorted(set(ids))
    known = {r["id"] for r in conn.execute(f"SELECT id FROM workbooks WHERE id IN ({','.join('?' * len(distinct))})", distinct)}
    return _Workbook(workbook_id, found["coder"], found["codebook_version"], items,
                     {r["id"]: L.text_fingerprint(r["text"]) for r in texts}, {r["id"]: r["code_id"] for r in codes}, known)


def _row_decisions(row: SheetRow, book: _Workbook, codebook: Codebook, where: str,
                   problems: list[str], proposals: list[Proposal]) -> frozenset[log.Decision] | None:
    """The row's decisions (empty: blank row); None after recording a problem."""
    item = _check_keys(row, book, where, problems)
    if item is None:
        return None
    before = len(problems)
    memo = _text(row.values.get(L.MEMO_HEADER))
    found: list[log.Decision] = []
    suggestion_ids = json.loads(item["suggestion_ids"])
    for slot in range(1, _slots(row) + 1):
        header = L.decision_header(slot)
        try:
            verdict = L.parse_verdict(row.values.get(header))
        except ValueError as exc:
            problems.append(f"{where}, {row.cell(header)}: {exc}")
            continue
        if verdict is None:
            continue
        if slot > len(suggestion_ids):
            problems.append(f"{where}, {row.cell(header)}: there is no suggestion {slot} in this row; clear the cell")
            continue
        sid = suggestion_ids[slot - 1]
        code = book.suggestion_codes.get(sid)
        if code is None and verdict == "accepted":
            found.append(log.Decision(item["segment_id"], None, "none", memo, sid))
        else:
            found.append(log.Decision(item["segment_id"], code, verdict, memo, sid))
    found += _added(row, item["segment_id"], codebook, memo, where, problems, proposals)
    found += _nothing(row, item["segment_id"], memo, where, problems)
    if len(problems) > before:
        return None
    try:
        return log.reconcile(found)
    except ValueError as exc:
        problems.append(f"{where}: {exc}")
        return None


def _check_keys(row: SheetRow, book: _Workbook, where: str, problems: list[str]) -> sqlite3.Row | None:
    keys = {name: _text(row.values.get(name)) for name in L.KEY_COLUMNS}
    missing = [name for name, value in keys.items() if not value]
    fix = "undo the edit (or copy the row from the file `deductive queue` wrote); the key columns must not change"
    if missing:
        problems.append(f"{where}, {row.cell(missing[0])}: missing key ({', '.join(missing)} empty); {fix}")
        return None
    if keys[L.WORKBOOK_KEY] not in book.known_ids:
        problems.append(f"{where}, {row.cell(L.WORKBOOK_KEY)}: unknown workbook id '{keys[L.WORKBOOK_KEY]}' "
                        f"(edited, or copied from another study); {fix}")
        return None
    if keys[L.WORKBOOK_KEY] != book.id:
        problems.append(f"{where}, {row.cell(L.WORKBOOK_KEY)}: the row belongs to workbook '{keys[L.WORKBOOK_KEY]}', "
                        f"not '{book.id}'; confirm each workbook file separately and do not mix rows")
        return None
    item = book.items.get(keys[L.SEGMENT_KEY])
    if item is None:
        problems.append(f"{where}, {row.cell(L.SEGMENT_KEY)}: edited key (segment '{keys[L.SEGMENT_KEY]}' was not "
                        f"queued in this workbook); {fix}")
        return None
    if keys[L.SUGGESTIONS_KEY].split() != json.loads(item["suggestion_ids"]):
        problems.append(f"{where}, {row.cell(L.SUGGESTIONS_KEY)}: edited key (suggestion ids differ from "
                        f"what was queued); {fix}")
        return None
    if keys[L.HASH_KEY] != item["text_hash"]:
        problems.append(f"{where}, {row.cell(L.HASH_KEY)}: edited key (text hash differs from what was queued); {fix}")
        return None
    if book.stored_hash.get(item["segment_id"]) != item["text_hash"]:
        problems.append(f"{where}, {row.cell(L.HASH_KEY)}: the segment's text in the study no longer matches the "
                        f"text shown in this workbook; queue the segment again and review the new text")
        return None
    return item


def _added(row: SheetRow, segment: str, codebook: Codebook, memo: str, where: str,
           problems: list[str], proposals: list[Proposal]) -> list[log.Decision]:
    out = []
    for slot in range(1, _add_slots(row) + 1):
        header = L.add_header(slot)
        try:
            code = L.resolve_code(row.values.get(header), codebook)
        except L.UnknownCode as exc:
            proposals.append(Proposal(exc.text, segment, memo, row.row))
            continue
        except ValueError as exc:
            problems.append(f"{where}, {row.cell(header)}: {exc}")
            continue
        if code is not None:
            out.append(log.Decision(segment, code, "added", memo))
    return out


def _nothing(row: SheetRow, segment: str, memo: str, where: str, problems: list[str]) -> list[log.Decision]:
    try:
        says = L.parse_nothing(row.values.get(L.NOTHING_HEADER))
    except ValueError as exc:
        problems.append(f"{where}, {row.cell(L.NOTHING_HEADER)}: {exc}")
        return []
    return [log.Decision(segment, None, "none", memo)] if says else []


def _deleted_rows(path: Path, book: _Workbook, rows: list[SheetRow]) -> list[str]:
    present = {_text(r.values.get(L.SEGMENT_KEY)) for r in rows}
    gone = sorted((int(item["position"]), seg) for seg, item in book.items.items() if seg not in present)
    if not gone:
        return []
    shown = ", ".join(f"#{p}" for p, _ in gone[:10]) + (" ..." if len(gone) > 10 else "")
    return [f"{path.name}: {len(gone)} row(s) were deleted from sheet '{L.QUEUE_SHEET}' ({shown}); "
            f"those segments stay queued for {book.coder}"]


def _add_slots(row: SheetRow) -> int:
    """Add code columns of this workbook (older workbooks had two)."""
    return sum(1 for name in row.letters if name.startswith("Add code "))


def _slots(row: SheetRow) -> int:
    return sum(1 for name in row.letters if name.startswith("Decision "))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()
