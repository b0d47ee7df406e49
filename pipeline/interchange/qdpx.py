"""REFI-QDA project export (.qdpx): a study's documents, codes and codings for other tools.

The package is a zip holding ``project.qde`` and ``sources/<guid>.txt``. Each current
document is written exactly as stored (UTF-8 without BOM; the store keeps LF line
ends), and selection offsets are code-point offsets into exactly that text, end
exclusive. What goes in:

- ``Users``: one per human coder with a current positive decision (accepted/added);
  with ``include_model``, one more per suggestion run, named ``model: <model> (<method>,
  run <id>)``, whose shown suggestions are exported under it on selections of their own,
  never mixed with human codings.
- ``CodeBook``: the study's codebook (latest, or the version asked for) plus any code
  a coding refers to that a later version dropped.
- ``Sources``: one ``TextSource`` per current document; one ``PlainTextSelection`` per
  coded segment (at the segment's offsets) with one ``Coding`` per coder and code; the
  coders' memos become the selection's ``Description`` (``coder: memo`` lines).
- ``Variables`` and ``Cases``: case attributes as Text variables; CFIR ratings (current
  ratings) as Integer variables ``rating:<code id>`` from -2 to +2. A rating of X
  (mixed) is not a number: such a case gets no integer value but the Boolean variable
  ``rating_mixed:<code id>`` set to true. Each case lists its documents as SourceRefs.

GUIDs are deterministic (guids.py) and the zip entries carry a fixed date, so the same
study exports byte-identically. Containers with nothing to hold are left out: the
schema forbids empty ones.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from lxml import etree

from pipeline.codebook import Code, Codebook, stored_codebook
from pipeline.errors import StudyError
from pipeline.interchange.guids import GuidBook
from pipeline.interchange.qdc import codes_to_xml
from pipeline.interchange.xmlutil import PROJECT_NS, q, serialize
from pipeline.store import Store, from_json

__all__ = ["ExportReport", "export_project", "project_bytes", "POSITIVE"]

POSITIVE = ("accepted", "added")
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_RATINGS = {"-2": -2, "-1": -1, "0": 0, "+1": 1, "+2": 2}


@dataclass(frozen=True)
class ExportReport:
    path: Path
    documents: int
    selections: int
    codings: int
    users: tuple[str, ...]
    cases: int
    variables: int
    model_codings: int
    skipped_outdated: int  # decisions on segments that are no longer current


@dataclass
class _Coding:
    user: str  # user key: coder name, or "model\0<run id>"
    code_id: str
    memo: str = ""


def export_project(store: Store, out: Path | str, *, name: str, codebook_version: str | None = None,
                   coders: Sequence[str] | None = None, include_model: bool = False) -> ExportReport:
    """Write the study as a .qdpx package at ``out`` (atomically) and report what went in."""
    data, report = project_bytes(store, name=name, codebook_version=codebook_version, coders=coders,
                                 include_model=include_model)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")  # a half-written file never has the final name
    tmp.write_bytes(data)
    os.replace(tmp, out)
    return ExportReport(out, *report)


def project_bytes(store: Store, *, name: str, codebook_version: str | None = None,
                  coders: Sequence[str] | None = None, include_model: bool = False) -> tuple[bytes, tuple]:
    """The .qdpx bytes and the report fields (without the path)."""
    conn = store.conn
    book = stored_codebook(conn, codebook_version)
    if book is None:
        what = f"codebook version '{codebook_version}'" if codebook_version else "a codebook"
        raise StudyError(f"{store.path}: the study has no {what}; add one with `deductive codebook add`")
    guids = GuidBook.from_store(conn)
    docs = conn.execute("SELECT * FROM current_documents ORDER BY case_name, source_key").fetchall()
    if not docs:
        raise StudyError(f"{store.path}: no documents to export; ingest some with `deductive ingest` first")
    human, skipped = _human_codings(conn, coders)
    model, runs = _model_codings(conn) if include_model else ({}, {})
    book = _with_referenced_codes(conn, book, [c for cs in [*human.values(), *model.values()] for c in cs])
    users = _users(human, runs)

    root = etree.Element(q(PROJECT_NS, "Project"), nsmap={None: PROJECT_NS}, name=name, origin="deductive")
    user_guids = {key: guids.get("user", key) for key in users}
    if users:
        container = _sub(root, "Users")
        for key, label in users.items():
            _sub(container, "User", guid=user_guids[key], name=label)
    codes_to_xml(_sub(_sub(root, "CodeBook"), "Codes"), book, guids, PROJECT_NS)
    source_guids = {d["id"]: guids.get("source", d["source_key"]) for d in docs}
    variables = _variables(conn, book, guids)
    if variables.definitions:
        container = _sub(root, "Variables")
        for var_guid, var_name, kind, description in variables.definitions:
            element = _sub(container, "Variable", guid=var_guid, name=var_name, typeOfVariable=kind)
            if description:
                _sub(element, "Description").text = description
    cases = conn.execute("SELECT name FROM cases ORDER BY name").fetchall()
    if cases:
        container = _sub(root, "Cases")
        for case in cases:
            element = _sub(container, "Case", guid=guids.get("case", case["name"]), name=case["name"])
            for var_guid, tag, value in variables.values.get(case["name"], []):
                holder = _sub(element, "VariableValue")
                _sub(holder, "VariableRef", targetGUID=var_guid)
                _sub(holder, tag).text = value
            for doc in docs:
                if doc["case_name"] == case["name"]:
                    _sub(element, "SourceRef", targetGUID=source_guids[doc["id"]])
    sources = _sub(root, "Sources")
    files: dict[str, bytes] = {}
    counts = {"selections": 0, "codings": 0, "model": 0}
    for doc in docs:
        guid = source_guids[doc["id"]]
        element = _sub(sources, "TextSource", guid=guid, name=doc["source_key"], plainTextPath=f"internal://{guid}.txt")
        files[f"sources/{guid}.txt"] = doc["text"].encode("utf-8")
        segments = conn.execute("SELECT id, start, end FROM current_segments WHERE document_id = ? ORDER BY start, seq",
                                (doc["id"],)).fetchall()
        for seg in segments:
            if seg["id"] in human:
                _selection(element, guids, ("human", seg["id"]), seg, human[seg["id"]], user_guids)
                counts["selections"] += 1
                counts["codings"] += len(human[seg["id"]])
        for run_id in sorted(runs):
            for seg in segments:
                mine = [c for c in model.get(seg["id"], []) if c.user == _model_key(run_id)]
                if mine:
                    _selection(element, guids, ("model", run_id, seg["id"]), seg, mine, user_guids)
                    counts["selections"] += 1
                    counts["model"] += len(mine)
    qde = serialize(root)
    report = (len(docs), counts["selections"], counts["codings"], tuple(users.values()), len(cases),
              len(variables.definitions), counts["model"], skipped)
    return _zip({"project.qde": qde, **files}), report


def _sub(parent: etree._Element, tag: str, **attributes: str) -> etree._Element:
    return etree.SubElement(parent, q(PROJECT_NS, tag), **attributes)


def _model_key(run_id: str) -> str:
    return f"model\0{run_id}"


def _human_codings(conn: sqlite3.Connection, coders: Sequence[str] | None) -> tuple[dict[str, list[_Coding]], int]:
    """Segment id -> current positive codings of the chosen coders; and how many were on outdated segments."""
    rows = conn.execute(
        "SELECT d.coder, d.segment_id, d.code_id, d.memo, s.id IS NOT NULL AS current FROM current_decisions d"
        " LEFT JOIN current_segments s ON s.id = d.segment_id"
        " WHERE d.verdict IN ('accepted', 'added') AND d.code_id IS NOT NULL"
        # A decision carried to the current segments (pipeline.carry) is exported there, not skipped.
        " AND (s.id IS NOT NULL OR NOT EXISTS (SELECT 1 FROM decisions c WHERE c.carried_from = d.id))"
        " ORDER BY d.coder, d.code_id"
    ).fetchall()
    wanted = set(coders) if coders else None
    out: dict[str, list[_Coding]] = defaultdict(list)
    skipped = 0
    for row in rows:
        if wanted is not None and row["coder"] not in wanted:
            continue
        if not row["current"]:
            skipped += 1
            continue
        out[row["segment_id"]].append(_Coding(row["coder"], row["code_id"], row["memo"] or ""))
    return dict(out), skipped


def _model_codings(conn: sqlite3.Connection) -> tuple[dict[str, list[_Coding]], dict[str, sqlite3.Row]]:
    runs = {r["id"]: r for r in conn.execute("SELECT * FROM suggestion_runs ORDER BY id")}
    rows = conn.execute(
        "SELECT g.run_id, g.segment_id, g.code_id FROM suggestions g JOIN current_segments s ON s.id = g.segment_id"
        " WHERE g.suggested = 1 AND g.code_id IS NOT NULL ORDER BY g.run_id, g.segment_id, g.rank"
    ).fetchall()
    out: dict[str, list[_Coding]] = defaultdict(list)
    for row in rows:
        out[row["segment_id"]].append(_Coding(_model_key(row["run_id"]), row["code_id"]))
    used = {c.user for cs in out.values() for c in cs}
    return dict(out), {k: v for k, v in runs.items() if _model_key(k) in used}


def _users(human: dict[str, list[_Coding]], runs: dict[str, sqlite3.Row]) -> dict[str, str]:
    """User key -> display name, humans first (sorted), then model runs."""
    users = {c.user: c.user for cs in human.values() for c in cs}
    ordered = {k: users[k] for k in sorted(users)}
    for run_id, run in sorted(runs.items()):
        ordered[_model_key(run_id)] = f"model: {run['model']} ({run['method']}, run {run_id[:8]})"
    return ordered


def _with_referenced_codes(conn: sqlite3.Connection, book: Codebook, codings: list[_Coding]) -> Codebook:
    """Add codes that codings use but this codebook version lacks (from the version that has them)."""
    known = {c.id for c in book.codes}
    missing = sorted({c.code_id for c in codings} - known)
    extra: list[Code] = []
    for code_id in missing:
        row = conn.execute("SELECT * FROM codes WHERE id = ? ORDER BY rowid DESC LIMIT 1", (code_id,)).fetchone()
        if row is None:
            extra.append(Code(id=code_id, label=code_id))
            continue
        parent = row["parent"] if row["parent"] in known else None
        extra.append(Code(id=code_id, label=row["label"], parent=parent, definition=row["definition"],
                          inclusion=row["inclusion"], exclusion=row["exclusion"],
                          examples=tuple(json.loads(row["examples"])), codable=True))
    if not extra:
        return book
    return Codebook(book.name, book.codes + tuple(extra), book.source, book.description)


def _selection(source: etree._Element, guids: GuidBook, key: tuple[str, ...], seg: sqlite3.Row,
               codings: list[_Coding], user_guids: dict[str, str]) -> None:
    people = sorted({c.user for c in codings})
    attributes = {"guid": guids.get("selection", *key), "startPosition": str(seg["start"]), "endPosition": str(seg["end"])}
    if len(people) == 1:
        attributes["creatingUser"] = user_guids[people[0]]
    element = _sub(source, "PlainTextSelection", **attributes)
    memos = [f"{c.user}: {c.memo}" for c in sorted(codings, key=lambda c: (c.user, c.code_id)) if c.memo]
    if memos:
        _sub(element, "Description").text = "\n".join(memos)
    for coding in sorted(codings, key=lambda c: (c.user, c.code_id)):
        element_c = _sub(element, "Coding", guid=guids.get("coding", *key, coding.user, coding.code_id),
                         creatingUser=user_guids[coding.user])
        _sub(element_c, "CodeRef", targetGUID=guids.get("code", coding.code_id))


@dataclass
class _Variables:
    definitions: list[tuple[str, str, str, str]]  # guid, name, type, description
    values: dict[str, list[tuple[str, str, str]]]  # case -> (variable guid, value tag, value)


def _variables(conn: sqlite3.Connection, book: Codebook, guids: GuidBook) -> _Variables:
    result = _Variables([], defaultdict(list))
    attributes = {r["name"]: from_json(r["attributes"]) for r in conn.execute("SELECT * FROM cases ORDER BY name")}
    for attribute in sorted({k for attrs in attributes.values() for k in attrs}):
        var_guid = guids.get("variable", "attribute", attribute)
        result.definitions.append((var_guid, attribute, "Text", ""))
        for case, attrs in attributes.items():
            if str(attrs.get(attribute, "")).strip():
                result.values[case].append((var_guid, "TextValue", str(attrs[attribute])))
    ratings = conn.execute("SELECT case_name, code_id, rating FROM current_ratings WHERE rating != ''"
                           " ORDER BY code_id, case_name").fetchall()
    labels = {c.id: c.label for c in book.codes}
    by_code: dict[str, list[sqlite3.Row]] = defaultdict(list)
    for row in ratings:
        by_code[row["code_id"]].append(row)
    for code_id, rows in by_code.items():
        label = labels.get(code_id, code_id)
        number = guids.get("variable", "rating", code_id)
        result.definitions.append((number, f"rating:{code_id}", "Integer",
                                   f"CFIR rating of {label}, -2 to +2 (X, mixed: see rating_mixed:{code_id})"))
        mixed = [r for r in rows if r["rating"] == "X"]
        if mixed:
            flag = guids.get("variable", "rating_mixed", code_id)
            result.definitions.append((flag, f"rating_mixed:{code_id}", "Boolean", f"{label} was rated X (mixed)"))
        for row in rows:
            if row["rating"] == "X":
                result.values[row["case_name"]].append((flag, "BooleanValue", "true"))
            else:
                result.values[row["case_name"]].append((number, "IntegerValue", str(_RATINGS[row["rating"]])))
    for case in result.values:
        result.values[case].sort(key=lambda v: v[0])
    return result


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(files, key=lambda n: (n != "project.qde", n)):
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name])
    return buffer.getvalue()
