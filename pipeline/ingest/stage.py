"""The ingest stage: find files, assign cases, store documents and segment them.

Each file is stored in its own transaction, so in a batch the good files are ingested,
the bad ones are reported with their reason, and the store stays consistent. A file
whose text is unchanged is not stored again; a changed file becomes a new version and
the older versions stay.

Cases come from a cases CSV (``--cases``, or a ``cases.csv`` at the top of an ingested
folder), from ``--case``, from a tabular case column, or from the first-level folder
name. Once a study has a cases CSV, a document naming any other case is an error.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from pipeline.config import SegmentSettings
from pipeline.carry import CarryReport
from pipeline.documents import (Segmented, carry_new_version, current_segmentation, insert_document, latest_version,
                                segment_and_carry, write_segments)
from pipeline.hashing import sha256
from pipeline.progress import report
from pipeline.errors import IngestError, InputError
from pipeline.ingest.decode import decode_bytes
from pipeline.ingest.read import SUPPORTED_EXTENSIONS, ReadOptions, read_file
from pipeline.records import ParsedDocument
from pipeline.segment import segmentation_id
from pipeline.store import Store, from_json, to_json

__all__ = [
    "IngestOptions",
    "FileOutcome",
    "IngestReport",
    "Candidate",
    "ingest",
    "discover",
    "register_cases",
    "parse_candidate",
    "store_parsed",
    "store_version",
    "read_cases_file",
    "CASES_FILE",
    "PSEUDONYMISED_FROM",
]

CASES_FILE = "cases.csv"
# Document attribute naming the version a pseudonymised version replaced (issue 19).
PSEUDONYMISED_FROM = "pseudonymised_from"
_CASE_COLUMNS = ("case", "case_id", "case_name")


@dataclass(frozen=True)
class IngestOptions:
    read: ReadOptions = field(default_factory=ReadOptions)
    segment: SegmentSettings = field(default_factory=SegmentSettings)
    cases_file: Path | None = None
    case: str | None = None


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one file: new | new version | unchanged | resegmented | failed."""

    path: str
    status: str
    documents: int = 0
    segments: int = 0
    reason: str = ""
    warnings: tuple[str, ...] = ()
    carried: int = 0  # decisions carried onto a new version's segments or a new segmentation
    not_carried: tuple[tuple[int, str], ...] = ()  # (decision id, reason)


@dataclass(frozen=True)
class IngestReport:
    outcomes: tuple[FileOutcome, ...]
    cases_added: tuple[str, ...] = ()

    @property
    def failed(self) -> tuple[FileOutcome, ...]:
        return tuple(o for o in self.outcomes if o.status == "failed")

    @property
    def ok(self) -> bool:
        return not self.failed


@dataclass(frozen=True)
class Candidate:
    """A file found by ``discover``, with the case its folder names (if any)."""

    path: Path
    rest: str  # path inside its case folder (or the file name), used in the source key
    folder_case: str | None
    # The ingested folder's own name, for files directly inside it: that folder may itself
    # be a case folder (`ingest DIR interviews/harbourside --cases cases.csv`).
    parent_folder: str | None = None


def read_cases_file(path: Path) -> dict[str, dict[str, str]]:
    """Case name -> attributes, from a CSV whose case column is case/case_id/case_name."""
    try:
        text = decode_bytes(path.read_bytes(), path).text
    except OSError as exc:
        raise InputError(f"{path}: cannot read the cases file ({exc})") from exc
    except IngestError as exc:
        raise InputError(f"{path}: cannot read the cases file: {exc.reason}") from exc
    rows = list(csv.DictReader(io.StringIO(text)))
    header = list(rows[0].keys()) if rows else []
    key = next((c for c in header if c.strip().lower() in _CASE_COLUMNS), None)
    if key is None:
        raise InputError(
            f"{path}: no case column; name one of the columns {' or '.join(_CASE_COLUMNS)} "
            f"(found: {', '.join(header) or 'no rows'})"
        )
    cases: dict[str, dict[str, str]] = {}
    for number, row in enumerate(rows, start=2):
        name = (row.get(key) or "").strip()
        if not name:
            raise InputError(f"{path}: row {number}: empty case name; fill it in or delete the row")
        if name in cases:
            raise InputError(f"{path}: row {number}: duplicate case name '{name}'; case names must be unique")
        cases[name] = {k.strip(): (v or "").strip() for k, v in row.items() if k != key and k and (v or "").strip()}
    return cases


def ingest(store: Store, paths: Sequence[Path], options: IngestOptions) -> IngestReport:
    """Ingest files and folders into the store; see the module docstring.

    The steps are public so that an orchestrator can run them separately (parsing in
    parallel, storing one file at a time): ``discover``, ``register_cases``,
    ``parse_candidate`` and ``store_parsed``.
    """
    candidates, cases_file, skipped = discover(paths, options.cases_file)
    added = register_cases(store, cases_file) if cases_file else ()
    outcomes = list(skipped)
    for done, candidate in enumerate(candidates, start=1):
        outcomes.append(_one_file(store, candidate, options))
        report("ingest", done, len(candidates))
    return IngestReport(tuple(outcomes), added)


def _one_file(store: Store, candidate: Candidate, options: IngestOptions) -> FileOutcome:
    """One file, whatever goes wrong in it: no single bad file stops a batch (issue 15)."""
    try:
        parsed = parse_candidate(candidate, options)
        return parsed if isinstance(parsed, FileOutcome) else store_parsed(store, candidate, parsed, options)
    except InputError as exc:
        return FileOutcome(str(candidate.path), "failed", reason=str(exc))
    except (ValueError, RuntimeError, MemoryError, RecursionError) as exc:  # a reader or spaCy gave up on it
        return FileOutcome(str(candidate.path), "failed",
                           reason=f"could not be read or segmented ({type(exc).__name__}: {str(exc)[:300]}); "
                                  f"the other files were ingested; check this file or report the problem")


def discover(paths: Sequence[Path], cases_file: Path | None) -> tuple[list[Candidate], Path | None, list[FileOutcome]]:
    found: list[Candidate] = []
    skipped: list[FileOutcome] = []
    for root in map(Path, paths):
        if root.is_file():
            found.append(Candidate(root, root.name, None))
        elif root.is_dir():
            if cases_file is None and (root / CASES_FILE).is_file():
                cases_file = root / CASES_FILE
            for path in sorted(_walk(root)):
                rel = path.relative_to(root)
                if rel.as_posix() == CASES_FILE:
                    continue
                folder_case = rel.parts[0] if len(rel.parts) > 1 else None
                rest = Path(*rel.parts[1:]).as_posix() if folder_case else rel.as_posix()
                found.append(Candidate(path, rest, folder_case, None if folder_case else root.resolve().name))
        else:
            skipped.append(FileOutcome(str(root), "failed", reason="no such file or folder"))
    return found, cases_file, skipped


def _walk(root: Path) -> Iterable[Path]:
    for path in root.rglob("*"):
        rel = path.relative_to(root)
        hidden = any(p.startswith(".") or p.startswith("~$") for p in rel.parts)
        if path.is_file() and not hidden:
            yield path


def register_cases(store: Store, cases_file: Path) -> tuple[str, ...]:
    cases = read_cases_file(cases_file)
    added = []
    with store.transaction() as conn:
        for name, attributes in cases.items():
            row = conn.execute("SELECT attributes FROM cases WHERE name = ?", (name,)).fetchone()
            if row is None:
                added.append(name)
                conn.execute("INSERT INTO cases(name, attributes) VALUES (?, ?)", (name, to_json(attributes)))
            else:
                merged = {**from_json(row["attributes"]), **attributes}
                conn.execute("UPDATE cases SET attributes = ? WHERE name = ?", (to_json(merged), name))
        store.set_meta("cases_declared", str(cases_file))
    return tuple(added)


def parse_candidate(candidate: Candidate, options: IngestOptions) -> tuple[list[ParsedDocument], str] | FileOutcome:
    """Read one file (no store access): its documents and file hash, or a failed outcome."""
    path = candidate.path
    if path.suffix.lower() not in SUPPORTED_EXTENSIONS:
        return FileOutcome(
            str(path), "failed",
            reason=f"unsupported file type '{path.suffix}'; supported: {', '.join(sorted(SUPPORTED_EXTENSIONS))}",
        )
    try:
        return read_file(path, options.read), sha256(path.read_bytes())
    except IngestError as exc:
        return FileOutcome(str(path), "failed", reason=exc.reason)
    except OSError as exc:
        return FileOutcome(str(path), "failed", reason=f"cannot read the file ({exc.strerror})")


def store_parsed(store: Store, candidate: Candidate, parsed_file: tuple[list[ParsedDocument], str],
                 options: IngestOptions) -> FileOutcome:
    """Store one parsed file's documents and segments in one transaction."""
    path = candidate.path
    parsed, file_hash = parsed_file
    try:
        with store.transaction() as conn:
            statuses, segments, carry = [], 0, CarryReport()
            for doc in parsed:
                case = _case_for(store, candidate, doc, options)
                key = f"{case}/{candidate.rest}" + (f"#{doc.key_suffix}" if doc.key_suffix and doc.key_suffix != case else "")
                status, done = _store_document(conn, doc, key, str(path.resolve()), file_hash, case, options.segment)
                statuses.append(status)
                segments += done.segments
                carry = carry + done.carry
    except IngestError as exc:
        return FileOutcome(str(path), "failed", reason=exc.reason)
    except InputError as exc:
        return FileOutcome(str(path), "failed", reason=str(exc))
    status = _overall(statuses)
    warnings = tuple(w for doc in parsed for w in doc.warnings)
    return FileOutcome(str(path), status, len(parsed), segments, warnings=warnings,
                       carried=len(carry.carried), not_carried=carry.not_carried)


def _overall(statuses: list[str]) -> str:
    for status in ("new", "new version", "resegmented"):
        if status in statuses:
            return status
    return "unchanged"


def _case_for(store: Store, candidate: Candidate, doc: ParsedDocument, options: IngestOptions) -> str:
    case = options.case or doc.case or candidate.folder_case or _known_case(store, candidate.parent_folder)
    if not case:
        where = f"it sits directly in '{candidate.parent_folder}', which is not a case of the study" if candidate.parent_folder else "it was given as a single file"
        raise IngestError(
            candidate.path,
            f"no case for this file ({where}): give --case NAME, a case column, list the folder's name in "
            "the cases file, or ingest the folder that holds one sub-folder per case",
        )
    row = store.conn.execute("SELECT attributes FROM cases WHERE name = ?", (case,)).fetchone()
    if row is None:
        declared = store.get_meta("cases_declared")
        if declared:
            raise IngestError(
                candidate.path, f"case '{case}' is not in the cases file {declared}; add a row for it there"
            )
        store.conn.execute("INSERT INTO cases(name, attributes) VALUES (?, ?)", (case, to_json(dict(doc.attributes))))
    elif doc.attributes:
        merged = {**dict(doc.attributes), **from_json(row["attributes"])}
        store.conn.execute("UPDATE cases SET attributes = ? WHERE name = ?", (to_json(merged), case))
    return case


def _known_case(store: Store, name: str | None) -> str | None:
    """``name`` if the study already has a case of that name (e.g. from the cases file)."""
    if name and store.conn.execute("SELECT 1 FROM cases WHERE name = ?", (name,)).fetchone():
        return name
    return None


def _store_document(conn, doc: ParsedDocument, key: str, source_path: str, file_hash: str,
                    case: str, settings: SegmentSettings) -> tuple[str, Segmented]:
    previous = latest_version(conn, key)
    if previous is not None and (previous["content_hash"] == sha256(doc.text) or _pseudonymised_original(conn, previous, doc.text)):
        doc_id = previous["id"]
        if current_segmentation(conn, doc_id) == segmentation_id(settings):
            count = conn.execute(
                "SELECT COUNT(*) FROM current_segments WHERE document_id = ?", (doc_id,)
            ).fetchone()[0]
            return "unchanged", Segmented(int(count))
        return "resegmented", segment_and_carry(conn, doc_id, doc.text, doc.blocks, settings)
    doc_id = insert_document(conn, doc, source_key=key, source_path=source_path, file_hash=file_hash, case=case)
    count = write_segments(conn, doc_id, doc.text, doc.blocks, settings)
    if previous is None:
        return "new", Segmented(count)
    # Decisions on the text that did not change follow it into the new version.
    return "new version", Segmented(count, carry_new_version(conn, previous["id"], doc_id))


def _pseudonymised_original(conn, current, text: str) -> bool:
    """Re-ingesting the original of a pseudonymised document must not bring the names back:
    the file is unchanged since the version that pseudonymisation replaced (issue 19)."""
    replaced = from_json(current["attributes"]).get(PSEUDONYMISED_FROM)
    if not replaced:
        return False
    row = conn.execute("SELECT content_hash FROM documents WHERE id = ?", (replaced,)).fetchone()
    return row is not None and row["content_hash"] == sha256(text)


def store_version(conn, doc: ParsedDocument, key: str, source_path: str, file_hash: str,
                  case: str, settings: SegmentSettings) -> tuple[str, "Segmented"]:
    """Store ``doc`` as the next version of source ``key`` and segment it, exactly as ingest
    does: the one path every new document version takes (pseudonymise uses it too), so
    whatever ingest does for new versions (carrying decisions over) happens for all."""
    return _store_document(conn, doc, key, source_path, file_hash, case, settings)
