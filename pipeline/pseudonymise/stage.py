"""The pseudonymise stage over a study: propose (detect, write the review workbook and
the key) and apply (write the accepted replacements as new document versions).

    report = propose(study, key_path=Path("~/keys/study.key.json"), names_path=...)
    # the researcher reviews report.workbook
    result = apply_review(study, report.workbook, key_path)

Nothing is stored until ``apply_review`` has checked the whole workbook; then every new
version is written in one transaction, through the same path as ingest's new versions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from pipeline.documents import load_blocks
from pipeline.errors import InputError, StudyError, WorkbookError
from pipeline.ingest.stage import PSEUDONYMISED_FROM, store_version
from pipeline.pseudonymise.apply import Replacement, find_added, map_blocks, replace_spans
from pipeline.pseudonymise.detect import SourceText, already_pseudonymised, assign_codes, detect
from pipeline.pseudonymise.entities import KINDS, Mention, make_code, normalise, parse_code
from pipeline.pseudonymise.key import Key, KeyEntry, check_outside, read_key, remember_study_id, study_id, write_key
from pipeline.pseudonymise.names import KnownName, load_names, study_names
from pipeline.pseudonymise.workbook import ACCEPT, REJECT, AddRow, ReviewItem, ReviewRow, read_review, write_review
from pipeline.records import ParsedDocument
from pipeline.store import from_json

if TYPE_CHECKING:
    from pipeline.context import StudyContext

__all__ = ["ProposeReport", "ApplyReport", "propose", "apply_review", "default_workbook", "CONTEXT_CHARS"]

CONTEXT_CHARS = 70


@dataclass(frozen=True)
class ProposeReport:
    workbook: Path
    key: Path
    documents: int
    skipped: tuple[str, ...]  # source keys already pseudonymised
    mentions: tuple[Mention, ...]


@dataclass(frozen=True)
class ApplyReport:
    documents: int
    replacements: int
    rejected: int
    added: int
    new_codes: int


def default_workbook(key_path: Path) -> Path:
    key_path = key_path.expanduser()
    return key_path.with_name(key_path.name.split(".")[0] + "-review.xlsx")


def propose(study: "StudyContext", key_path: Path, names_path: Path | None = None, workbook_path: Path | None = None,
            model: Callable[..., Any] | None | bool = True) -> ProposeReport:
    """Find identifiers in every current document and write the review workbook and key.

    ``model``: True loads the packaged spaCy model; False uses rules and lists only; a
    callable ``(text, spans) -> (start, end, kind)`` is used as given (tests).
    """
    workbook_path = (workbook_path or default_workbook(key_path)).expanduser()
    check_outside(key_path, study.root)
    check_outside(workbook_path, study.root, "the review workbook (it shows the identifiable text)")
    listed = load_names(names_path) if names_path else []
    sid, new_study = study_id(study.store)
    key = read_key(key_path.expanduser(), sid)
    if new_study and key.entries:
        raise InputError(f"{key_path}: this key belongs to another study; give this study's key or a new path")
    documents = _current_documents(study)
    if not documents:
        raise StudyError(f"{study.root}: no documents to pseudonymise; ingest some first")
    todo = [d for d in documents if not already_pseudonymised(d["text"])]
    skipped = tuple(d["source_key"] for d in documents if already_pseudonymised(d["text"]))
    if not todo:
        raise InputError(f"{study.root}: every document is already pseudonymised (its text holds codes such as "
                         "[PERSON_01]); nothing was changed. Detection runs on original text only: new documents "
                         "you ingest later are found and get the same codes from the key")
    sources = [SourceText(d["id"], d["text"], tuple((b.start, b.end) for b in d["blocks"])) for d in todo]
    names = listed + _key_names(key) + _known_names(study, todo)  # the first name given for a form wins
    mentions = detect(sources, names, _model(model))
    mentions, _ = assign_codes(mentions, key.codes())
    by_id = {d["id"]: d for d in todo}
    items = [_item(m, by_id[m.document_id]) for m in mentions]
    workbook_path.parent.mkdir(parents=True, exist_ok=True)
    write_review(workbook_path, items, sid)
    write_key(key_path, _updated_key(key, mentions))
    if new_study:
        remember_study_id(study.store, sid)
    return ProposeReport(workbook_path, key_path, len(todo), skipped, tuple(mentions))


def _model(model: Any) -> Callable[..., Any] | None:
    if model is True:
        from pipeline.pseudonymise.ner import find_entities, load_ner

        nlp = load_ner()
        return lambda text, spans: find_entities(text, spans, nlp)
    return model or None


def _current_documents(study: "StudyContext") -> list[dict[str, Any]]:
    rows = study.store.query("SELECT * FROM current_documents ORDER BY case_name, source_key")
    return [{**dict(r), "blocks": load_blocks(study.store.conn, r["id"])} for r in rows]


def _known_names(study: "StudyContext", documents: Sequence[dict[str, Any]]) -> list[KnownName]:
    cases = {r["name"]: from_json(r["attributes"]) for r in study.store.query("SELECT name, attributes FROM cases")}
    speakers = [b.speaker for d in documents for b in d["blocks"] if b.speaker]
    return study_names(cases, speakers)


def _key_names(key: Key) -> list[KnownName]:
    """Names found in earlier rounds, so that later documents get the same codes."""
    return [KnownName(e.original, e.kind, e.variants, origin="key", entity=e.entity) for e in key.entries.values()
            if e.kind in ("PERSON", "ORG", "PLACE")]


def _item(m: Mention, doc: dict[str, Any]) -> ReviewItem:
    text = doc["text"]
    before = text[max(0, m.start - CONTEXT_CHARS):m.start]
    after = text[m.end:m.end + CONTEXT_CHARS]
    context = " ".join(f"…{before}[[{m.text}]]{after}…".split())
    return ReviewItem(m.code, m.kind, m.text, context, m.source, doc["source_key"], doc["id"], m.start, m.end)


def _updated_key(key: Key, mentions: Sequence[Mention]) -> Key:
    entries = dict(key.entries)
    for m in mentions:
        entry = entries.get(m.code) or KeyEntry(m.code, m.kind, m.entity, m.text)
        if m.text != entry.original and m.text not in entry.variants:
            entry = KeyEntry(entry.code, entry.kind, entry.entity, entry.original, entry.variants + (m.text,))
        entries[m.code] = entry
    return Key(key.study, entries)


def apply_review(study: "StudyContext", workbook: Path, key_path: Path) -> ApplyReport:
    """Write the accepted replacements (and the added ones) as new document versions."""
    check_outside(key_path, study.root)
    sid = study.store.get_meta("pseudonymisation_study_id")
    written_for, rows, added = read_review(workbook)
    if sid is None or written_for != sid:
        raise WorkbookError(f"{workbook}: this review workbook was not written for the study {study.root}; "
                            "run `deductive pseudonymise` on this study to get its workbook")
    if not key_path.expanduser().exists():
        raise InputError(f"{key_path}: no key there; give the key path used when the workbook was written")
    key = read_key(key_path.expanduser(), sid)
    documents = {d["id"]: d for d in _current_documents(study)}
    plan, problems = _plan(workbook, rows, documents, study)
    mentions = [m for ms in plan.values() for m in ms]
    new_added, add_problems = _added(added, plan, documents, key, mentions)
    problems += add_problems
    if problems:
        raise WorkbookError(f"{workbook}: nothing was changed:\n  " + "\n  ".join(problems[:30]))
    mentions += new_added
    for m in new_added:
        plan.setdefault(m.document_id, []).append(m)
    write_key(key_path, _updated_key(key, mentions))
    with study.store.transaction() as conn:
        for doc_id, doc_mentions in plan.items():
            if doc_mentions:
                _store_pseudonymised(conn, documents[doc_id], doc_mentions, study)
    new_codes = len({m.code for m in mentions} - set(key.entries))
    return ApplyReport(sum(1 for ms in plan.values() if ms), len(mentions),
                       sum(r.decision.lower() == REJECT for r in rows), len(new_added), new_codes)


def _plan(workbook: Path, rows: Sequence[ReviewRow], documents: dict[str, dict[str, Any]],
          study: "StudyContext") -> tuple[dict[str, list[Mention]], list[str]]:
    """Accepted rows as mentions per document, and every problem found (row by row)."""
    plan: dict[str, list[Mention]] = {}
    problems: list[str] = []
    stale: dict[str, list[int]] = {}  # one message per document, not one per row
    for r in rows:
        where = f"sheet 'Replacements' row {r.row}"
        decision = r.decision.lower()
        if decision not in (ACCEPT, REJECT):
            problems.append(f"{where}: Decision is '{r.decision}'; choose {ACCEPT} or {REJECT}")
            continue
        doc = documents.get(r.document_id)
        if doc is None:
            stale.setdefault(r.document_id, []).append(r.row)
            continue
        if decision == REJECT:
            continue
        code = parse_code(r.code)
        if code is None:
            problems.append(f"{where}: Code '{r.code}' is not a code like [PERSON_03]; kinds: {', '.join(KINDS)}")
            continue
        start, end = _offset(r.start), _offset(r.end)
        if start < 0 or end < 0:
            problems.append(f"{where}: the hidden start/end cells were edited; use a fresh workbook from "
                            "`deductive pseudonymise` (or undo the edit)")
            continue
        if doc["text"][start:end] != r.text:
            problems.append(f"{where}: '{r.text}' is no longer at characters {start}-{end} of {doc['source_key']}; "
                            "the document changed since the workbook was written: run `deductive pseudonymise` again")
            continue
        plan.setdefault(doc["id"], []).append(
            Mention(doc["id"], start, end, r.text, code[0], "list", normalise(r.text, code[0]), r.code.strip()))
    for doc_id, numbers in stale.items():
        problems.append(f"sheet 'Replacements' rows {numbers[0]}-{numbers[-1]}: {_stale(study, doc_id)}")
    return plan, problems


def _offset(value: str) -> int:
    """A hidden offset cell as written (-1 when it was edited into something else)."""
    return int(value) if value.isdigit() else -1


def _stale(study: "StudyContext", document_id: str) -> str:
    row = study.store.query("SELECT source_key FROM documents WHERE id = ?", (document_id,))
    if not row:
        return f"document id '{document_id}' is not in this study; the workbook was edited or belongs elsewhere"
    current = study.store.query("SELECT text FROM current_documents WHERE source_key = ?", (row[0][0],))
    if current and already_pseudonymised(current[0][0]):
        return (f"{row[0][0]} is already pseudonymised (this workbook was applied before); "
                "nothing needs doing for it")
    return f"{row[0][0]} has a newer version than the one reviewed; run `deductive pseudonymise` again"


def _added(added: Sequence[AddRow], plan: dict[str, list[Mention]], documents: dict[str, dict[str, Any]],
           key: Key, mentions: Sequence[Mention]) -> tuple[list[Mention], list[str]]:
    """Mentions for the researcher's added names: every whole-word occurrence, not yet replaced."""
    by_key = {d["source_key"]: d for d in documents.values()}
    known = {**key.codes(), **{(m.kind, m.entity): m.code for m in mentions}}
    used = {parse_code(c) for c in known.values()}
    found, problems = [], []
    for a in added:
        where = f"sheet 'Add missed' row {a.row}"
        kind = a.kind.upper()
        if len(a.text) < 2 or kind not in KINDS or (a.code and parse_code(a.code) is None) \
                or (a.document and a.document not in by_key):
            problems.append(f"{where}: give a Text of 2+ characters, a Kind ({', '.join(KINDS)}), an optional Code "
                            f"like [{kind or 'PERSON'}_12] and a Document from the Document column or blank")
            continue
        entity = normalise(a.text, kind)
        code = a.code or known.get((kind, entity)) or _next_code(kind, used)
        known[(kind, entity)] = code
        used.add(parse_code(code))
        targets = [by_key[a.document]] if a.document else list(documents.values())
        for doc in targets:
            here = plan.get(doc["id"], []) + [f for f in found if f.document_id == doc["id"]]
            taken = [(m.start, m.end, m.code) for m in here]
            for s, e in find_added(doc["text"], a.text, taken):
                found.append(Mention(doc["id"], s, e, doc["text"][s:e], kind, "added", entity, code))
    return found, problems


def _next_code(kind: str, used: set) -> str:
    return make_code(kind, max([n for k, n in filter(None, used) if k == kind] + [0]) + 1)


def _store_pseudonymised(conn: Any, doc: dict[str, Any], mentions: Sequence[Mention], study: "StudyContext") -> None:
    replacements: list[Replacement] = [(m.start, m.end, m.code) for m in mentions]
    text = replace_spans(doc["text"], replacements)
    speakers = {m.text: m.code for m in mentions if m.kind == "PERSON"}
    parsed = ParsedDocument(
        text=text, blocks=map_blocks(doc["blocks"], replacements, speakers), format=doc["format"],
        encoding=doc["encoding"], warnings=tuple(json.loads(doc["warnings"] or "[]")),
        attributes={**from_json(doc["attributes"]), PSEUDONYMISED_FROM: doc["id"]},
    )
    store_version(conn, parsed, doc["source_key"], doc["source_path"], doc["file_hash"], doc["case_name"],
                  study.settings.segment)
