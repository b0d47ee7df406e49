"""Ratings: the analyst's judgement per case and construct, kept in the store.

The scale (CFIR style): -2, -1, 0, +1, +2, X (mixed: positive and negative influence),
blank (missing: not enough data). ``summarize`` shows the stored ratings in the Ratings
sheet; it never writes ratings. ``import_ratings`` reads a summary workbook the analyst
filled in and appends, in one transaction, a row for each rating or note that changed;
earlier rows stay (the ratings table is append-only).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from pipeline.errors import WorkbookError
from pipeline.review import log
from pipeline.summarize.crosscase import phase_codes
from pipeline.summarize.framework import domains
from pipeline.summarize.matrices import sorted_cases
from pipeline.summarize.source import SummaryCoding

if TYPE_CHECKING:
    from pipeline.context import StudyContext

__all__ = ["SCALE", "RATING_COLUMNS", "RatingRow", "RatingsReport", "normalise_rating", "stored_ratings",
           "ratings_frame", "import_ratings"]

SCALE = ("-2", "-1", "0", "+1", "+2", "X")
KIND = "ratings"
MAX_LISTED = 25
RATING_COLUMNS = ["case", "domain", "code_id", "construct", "rating", "evidence_segments", "documents",
                  "informants", "references", "note", "rated_at", "codebook_version"]
_ALIASES = {"1": "+1", "2": "+2", "-0": "0", "+0": "0", "x": "X", "mixed": "X"}


@dataclass(frozen=True)
class RatingRow:
    """One filled-in row of a Ratings sheet as read from the workbook."""

    row: int
    case: str
    code_id: str
    codebook_version: str
    rating: Any
    note: str


@dataclass(frozen=True)
class RatingsReport:
    path: Path
    status: str  # "imported" | "unchanged"
    rows: int
    changed: int
    cleared: int


def normalise_rating(value: Any) -> str | None:
    """'+1' for 1, 1.0, '1', '+1'; 'X' for x; '' for blank; None when outside the scale."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if text in SCALE or text == "":
        return text
    return _ALIASES.get(text.lower())


def stored_ratings(study: "StudyContext") -> pd.DataFrame:
    rows = study.store.query("SELECT case_name AS 'case', code_id, rating, note, rated_by, rated_at, codebook_version"
                             " FROM current_ratings ORDER BY case_name, code_id")
    return pd.DataFrame([dict(r) for r in rows],
                        columns=["case", "code_id", "rating", "note", "rated_by", "rated_at", "codebook_version"])


def ratings_frame(coding: SummaryCoding, counts: pd.DataFrame, evidence: pd.DataFrame, stored: pd.DataFrame,
                  references: int = 5) -> pd.DataFrame:
    """One row per case and construct: codable non-phase codes with evidence in some case,
    and any construct already rated. The stored rating and note fill their cells."""
    book = coding.codebook
    phases = set(phase_codes(book))
    by_case = {(r["case"], r["code_id"]): r for r in counts.to_dict("records")}
    has_evidence = set(counts.loc[counts["segments"] > 0, "code_id"])
    rated = set(stored["code_id"])
    domain_of = {code: root for root, codes in domains(coding).items() for code in codes}
    codes = [c for c in counts["code_id"].drop_duplicates()
             if (book.get(c).codable and c not in phases and c in has_evidence) or c in rated]
    current = {(r["case"], r["code_id"]): r for r in stored.to_dict("records")}
    quotes = {key: group for key, group in evidence.groupby(["case", "code_id"], sort=False)}
    labels = {c.id: c.label for c in book.codes}
    rows = []
    for case_name in sorted_cases(coding.segments["case"]):
        for code in codes:
            n = by_case.get((case_name, code))
            mine = current.get((case_name, code))
            rows.append({"case": case_name, "domain": domain_of.get(code, code), "code_id": code,
                         "construct": labels.get(code, code), "rating": "" if mine is None else mine["rating"],
                         "evidence_segments": 0 if n is None else int(n["segments"]),
                         "documents": 0 if n is None else int(n["documents"]),
                         "informants": 0 if n is None else int(n["informants"]),
                         "references": _references(quotes.get((case_name, code)), references),
                         "note": "" if mine is None else mine["note"],
                         "rated_at": "" if mine is None else mine["rated_at"], "codebook_version": book.version})
    return pd.DataFrame(rows, columns=RATING_COLUMNS)


def _references(quotes: pd.DataFrame | None, limit: int, chars: int = 160) -> str:
    """The first quotes themselves, each with where it is: a rater reads evidence, not offsets
    (the Evidence sheet keeps the character offsets for tracing)."""
    if quotes is None:
        return ""
    lines = []
    for q in quotes.head(limit).to_dict("records"):
        text = " ".join(str(q["text"]).split())
        text = text if len(text) <= chars else text[:chars].rsplit(" ", 1)[0] + " ..."
        where = re.sub(r", chars \d+-\d+$", "", str(q["reference"]))
        lines.append(f"\u201c{text}\u201d ({where})")
    more = f"\n... {len(quotes) - limit} more in the Evidence sheet" if len(quotes) > limit else ""
    return "\n".join(lines) + more


def import_ratings(study: "StudyContext", path: Path | str, rows: list[RatingRow], sheet: str, columns: dict[str, str],
                   analyst: str = "") -> RatingsReport:
    """Validate every row, then append the changed ratings in one transaction (or nothing)."""
    path = Path(path)
    cases = {r[0] for r in study.store.query("SELECT name FROM cases")}
    codes = {(r[0], r[1]) for r in study.store.query("SELECT codebook_version, id FROM codes")}
    problems: list[str] = []
    wanted: dict[tuple[str, str], tuple[str, str, str, int]] = {}
    for r in rows:
        where = f"{path.name}, sheet '{sheet}', row {r.row}"
        rating = normalise_rating(r.rating)
        if rating is None:
            problems.append(f"{where}, column '{columns['rating']}': '{r.rating}' is outside the scale; use -2, -1, 0, "
                            f"+1, +2, X (mixed) or leave it blank (missing)")
        if r.case not in cases:
            problems.append(f"{where}, column '{columns['case']}': case '{r.case}' is not in the study; the hidden key "
                            f"columns were edited: copy the row from a fresh `deductive summarize`")
        if (r.codebook_version, r.code_id) not in codes:
            problems.append(f"{where}, column '{columns['code_id']}': code '{r.code_id}' is not in codebook version "
                            f"'{r.codebook_version}'; the hidden key columns were edited")
        key = (r.case, r.code_id)
        if key in wanted:
            problems.append(f"{where}: case '{r.case}' and code '{r.code_id}' were already rated in row {wanted[key][3]}; "
                            f"keep one of the two rows")
        if rating is not None:
            wanted[key] = (rating, r.note.strip(), r.codebook_version, r.row)
    if problems:
        listed = problems[:MAX_LISTED] + ([f"... and {len(problems) - MAX_LISTED} more"] if len(problems) > MAX_LISTED else [])
        raise WorkbookError(f"{path}: no ratings were read ({len(problems)} problem(s)):\n  " + "\n  ".join(listed))
    changes = _changes(stored_ratings(study), wanted)
    if not changes:
        return RatingsReport(path, "unchanged", len(rows), 0, 0)
    # The same file may be read again after other ratings changed: the changes go in the key.
    digest = hashlib.sha256(path.read_bytes() + json.dumps(changes, sort_keys=True).encode("utf-8")).hexdigest()
    with study.store.transaction() as conn:
        import_id = log.insert_import(conn, KIND, None, digest, str(path))
        conn.executemany("INSERT INTO ratings(case_name, code_id, codebook_version, rating, note, rated_by, import_id)"
                         " VALUES (?,?,?,?,?,?,?)",
                         [(case, code, version, rating, note, analyst, import_id)
                          for case, code, rating, note, version in changes])
    cleared = sum(1 for change in changes if change[2] == "")
    return RatingsReport(path, "imported", len(rows), len(changes), cleared)


def _changes(stored: pd.DataFrame, wanted: dict[tuple[str, str], tuple[str, str, str, int]]) -> list[tuple[str, ...]]:
    current = {(r["case"], r["code_id"]): (r["rating"], r["note"]) for r in stored.to_dict("records")}
    out = []
    for (case, code), (rating, note, version, _) in sorted(wanted.items()):
        before = current.get((case, code), ("", ""))
        if (rating, note) != before:
            out.append((case, code, rating, note, version))
    return out
