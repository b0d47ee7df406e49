"""Decisions in and out as tables: export the log, import coding done elsewhere."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from pipeline.codebook import Codebook
from pipeline.hashing import sha256
from pipeline.errors import ConfigError, WorkbookError
from pipeline.review import layout as L
from pipeline.review import log

if TYPE_CHECKING:
    from pipeline.context import StudyContext

__all__ = ["DECISION_COLUMNS", "decision_table", "ImportOptions", "ImportReport", "import_decisions"]

KIND = "table"
MAX_LISTED = 25
ID_SEPARATOR = ":"  # how ingest joins several id columns into one external id
DECISION_COLUMNS = ["decision_id", "decided_at", "coder", "case", "document", "segment_id", "external_id",
                    "start", "end", "code_id", "code_label", "verdict", "memo", "score", "suggestion_id",
                    "workbook_id", "import_id", "codebook_version", "text"]
_VERDICTS = {"accept": "accepted", "accepted": "accepted", "reject": "rejected", "rejected": "rejected",
             "add": "added", "added": "added", "none": "none"}


def decision_table(study: "StudyContext", coder: str | None = None, history: bool = False) -> pd.DataFrame:
    """The current decisions (or, with ``history``, the whole log), one row per decision."""
    table = "decisions" if history else "current_decisions"
    sql = (f"SELECT d.id AS decision_id, d.decided_at, d.coder, doc.case_name AS 'case', doc.source_key AS document,"
           f" d.segment_id, s.external_id, s.start, s.end, d.code_id, c.label AS code_label, d.verdict, d.memo,"
           f" g.score, d.suggestion_id, d.workbook_id, d.import_id, d.codebook_version, s.text"
           f" FROM {table} d JOIN segments s ON s.id = d.segment_id JOIN documents doc ON doc.id = s.document_id"
           f" LEFT JOIN codes c ON c.codebook_version = d.codebook_version AND c.id = d.code_id"
           f" LEFT JOIN suggestions g ON g.id = d.suggestion_id")
    params: tuple[str, ...] = ()
    if coder:
        sql, params = sql + " WHERE d.coder = ?", (coder,)
    rows = study.store.query(sql + " ORDER BY d.id", params)
    return pd.DataFrame([dict(r) for r in rows], columns=DECISION_COLUMNS)


@dataclass(frozen=True)
class ImportOptions:
    """How to read a table of decisions made elsewhere.

    Exactly one of ``coder`` (every row) or ``coder_column``. ``id_columns``: the column(s)
    holding the segment's external id (several are joined with ':' as ingest does) or
    its segment id. ``code_column`` cells hold a code id, 'Label [id]' or a unique label,
    several separated by ';'. Blank code cells are skipped; cells equal to ``none_value``
    record 'no code applies'. ``verdict_column`` defaults every row to 'added'.
    """

    code_column: str
    id_columns: tuple[str, ...]
    coder: str | None = None
    coder_column: str | None = None
    verdict_column: str | None = None
    memo_column: str | None = None
    none_value: str | None = None
    codebook_version: str | None = None


@dataclass(frozen=True)
class ImportReport:
    path: Path
    file_hash: str
    status: str  # "imported" | "already imported"
    rows: int = 0
    skipped_blank: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    unchanged: int = 0
    coders: tuple[str, ...] = ()


def import_decisions(study: "StudyContext", path: Path | str, options: ImportOptions) -> ImportReport:
    """Record a CSV/XLSX of decisions as decisions of its coder(s); all rows or none."""
    path = Path(path)
    _check_options(options)
    frame = _read(path)
    _check_columns(path, frame, options)
    # The same file read with other options is another import, so both go in the key.
    digest = sha256(_bytes(path) + json.dumps(asdict(options), sort_keys=True).encode("utf-8"))
    if log.imported_before(study.store.conn, KIND, digest) is not None:
        return ImportReport(path, digest, "already imported")
    codebook = study.codebook(options.codebook_version)
    by_coder, skipped, problems = _decisions(study, path, frame, codebook, options)
    if problems:
        listed = problems[:MAX_LISTED] + ([f"... and {len(problems) - MAX_LISTED} more"] if len(problems) > MAX_LISTED else [])
        raise WorkbookError(f"{path}: nothing was imported ({len(problems)} problem(s)):\n  " + "\n  ".join(listed))
    counts: dict[str, int] = {}
    unchanged = 0
    with study.store.transaction() as conn:
        import_id = log.insert_import(conn, KIND, None, digest, str(path))
        for coder, decisions in by_coder.items():
            planned = log.plan(conn, coder, None, decisions)
            log.write_all(conn, import_id, coder, None, codebook.version, planned.writes)
            unchanged += planned.unchanged
            for verdict, n in planned.counts.items():
                counts[verdict] = counts.get(verdict, 0) + n
    return ImportReport(path, digest, "imported", len(frame), skipped, counts, unchanged, tuple(sorted(by_coder)))


def _check_options(options: ImportOptions) -> None:
    if (options.coder is None) == (options.coder_column is None):
        raise ConfigError("give exactly one of --coder NAME (every row) or --coder-column COLUMN")
    if not options.id_columns:
        raise ConfigError("--id-column is required: the column with each segment's external id (or segment id)")


def _bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise WorkbookError(f"{path}: cannot read the file ({exc}); check the path") from exc


def _read(path: Path) -> pd.DataFrame:
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            return pd.read_excel(path, dtype=str, keep_default_na=False)
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise WorkbookError(f"{path}: file not found; check the path") from exc
    except UnicodeDecodeError as exc:
        raise WorkbookError(f"{path}: not UTF-8 text ({exc}); save the table as CSV UTF-8") from exc
    except Exception as exc:  # pandas raises many types for unreadable tables
        raise WorkbookError(f"{path}: cannot read the table ({exc}); give a .csv (UTF-8) or .xlsx file") from exc


def _check_columns(path: Path, frame: pd.DataFrame, options: ImportOptions) -> None:
    named = [options.code_column, *options.id_columns, options.coder_column, options.verdict_column, options.memo_column]
    missing = [c for c in named if c and c not in frame.columns]
    if missing:
        raise WorkbookError(f"{path}: no column {', '.join(map(repr, missing))}; the file has: "
                            f"{', '.join(map(repr, frame.columns))}")


def _segment_index(study: "StudyContext") -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for r in study.store.query("SELECT id, external_id FROM current_segments"):
        if r["external_id"]:
            index.setdefault(r["external_id"], []).append(r["id"])
    for r in study.store.query("SELECT id FROM current_segments"):
        index.setdefault(r["id"], [r["id"]])
    return index


def _decisions(study: "StudyContext", path: Path, frame: pd.DataFrame, codebook: Codebook,
               options: ImportOptions) -> tuple[dict[str, list[log.Decision]], int, list[str]]:
    index = _segment_index(study)
    found: dict[tuple[str, str], list[log.Decision]] = {}
    rows_of: dict[tuple[str, str], list[int]] = {}
    problems: list[str] = []
    skipped = 0
    for i, record in enumerate(frame.to_dict("records")):
        where = f"{path.name}: row {i + 2}"  # row 1 is the header
        parsed = _row(record, index, codebook, options, where, problems)
        if parsed is None:
            continue
        coder, decisions = parsed
        if not decisions:
            skipped += 1
            continue
        key = (coder, decisions[0].segment_id)
        found.setdefault(key, []).extend(decisions)
        rows_of.setdefault(key, []).append(i + 2)
    by_coder: dict[str, list[log.Decision]] = {}
    for (coder, segment), decisions in found.items():
        try:
            by_coder.setdefault(coder, []).extend(sorted(log.reconcile(decisions), key=lambda d: d.code_id or ""))
        except ValueError as exc:
            rows = ", ".join(map(str, rows_of[(coder, segment)]))
            problems.append(f"{path.name}: rows {rows} (coder '{coder}', segment {segment}): {exc}")
    return by_coder, skipped, problems


def _row(record: dict[str, str], index: dict[str, list[str]], codebook: Codebook, options: ImportOptions,
         where: str, problems: list[str]) -> tuple[str, list[log.Decision]] | None:
    coder = options.coder or record[options.coder_column or ""].strip()
    if not coder:
        problems.append(f"{where}, column '{options.coder_column}': no coder named; fill in the coder")
        return None
    key = ID_SEPARATOR.join(record[c].strip() for c in options.id_columns)
    segments = index.get(key, [])
    id_cols = "+".join(options.id_columns)
    if len(segments) != 1:
        what = "matches no current segment" if not segments else f"matches {len(segments)} segments"
        problems.append(f"{where}, column '{id_cols}': id '{key}' {what}; give the external id ingest stored "
                        f"(see `deductive decisions` or the segments' external_id) or the segment id")
        return None
    verdict = _verdict(record, options, where, problems)
    memo = record[options.memo_column].strip() if options.memo_column else ""
    cell = record[options.code_column].strip()
    if verdict is None:
        return None
    if verdict == "none":
        return coder, [log.Decision(segments[0], None, "none", memo)]
    if not cell:
        return coder, []
    if options.none_value is not None and cell == options.none_value:
        return coder, [log.Decision(segments[0], None, "none" if verdict != "rejected" else "rejected", memo)]
    out = []
    for part in filter(None, (p.strip() for p in cell.split(";"))):
        try:
            code = L.resolve_code(part, codebook)
        except ValueError as exc:
            problems.append(f"{where}, column '{options.code_column}': {exc}")
            return None
        out.append(log.Decision(segments[0], code, verdict, memo))
    return coder, out


def _verdict(record: dict[str, str], options: ImportOptions, where: str, problems: list[str]) -> str | None:
    if not options.verdict_column:
        return "added"
    text = record[options.verdict_column].strip().lower() or "added"
    if text not in _VERDICTS:
        problems.append(f"{where}, column '{options.verdict_column}': '{text}' is not a verdict; use one of "
                        f"accepted, rejected, added, none")
        return None
    return _VERDICTS[text]
