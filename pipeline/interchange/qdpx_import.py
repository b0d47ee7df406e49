"""REFI-QDA project import (.qdpx): documents, codes and codings from another tool.

The whole package is read and checked before anything is written; then one transaction
stores it all (or, on any error, nothing):

- every ``TextSource`` becomes a document in its case (the ``Case`` whose ``SourceRef``
  names it; a source in no case gets a case named after the source). Its plain text is
  read as UTF-8 (a BOM is dropped; CRLF and CR become LF, with selection offsets moved
  to match) and becomes blocks with the ingest stage's rules (paragraphs, or speaker
  turns when it reads as a transcript), then segments with the study's settings.
  Picture, PDF, audio and video sources are skipped and reported.
- codes join the study's codebook (same GUID, ``ID:`` or label under the same parent)
  or extend it; the union is stored as a new codebook version.
- a selection codes the segments it covers: every segment at least half inside the
  selection; if there is none, the one segment it overlaps most. A selection that
  touches no segment (only whitespace or a speaker label) is reported, not stored.
- each ``Coding`` becomes an ``added`` decision of its user (the coding's
  ``creatingUser``, else the selection's, else the project's creating user), under an
  ``imports`` row of kind ``qdpx``; the selection's description is the decision memo.
- case variables become case attributes, except the ``rating:<code id>`` (Integer) and
  ``rating_mixed:<code id>`` (Boolean) variables that ``deductive export`` writes, which
  come back as ratings when the codebook has that code.
- the GUIDs of codes, sources, cases and users are remembered, so a later export keeps
  them.

Bad input (not a zip, no project.qde, a missing source file, a selection outside its
text, a duplicate GUID, a coding of an unknown code) raises ``ExchangeError`` naming the
file and element.

A .qdpx is untrusted: before any member is read, the zip's directory is checked against
``InterchangeSettings`` (total unpacked size, unpacking ratio, number of files), so a zip
bomb is refused in milliseconds; zipfile never returns more than a member's declared size.
Nothing is ever written to disk from the zip (no extraction, so no path traversal), and
memory stays linear in the text: a few bytes per character, no per-character lists.
"""

from __future__ import annotations

import re
import zipfile
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from lxml import etree

from pipeline.codebook import Codebook, save_codebook, stored_codebook
from pipeline.config import InterchangeSettings, SegmentSettings
from pipeline.documents import current_segmentation, insert_document, latest_version, write_segments
from pipeline.hashing import sha256
from pipeline.ingest.read import DEFAULT_SPEAKER_PATTERN
from pipeline.ingest.transcript import build_blocks, compile_speaker_pattern, text_spans
from pipeline.interchange.archive import check_zip_limits, file_sha256, read_member
from pipeline.interchange.guids import GuidBook, remember
from pipeline.interchange.qdc import IncomingCode, merge_codes, read_codes
from pipeline.interchange.xmlutil import PROJECT_NS, ExchangeError, local, parse_xml, q
from pipeline.records import ParsedDocument
from pipeline.review.log import Decision, imported_before, insert_import, plan, write_all
from pipeline.segment import segmentation_id
from pipeline.store import Store, from_json, to_json

__all__ = ["ImportReport", "import_project", "read_project", "Project", "segments_for_selection", "OVERLAP"]

KIND = "qdpx"
OVERLAP = 0.5  # share of a segment a selection must cover to code it
_RATING_TEXT = {"-2": "-2", "-1": "-1", "0": "0", "1": "+1", "+1": "+1", "2": "+2", "+2": "+2"}
_OTHER_SOURCES = ("PictureSource", "PDFSource", "AudioSource", "VideoSource")


@dataclass(frozen=True)
class _Coding:
    guid: str
    user: str  # display name
    code_guid: str
    start: int  # in the normalised text
    end: int
    memo: str
    selection: str  # guid of the selection (or the source for whole-source codings)


@dataclass
class _Source:
    guid: str
    name: str
    text: str
    raw_hash: str
    member: str  # where the text came from, for messages and source_path
    case: str = ""
    codings: list[_Coding] = field(default_factory=list)


@dataclass
class Project:
    """A parsed, checked .qdpx package, not yet stored."""

    path: Path
    name: str
    file_hash: str
    users: dict[str, str]  # guid -> name
    codes: list[IncomingCode]
    sources: list[_Source]
    cases: dict[str, dict[str, str]]  # case name -> attributes
    case_guids: dict[str, str]
    ratings: list[tuple[str, str, str]]  # (case, code id, rating) from rating variables
    skipped_sources: list[str]
    warnings: list[str]

    @property
    def codings(self) -> int:
        return sum(len(s.codings) for s in self.sources)


@dataclass(frozen=True)
class ImportReport:
    path: Path
    import_id: int
    sources: int
    documents_new: int
    cases_added: tuple[str, ...]
    codes: int
    codes_added: tuple[str, ...]
    codebook_version: str
    users: tuple[str, ...]
    codings: int
    codings_mapped: int
    unmapped: tuple[str, ...]  # "selection <guid> in <source>: why"
    decisions: int
    ratings: int
    skipped_sources: tuple[str, ...]
    warnings: tuple[str, ...]


# --- reading and checking ------------------------------------------------------------


def read_project(path: Path | str, limits: InterchangeSettings | None = None) -> Project:
    """Open, parse and check a .qdpx package; raises ExchangeError naming the problem."""
    path = Path(path)
    try:
        file_hash = file_sha256(path)
        archive = zipfile.ZipFile(path)  # reads only the zip's directory
    except OSError as exc:
        raise ExchangeError(path, f"cannot read the file ({exc.strerror}); check the path") from exc
    except zipfile.BadZipFile as exc:
        raise ExchangeError(path, "not a zip archive; a .qdpx file is a zip holding project.qde and sources/") from exc
    with archive:
        check_zip_limits(path, archive.infolist(), limits or InterchangeSettings())
        members = {name: name for name in archive.namelist()}
        qde = next((n for n in members if n.lower() == "project.qde"), None)
        if qde is None:
            raise ExchangeError(path, "no project.qde at the top of the zip; export the project again from the QDA program")
        root = parse_xml(read_member(archive, qde, path), f"{path}!{qde}")
        where = f"{path}!{qde}"
        if local(root) != "Project" or etree.QName(root).namespace != PROJECT_NS:
            raise ExchangeError(where, f"the root element is <{root.tag}>, not <Project xmlns=\"{PROJECT_NS}\">")
        _check_guids(where, root)
        users = {u.get("guid"): (u.get("name") or u.get("id") or u.get("guid")) for u in root.iter(q(PROJECT_NS, "User"))}
        codes_element = root.find(f"{q(PROJECT_NS, 'CodeBook')}/{q(PROJECT_NS, 'Codes')}")
        codes = read_codes(codes_element, PROJECT_NS, where) if codes_element is not None else []
        default_user = users.get(root.get("creatingUserGUID") or "", root.get("creatingUserGUID") or "")
        context = _Context(where, users, {c.guid for c in codes}, default_user or "qdpx import")
        sources, skipped = [], []
        sources_element = root.find(q(PROJECT_NS, "Sources"))
        for element in sources_element if sources_element is not None else []:
            if local(element) in _OTHER_SOURCES:
                skipped.append(f"{local(element)} '{element.get('name') or element.get('guid')}' (only text sources are imported)")
                continue
            if local(element) == "TextSource":
                sources.append(_read_source(archive, element, context))
    cases, case_guids, ratings = _cases(root, sources)
    return Project(path, root.get("name") or path.stem, file_hash, users, codes, sources, cases, case_guids,
                   ratings, skipped, [])


@dataclass(frozen=True)
class _Context:
    where: str
    users: dict[str, str]
    code_guids: set[str]
    default_user: str


def _check_guids(where: str, root: etree._Element) -> None:
    """Each object's GUID once (references to it use targetGUID, not guid)."""
    seen: dict[str, etree._Element] = {}
    for element in root.iter():
        value = element.get("guid") if isinstance(element.tag, str) else None
        if not value:
            continue
        key = value.strip("{}").lower()
        if key in seen:
            first = seen[key]
            raise ExchangeError(where, f"duplicate GUID {value}: <{local(element)}> on line {element.sourceline} "
                                       f"reuses the GUID of <{local(first)}> on line {first.sourceline}; "
                                       "GUIDs must be unique")
        seen[key] = element


def _read_source(archive: zipfile.ZipFile, element: etree._Element, ctx: _Context) -> _Source:
    guid = element.get("guid")
    label = f"TextSource '{element.get('name') or guid}' (line {element.sourceline})"
    inline = element.find(q(PROJECT_NS, "PlainTextContent"))
    if inline is not None and inline.text is not None:
        raw, member = inline.text, f"{label} PlainTextContent"
    else:
        member = _member(archive, element.get("plainTextPath") or "", label, ctx.where)
        try:
            raw = read_member(archive, member, ctx.where).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ExchangeError(ctx.where, f"{label}: {member} is not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    text, crlf = _normalise(raw)
    name = (element.get("name") or PurePosixPath(member).name or guid).strip()
    source = _Source(guid, name, text, sha256(raw), member)
    length = len(raw)
    del raw  # only the normalised text is kept
    for i, sel in enumerate(element.findall(q(PROJECT_NS, "PlainTextSelection"))):
        start, end = _positions(sel, length, label, ctx.where)
        memo = (sel.findtext(q(PROJECT_NS, "Description")) or "").strip()
        sel_user = ctx.users.get(sel.get("creatingUser") or "", sel.get("creatingUser") or ctx.default_user)
        first, last = _text_offset(start, crlf), _text_offset(end, crlf)
        for coding in sel.findall(q(PROJECT_NS, "Coding")):
            source.codings.append(_coding(coding, sel_user, first, last, memo, sel.get("guid"), label, ctx))
    for coding in element.findall(q(PROJECT_NS, "Coding")):  # the whole source coded
        source.codings.append(_coding(coding, ctx.default_user, 0, len(text), "", guid, label, ctx))
    return source


def _member(archive: zipfile.ZipFile, path: str, label: str, where: str) -> str:
    if not path:
        raise ExchangeError(where, f"{label}: neither plainTextPath nor PlainTextContent; the source has no text")
    if path.startswith("internal://"):
        wanted = ["sources/" + path[len("internal://"):]]
    else:
        relative = path.split("://", 1)[-1].lstrip("/")
        wanted = ["sources/" + relative, relative, "sources/" + PurePosixPath(relative).name]
    names = {n.lower(): n for n in archive.namelist()}
    for candidate in wanted:
        if candidate.lower() in names:
            return names[candidate.lower()]
    raise ExchangeError(where, f"{label}: its text {path} is missing from the zip (looked for {wanted[0]}); "
                               "export the project again with its sources")


def _positions(sel: etree._Element, length: int, label: str, where: str) -> tuple[int, int]:
    try:
        start, end = int(sel.get("startPosition", "")), int(sel.get("endPosition", ""))
    except ValueError as exc:
        raise ExchangeError(where, f"{label}: PlainTextSelection {sel.get('guid')} (line {sel.sourceline}) has "
                                   "no whole-number startPosition/endPosition") from exc
    if not 0 <= start <= end <= length:
        raise ExchangeError(where, f"{label}: PlainTextSelection {sel.get('guid')} (line {sel.sourceline}) spans "
                                   f"{start}-{end}, outside the text of {length} characters; the source and the "
                                   "project do not match")
    return start, end


def _coding(coding: etree._Element, user: str, start: int, end: int, memo: str, selection: str,
            label: str, ctx: _Context) -> _Coding:
    ref = coding.find(q(PROJECT_NS, "CodeRef"))
    target = ref.get("targetGUID") if ref is not None else None
    if target not in ctx.code_guids:
        raise ExchangeError(ctx.where, f"{label}: Coding {coding.get('guid')} (line {coding.sourceline}) refers to "
                                       f"code {target}, which is not in the CodeBook")
    creator = coding.get("creatingUser")
    name = ctx.users.get(creator, creator) if creator else user
    return _Coding(coding.get("guid"), name, target, start, end, memo, selection)


def _normalise(raw: str) -> tuple[str, list[int]]:
    """LF-only text, and the raw offset of the LF of each CRLF (one entry per line, not per
    character: a per-character offset table cost ~40 bytes a character)."""
    if "\r" not in raw:
        return raw, []
    crlf = [m.start() + 1 for m in re.finditer("\r\n", raw)]
    return raw.replace("\r\n", "\n").replace("\r", "\n"), crlf


def _text_offset(raw_offset: int, crlf: list[int]) -> int:
    """Where a raw offset lands in the normalised text: each CRLF at or before it lost a
    character (the LF of a CRLF lands where the CR did)."""
    return raw_offset - bisect_right(crlf, raw_offset)


def _cases(root: etree._Element, sources: list[_Source]) -> tuple[dict[str, dict[str, str]], dict[str, str], list[tuple[str, str, str]]]:
    """Case attributes, case GUIDs and candidate ratings ``(case, code id, rating)``."""
    variables = {v.get("guid"): v.get("name") or "" for v in root.iter(q(PROJECT_NS, "Variable"))}
    by_guid = {s.guid: s for s in sources}
    cases: dict[str, dict[str, str]] = {}
    guids: dict[str, str] = {}
    ratings: list[tuple[str, str, str]] = []
    for case in root.iter(q(PROJECT_NS, "Case")):
        name = (case.get("name") or case.get("guid")).strip()
        attributes = cases.setdefault(name, {})
        guids[name] = case.get("guid")
        for value in case.findall(q(PROJECT_NS, "VariableValue")):
            ref = value.find(q(PROJECT_NS, "VariableRef"))
            variable = variables.get(ref.get("targetGUID") if ref is not None else None)
            held = [c for c in value if local(c) != "VariableRef"]
            if not variable or not held or held[0].text is None:
                continue
            text = held[0].text.strip()
            rating = _rating(variable, local(held[0]), text)
            if rating is not None:
                ratings.append((name, variable.split(":", 1)[1], rating))
            else:
                attributes[variable] = text
        for ref in case.findall(q(PROJECT_NS, "SourceRef")):
            source = by_guid.get(ref.get("targetGUID"))
            if source is not None and not source.case:
                source.case = name
    for source in sources:
        if not source.case:
            source.case = PurePosixPath(source.name).stem or source.guid
            cases.setdefault(source.case, {})
    return cases, guids, ratings


def _rating(variable: str, kind: str, text: str) -> str | None:
    """The stored rating of a ``rating:<code>`` / ``rating_mixed:<code>`` value, as exported by deductive."""
    if variable.startswith("rating:") and kind == "IntegerValue" and text in _RATING_TEXT:
        return _RATING_TEXT[text]
    if variable.startswith("rating_mixed:") and kind == "BooleanValue" and text in ("true", "1"):
        return "X"
    return None


# --- mapping and storing -------------------------------------------------------------


def segments_for_selection(start: int, end: int, segments: list[tuple[str, int, int]]) -> list[str]:
    """Ids of the segments a selection codes (see the module docstring for the rule)."""
    covered, best, best_overlap = [], None, 0
    for seg_id, s, e in segments:
        overlap = min(end, e) - max(start, s)
        if overlap <= 0:
            continue
        if overlap >= OVERLAP * (e - s):
            covered.append(seg_id)
        if overlap > best_overlap:
            best, best_overlap = seg_id, overlap
    return covered or ([best] if best else [])


def import_project(store: Store, path: Path | str, segment: SegmentSettings | None = None,
                   speaker_pattern: str = "", limits: InterchangeSettings | None = None) -> ImportReport:
    """Import a .qdpx package into the study store in one transaction."""
    project = read_project(path, limits)
    settings = segment or SegmentSettings()
    pattern = compile_speaker_pattern(speaker_pattern or DEFAULT_SPEAKER_PATTERN)
    with store.transaction() as conn:
        earlier = imported_before(conn, KIND, project.file_hash)
        if earlier is not None:
            raise ExchangeError(project.path, f"this file was already imported on {earlier['imported_at']} "
                                              f"(import {earlier['id']}); nothing was changed")
        import_id = insert_import(conn, KIND, None, project.file_hash, str(project.path.resolve()))
        guids = GuidBook.from_store(conn)
        existing = stored_codebook(conn)
        merged = merge_codes(project.codes, existing, project.name, str(project.path), guids)
        if merged.codebook.codes:
            save_codebook(conn, merged.codebook)
        added_cases = _store_cases(conn, project)
        ratings = _store_ratings(conn, project, merged.codebook, import_id)
        by_coder: dict[str, dict[tuple[str, str], Decision]] = defaultdict(dict)
        unmapped: list[str] = []
        mapped = new_docs = 0
        for source in project.sources:
            doc_id, is_new = _store_source(conn, project, source, settings, pattern)
            new_docs += is_new
            segments = [(r["id"], r["start"], r["end"]) for r in conn.execute(
                "SELECT id, start, end FROM current_segments WHERE document_id = ? ORDER BY start", (doc_id,))]
            for coding in source.codings:
                hits = segments_for_selection(coding.start, coding.end, segments)
                if not hits:
                    unmapped.append(f"selection {coding.selection} in '{source.name}' ({coding.start}-{coding.end}): "
                                    "covers no segment text")
                    continue
                mapped += 1
                code_id = merged.ids[coding.code_guid]
                for seg_id in hits:
                    by_coder[coding.user].setdefault((seg_id, code_id), Decision(seg_id, code_id, "added", coding.memo))
            remember(conn, "source", (_source_key(source),), source.guid)
        written = 0
        for coder in sorted(by_coder):
            planned = plan(conn, coder, None, list(by_coder[coder].values()))
            write_all(conn, import_id, coder, None, merged.codebook.version, planned.writes)
            written += len(planned.writes)
        for code in project.codes:
            remember(conn, "code", (merged.ids[code.guid],), code.guid)
        for user_guid, name in project.users.items():
            remember(conn, "user", (name,), user_guid)
        for case, case_guid in project.case_guids.items():
            remember(conn, "case", (case,), case_guid)
    return ImportReport(
        path=project.path, import_id=import_id, sources=len(project.sources), documents_new=new_docs,
        cases_added=tuple(added_cases), codes=len(project.codes), codes_added=tuple(merged.added),
        codebook_version=merged.codebook.version if merged.codebook.codes else "", users=tuple(project.users.values()),
        codings=project.codings, codings_mapped=mapped, unmapped=tuple(unmapped), decisions=written, ratings=ratings,
        skipped_sources=tuple(project.skipped_sources), warnings=tuple(merged.warnings + project.warnings),
    )


def _store_ratings(conn, project: Project, book: Codebook, import_id: int) -> int:
    """Ratings of codes the codebook has; a rating of an unknown code stays a case attribute."""
    known = {c.id for c in book.codes}
    stored = 0
    for case, code_id, rating in project.ratings:
        if code_id in known:
            conn.execute("INSERT INTO ratings(case_name, code_id, codebook_version, rating, import_id)"
                         " VALUES (?,?,?,?,?)", (case, code_id, book.version, rating, import_id))
            stored += 1
        else:
            row = conn.execute("SELECT attributes FROM cases WHERE name = ?", (case,)).fetchone()
            prefix = "rating_mixed:" if rating == "X" else "rating:"
            attributes = {**from_json(row["attributes"]), prefix + code_id: rating}
            conn.execute("UPDATE cases SET attributes = ? WHERE name = ?", (to_json(attributes), case))
    return stored


def _store_cases(conn, project: Project) -> list[str]:
    added = []
    for name, attributes in project.cases.items():
        row = conn.execute("SELECT attributes FROM cases WHERE name = ?", (name,)).fetchone()
        if row is None:
            conn.execute("INSERT INTO cases(name, attributes) VALUES (?, ?)", (name, to_json(attributes)))
            added.append(name)
        elif attributes:
            merged = {**from_json(row["attributes"]), **attributes}
            conn.execute("UPDATE cases SET attributes = ? WHERE name = ?", (to_json(merged), name))
    return added


def _source_key(source: _Source) -> str:
    """The study's key of a source: '<case>/<name>' (names exported by deductive already carry the case)."""
    prefix = f"{source.case}/"
    return source.name if source.name.startswith(prefix) else prefix + source.name


def _store_source(conn, project: Project, source: _Source, settings: SegmentSettings, pattern) -> tuple[str, bool]:
    """Store (or reuse) the document and make sure it is segmented; (document id, new?)."""
    key = _source_key(source)
    previous = latest_version(conn, key)
    blocks = build_blocks(source.text, text_spans(source.text), pattern)
    if previous is not None and previous["content_hash"] == sha256(source.text):
        if current_segmentation(conn, previous["id"]) != segmentation_id(settings):
            write_segments(conn, previous["id"], source.text, blocks, settings)
        return previous["id"], False
    doc = ParsedDocument(source.text, blocks, "text", "utf-8")
    doc_id = insert_document(conn, doc, source_key=key, source_path=f"{project.path.resolve()}!{source.member}",
                             file_hash=source.raw_hash, case=source.case)
    write_segments(conn, doc_id, source.text, blocks, settings)
    return doc_id, True
