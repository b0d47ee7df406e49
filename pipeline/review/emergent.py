"""Emergent codes: themes a coder typed under "Add code" that the codebook does not have.

`confirm` records each one as a proposal (label as typed, coder, segment, its text, memo)
instead of rejecting the workbook. `accept_emergent` (the researcher's confirmation,
`deductive codebook accept-emergent`) adds the proposed codes to a new codebook version
under a group "emergent", writes that version as YAML into the study's codebook/ folder,
and appends each proposal as an 'added' decision of its coder, so summaries, audit and
export see it like any other code. Call the writing functions inside a transaction.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Sequence

from pipeline.carry import current_targets
from pipeline.codebook import Code, Codebook, save_codebook, write_codebook_yaml
from pipeline.errors import InputError
from pipeline.review import log

if TYPE_CHECKING:
    from pipeline.context import StudyContext

__all__ = ["Proposal", "Pending", "EmergentReport", "record_proposals", "pending", "accept_emergent",
           "EMERGENT_PARENT", "KIND"]

EMERGENT_PARENT = "emergent"
KIND = "emergent"
MAX_EXAMPLES = 3


@dataclass(frozen=True)
class Proposal:
    """A code typed under Add code that is not in the codebook (row: the Queue sheet row)."""

    label: str
    segment_id: str
    memo: str = ""
    row: int = 0


@dataclass(frozen=True)
class Pending:
    """One proposed code with every segment it was proposed on."""

    code_id: str
    label: str
    proposals: tuple[sqlite3.Row, ...]

    @property
    def coders(self) -> tuple[str, ...]:
        return tuple(sorted({p["coder"] for p in self.proposals}))


@dataclass(frozen=True)
class EmergentReport:
    codebook_version: str
    codes: tuple[Pending, ...]
    decisions: int
    yaml_path: str = ""


def record_proposals(conn: sqlite3.Connection, import_id: int, coder: str, workbook_id: str | None,
                     codebook_version: str, proposals: Sequence[Proposal]) -> None:
    for p in proposals:
        text = conn.execute("SELECT text FROM segments WHERE id = ?", (p.segment_id,)).fetchone()
        conn.execute(
            "INSERT INTO proposed_codes(label, coder, segment_id, text, memo, import_id, workbook_id, codebook_version)"
            " VALUES (?,?,?,?,?,?,?,?)",
            (p.label, coder, p.segment_id, text[0] if text else "", p.memo, import_id, workbook_id, codebook_version))


def code_id_for(label: str) -> str:
    """A stable id under the emergent group: 'Staff turnover' -> 'emergent.staff_turnover'."""
    slug = re.sub(r"[^0-9a-z]+", "_", label.strip().lower()).strip("_")[:60] or "code"
    return f"{EMERGENT_PARENT}.{slug}"


def pending(study: "StudyContext") -> list[Pending]:
    """Proposals not accepted yet, grouped by the code they would become."""
    rows = study.store.query("SELECT * FROM proposed_codes WHERE accepted_version IS NULL ORDER BY id")
    groups: dict[str, list[sqlite3.Row]] = {}
    for row in rows:
        groups.setdefault(code_id_for(row["label"]), []).append(row)
    return [Pending(code_id, found[0]["label"].strip(), tuple(found)) for code_id, found in groups.items()]


def accept_emergent(study: "StudyContext", labels: Sequence[str] = (), dry_run: bool = False) -> EmergentReport:
    """Add the pending proposals (or only those whose label or id is in ``labels``) to a new
    codebook version under 'emergent', and record them as 'added' decisions of their coders."""
    waiting = pending(study)
    if labels:
        wanted = {x.strip().lower() for x in labels}
        unknown = wanted - {p.label.lower() for p in waiting} - {p.code_id for p in waiting}
        if unknown:
            raise InputError(f"no proposed code named {', '.join(sorted(unknown))}; the proposals are: "
                             f"{', '.join(p.label for p in waiting) or 'none'}")
        waiting = [p for p in waiting if p.label.lower() in wanted or p.code_id in wanted]
    book = study.codebook()
    if not waiting:
        return EmergentReport(book.version, (), 0)
    new_book = with_emergent(book, waiting)
    if dry_run:
        return EmergentReport(new_book.version, tuple(waiting), 0)
    target = study.root / "codebook" / f"{_file_stem(book.name)}-emergent-{new_book.version[:8]}.yaml"
    written = 0
    with study.store.transaction() as conn:
        save_codebook(conn, new_book)
        import_id = log.insert_import(conn, KIND, None, new_book.version + ":" + _ids(waiting), str(target))
        for group in waiting:
            written += _record_decisions(conn, import_id, new_book.version, group)
            conn.executemany("UPDATE proposed_codes SET accepted_version = ? WHERE id = ?",
                             [(new_book.version, r["id"]) for r in group.proposals])
        write_codebook_yaml(new_book, target)  # inside: a failed write leaves the store as it was
    return EmergentReport(new_book.version, tuple(waiting), written, str(target))


def with_emergent(book: Codebook, waiting: Sequence[Pending]) -> Codebook:
    """The codebook plus an 'Emergent' group and one code per pending proposal."""
    codes = list(book.codes)
    have = {c.id for c in codes}
    if EMERGENT_PARENT not in have:
        codes.append(Code(id=EMERGENT_PARENT, label="Emergent", codable=False,
                          definition="Codes proposed by coders during review and accepted by the researcher."))
    for group in waiting:
        if group.code_id in have:
            continue
        examples = tuple(dict.fromkeys(r["text"] for r in group.proposals if r["text"]))[:MAX_EXAMPLES]
        codes.append(Code(id=group.code_id, label=group.label, parent=EMERGENT_PARENT,
                          definition=f"Emergent code proposed by {', '.join(group.coders)} during review "
                                     f"({len(group.proposals)} segment(s)); refine this definition.",
                          examples=examples))
    return replace(book, codes=tuple(codes))


def _record_decisions(conn: sqlite3.Connection, import_id: int, version: str, group: Pending) -> int:
    n = 0
    for row in group.proposals:
        target = current_targets(conn, row["segment_id"])
        for seg in target.segments or (row["segment_id"],):
            memo = row["memo"] or f"(emergent code, proposed in workbook {row['workbook_id']})"
            conn.execute(
                "INSERT INTO decisions(coder, import_id, workbook_id, segment_id, code_id, codebook_version, verdict,"
                " memo) VALUES (?,?,?,?,?,?,?,?)",
                (row["coder"], import_id, row["workbook_id"], seg, group.code_id, version, "added", memo))
            n += 1
    return n


def _ids(waiting: Sequence[Pending]) -> str:
    return ",".join(str(r["id"]) for g in waiting for r in g.proposals)


def _file_stem(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "codebook"
