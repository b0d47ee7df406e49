"""The summary workbook, written cell by cell through ``pipeline.sheets`` (never a formula).

Every sheet opens with the same two lines: what it shows, and where the coding comes from
(in red, "FIRST PASS, UNCONFIRMED", when it is built from suggestions). Tables start at
row 4; above code columns row 3 holds the code id. Counts in the Segments sheet link to
the first row of their decisions in the Evidence sheet.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from pipeline.errors import WorkbookError
from pipeline.summarize.cooccurrence import top_pairs
from pipeline.summarize.framework import UNGROUPED
from pipeline.summarize.matrices import ALL_CASES, presence, wide
from pipeline.summarize.ratings import SCALE, RatingRow, normalise_rating
from pipeline.summarize.source import UNCONFIRMED
from pipeline.summarize.summary import Summary
from pipeline.sheets import (
    FONT, WRAP_TOP, Alignment, DataValidation, Font, get_column_letter, header_row, Image, new_sheet,
    open_workbook, page_setup, PatternFill, Protection, put, save_workbook, Workbook, Worksheet,
)

__all__ = ["write_workbook", "read_ratings_sheet", "guard_unread_ratings", "RATINGS_SHEET", "HEADER_ROW",
           "RATING_HEADERS"]

RATINGS_SHEET = "Ratings"
HEADER_ROW = 4
TITLE_FONT = Font(name=FONT, bold=True, size=14, color="1F4E78")
SOURCE_FONT = Font(name=FONT, italic=True, size=10, color="595959")
WARN_FONT = Font(name=FONT, bold=True, size=11, color="C00000")
PARENT_FILL = PatternFill("solid", fgColor="DDEBF7")
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
ID_FONT = Font(name=FONT, size=8, color="A6A6A6")
BODY_FONT = Font(name=FONT, size=10)
BOLD_FONT = Font(name=FONT, size=10, bold=True)
LINK_FONT = Font(name=FONT, size=10, color="0563C1", underline="single")
UNLOCKED = Protection(locked=False)
# Ratings sheet: header -> frame column; the last three are the hidden keys read back.
RATING_HEADERS = {"Case": "case", "Domain": "domain", "Construct": "construct", "Rating": "rating",
                  "Evidence (segments)": "evidence_segments", "Documents": "documents", "Informants": "informants",
                  "Quote references": "references", "Note": "note", "Rated at": "rated_at",
                  "case_key": "case", "code_key": "code_id", "codebook_version": "codebook_version"}
KEY_HEADERS = ("case_key", "code_key", "codebook_version")


def write_workbook(summary: Summary, path: Path) -> None:
    book = Workbook()
    book.remove(book.active)
    evidence_rows = _evidence_rows(summary)
    _about(book, summary)
    _table_sheet(book, summary, "Cases", "Cases: attributes, documents, segments, coverage", summary.cases)
    _codes_by_case(book, summary)
    _matrix(book, summary, "Segments", "Segments per case and code (parent columns roll up the codes below)",
            "segments", evidence_rows)
    _matrix(book, summary, "Shares", "Share of each case's segments coded with the code", "share", None)
    _matrix(book, summary, "Documents", "Documents per case with the code", "documents", None)
    _matrix(book, summary, "Informants", "Informants (distinct speakers, interviewers left out) per case and code",
            "informants", None)
    _presence(book, summary)
    _table_sheet(book, summary, "Cross-case", "Each code across cases", _labelled(summary, summary.overall),
                 percent=("share", "mean_case_share", "top_case_share"))
    for group in summary.groups:
        _by_sheet(book, summary, group)
    if len(summary.phases):
        _phases(book, summary)
    _cooccurrence(book, summary)
    _table_sheet(book, summary, "Exemplars", "Exemplar quotes per code and case, most central first",
                 _labelled(summary, summary.exemplars.drop(columns=["segment_id"])), wide_text=("text",))
    _ratings(book, summary)
    for root, frame in summary.framework.items():
        _framework(book, summary, root, frame)
    _charts(book, summary)
    _table_sheet(book, summary, "Evidence", "The decisions behind every number: one row per code applied to a segment",
                 summary.evidence, wide_text=("text",))
    save_workbook(book, path, "close it in Excel and try again")


# --- building blocks ----------------------------------------------------------------

def _put(cell: Any, value: Any, font: Font = BODY_FONT) -> None:
    put(cell, value)
    cell.font = font


def _sheet(book: Workbook, summary: Summary, title: str, heading: str, fit: bool = True) -> Worksheet:
    sheet = new_sheet(book, title)
    _put(sheet.cell(1, 1), heading, TITLE_FONT)
    source = summary.coding.label
    warn = summary.coding.unconfirmed
    _put(sheet.cell(2, 1), source if not warn else f"{UNCONFIRMED}: {source.split(': ', 1)[-1]}",
         WARN_FONT if warn else SOURCE_FONT)
    if warn:
        sheet.sheet_properties.tabColor = "C00000"
    # Printed (or saved as PDF): landscape, every column on the page, as many pages down as needed.
    page_setup(sheet, fit_width=fit, title_rows=f"{HEADER_ROW}:{HEADER_ROW}")
    return sheet


def _header(sheet: Worksheet, headers: Iterable[str], row: int = HEADER_ROW, start: int = 1) -> None:
    header_row(sheet, row, headers, start)


def _table_sheet(book: Workbook, summary: Summary, title: str, heading: str, frame: pd.DataFrame,
                 percent: tuple[str, ...] = (), wide_text: tuple[str, ...] = ()) -> Worksheet:
    sheet = _sheet(book, summary, title, heading)
    _frame(sheet, frame, HEADER_ROW, percent, wide_text)
    sheet.freeze_panes = sheet.cell(HEADER_ROW + 1, 2)
    if len(frame):
        sheet.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(frame.columns))}{HEADER_ROW + len(frame)}"
    return sheet


def _frame(sheet: Worksheet, frame: pd.DataFrame, row: int, percent: tuple[str, ...] = (),
           wide_text: tuple[str, ...] = ()) -> int:
    """Write a frame with its header at ``row``; returns the next free row."""
    _header(sheet, frame.columns, row)
    for i, record in enumerate(frame.itertuples(index=False), start=row + 1):
        for j, value in enumerate(record, start=1):
            cell = sheet.cell(i, j)
            _put(cell, value)
            column = frame.columns[j - 1]
            if column in percent:
                cell.number_format = "0.0%"
            elif column == "p" or column in ("ci_low", "ci_high", "difference", "jaccard", "centrality"):
                cell.number_format = "0.000"
            if column in wide_text:
                cell.alignment = WRAP_TOP
        if wide_text:  # explicit heights: LibreOffice overlaps wrapped rows in PDFs otherwise
            lines = max(_lines(str(getattr(record, c, "") or ""), 70) for c in wide_text if c in frame.columns)
            sheet.row_dimensions[i].height = min(409, 13 * lines + 3)
    for j, column in enumerate(frame.columns, start=1):
        longest = max([len(str(column))] + [len(str(v)) for v in frame[column].head(200)])
        width = 70 if column in wide_text else min(max(longest + 2, 8), 45)
        sheet.column_dimensions[get_column_letter(j)].width = width
    return row + len(frame) + 2


def _labelled(summary: Summary, frame: pd.DataFrame) -> pd.DataFrame:
    """Put the code label beside each code id column."""
    out = frame.copy()
    for column in [c for c in ("code_id", "code_a", "code_b") if c in out.columns]:
        position = out.columns.get_loc(column) + 1
        out.insert(position, column.replace("code_id", "code").replace("code_", "label_") if column != "code_id" else "label",
                   out[column].map(lambda c: summary.labels.get(c, c)))
    return out


# --- sheets ---------------------------------------------------------------------------

def _about(book: Workbook, summary: Summary) -> None:
    sheet = _sheet(book, summary, "About", "Case and cross-case summary")
    book_ = summary.coding.codebook
    segs = summary.coding.segments
    lines = [
        ("Created", summary.created_at),
        ("Codebook", f"{book_.name} (version {book_.version})"),
        ("Cases", segs["case"].nunique()),
        ("Documents", segs["document_id"].nunique()),
        ("Segments", len(segs)),
        ("Segments reviewed (or suggested on)", len(summary.coding.reviewed)),
        ("Segments with a code", summary.coding.applied["segment_id"].nunique()),
        ("Codes applied", len(summary.coding.applied)),
        ("Shares", "coded segments / all current segments of the case (not only the reviewed ones)"),
        ("Roll-ups", "a parent code counts a segment once when it or any code below it was applied"),
        ("Informants", "distinct speakers of coded segments, leaving out interviewer-like speakers"),
        ("Group comparisons", "difference in share with a 95% Newcombe interval (segments; descriptive, "
                              "segments within a case are not independent); Fisher's exact test (two groups) or "
                              "chi-square (more) on how many cases have the code"),
        ("Traceability", "every count comes from the Evidence sheet (decision ids); counts in Segments link there"),
    ]
    lines += [("Note", note) for note in summary.coding.notes]
    for i, (key, value) in enumerate(lines, start=HEADER_ROW):
        _put(sheet.cell(i, 1), key, BOLD_FONT)
        _put(sheet.cell(i, 2), value)
        sheet.cell(i, 2).alignment = WRAP_TOP
    sheet.column_dimensions["A"].width = 34
    sheet.column_dimensions["B"].width = 110


def _evidence_rows(summary: Summary) -> dict[tuple[str, str], int]:
    """(case, code) -> the first Evidence sheet row counted in that cell (roll-ups included)."""
    first: dict[tuple[str, str], int] = {}
    for i, (case, code, parents) in enumerate(zip(summary.evidence["case"], summary.evidence["code_id"],
                                                  summary.evidence["rolls_up_to"])):
        for target in [code, *filter(None, parents.split(";"))]:
            first.setdefault((case, target), HEADER_ROW + 1 + i)
    return first


def _matrix(book: Workbook, summary: Summary, title: str, heading: str, value: str,
            links: dict[tuple[str, str], int] | None) -> None:
    sheet = _sheet(book, summary, title, heading)
    table = wide(summary.counts, value, summary.order)
    codebook = summary.coding.codebook
    parents = {c.parent for c in codebook.codes if c.parent}
    _header(sheet, ["Case", *[summary.labels[c] + (" (all)" if c in parents else "") for c in table.columns]])
    for j, code in enumerate(table.columns, start=2):
        _put(sheet.cell(HEADER_ROW - 1, j), code, ID_FONT)
        sheet.column_dimensions[get_column_letter(j)].width = _fits_words(summary.labels[code], 13)
    for i, (case, row) in enumerate(table.iterrows(), start=HEADER_ROW + 1):
        total = case == ALL_CASES
        _put(sheet.cell(i, 1), case, BOLD_FONT if total else BODY_FONT)
        for j, code in enumerate(table.columns, start=2):
            cell = sheet.cell(i, j)
            _put(cell, row[code], BOLD_FONT if total else BODY_FONT)
            if value == "share":
                cell.number_format = "0.0%"
            if code in parents:
                cell.fill = PARENT_FILL
            target = links.get((case, code)) if links and not total and row[code] else None
            if target:
                cell.hyperlink = f"#'Evidence'!A{target}"
                cell.font = LINK_FONT
    sheet.column_dimensions["A"].width = max(12, min(40, max(len(str(c)) for c in table.index) + 2))
    sheet.row_dimensions[HEADER_ROW].height = 60
    sheet.freeze_panes = sheet.cell(HEADER_ROW + 1, 2)


def _fits_words(header: str, least: int) -> int:
    """A column width at which a wrapped header breaks between words, never inside one."""
    return max([least] + [len(word) + 3 for word in str(header).split()])


def _codes_by_case(book: Workbook, summary: Summary) -> None:
    """The matrix a person reads: codes down the page, indented under their domain, cases
    across, each cell "segments (share)". The four case x code sheets after it keep one
    column per code for other programs."""
    sheet = _sheet(book, summary, "Codes by case", "Segments coded per code and case (share of the case's segments)")
    segments = wide(summary.counts, "segments", summary.order).T
    shares = wide(summary.counts, "share", summary.order).T
    book_ = summary.coding.codebook
    parents = {c.parent for c in book_.codes if c.parent}
    _header(sheet, ["Code", *segments.columns])
    for i, code in enumerate(segments.index, start=HEADER_ROW + 1):
        font = BOLD_FONT if code in parents else BODY_FONT
        _put(sheet.cell(i, 1), "    " * book_.depth(code) + summary.labels[code], font)
        for j, case in enumerate(segments.columns, start=2):
            n, share = segments.at[code, case], shares.at[code, case]
            cell = sheet.cell(i, j)
            _put(cell, f"{int(n)} ({share:.0%})" if n and not math.isnan(n) else "", font)
            if code in parents:
                cell.fill = PARENT_FILL
    sheet.column_dimensions["A"].width = max(30, min(60, max(len(summary.labels[c]) + 4 * book_.depth(c) for c in segments.index) + 2))
    for j, case in enumerate(segments.columns, start=2):
        sheet.column_dimensions[get_column_letter(j)].width = _fits_words(case, 12)
    sheet.freeze_panes = sheet.cell(HEADER_ROW + 1, 2)


def _presence(book: Workbook, summary: Summary) -> None:
    sheet = _sheet(book, summary, "Presence", "Presence (1) or absence (0) of each codable code per case, for QCA")
    codable = [c for c in summary.order if summary.coding.codebook.get(c).codable]
    table = presence(summary.counts, codable)
    frame = table.reset_index().rename(columns={"case": "Case", **summary.labels})
    _frame(sheet, frame, HEADER_ROW)
    for j, code in enumerate(codable, start=2):
        _put(sheet.cell(HEADER_ROW - 1, j), code, ID_FONT)
    sheet.freeze_panes = sheet.cell(HEADER_ROW + 1, 2)


def _by_sheet(book: Workbook, summary: Summary, group: Any) -> None:
    sheet = _sheet(book, summary, f"By {group.attribute}",
                   f"Codes by {group.attribute}: which codes distinguish the groups of cases")
    comparison = _labelled(summary, group.comparison)
    if "difference" in comparison.columns:
        comparison = comparison.reindex(comparison["difference"].abs().sort_values(ascending=False).index)
    shares = tuple(c for c in comparison.columns if c.startswith("share: "))
    row = _frame(sheet, comparison, HEADER_ROW, percent=shares + ("difference", "ci_low", "ci_high"))
    for column in ("difference", "ci_low", "ci_high"):
        if column in comparison.columns:
            j = list(comparison.columns).index(column) + 1
            for i in range(HEADER_ROW + 1, HEADER_ROW + 1 + len(comparison)):
                sheet.cell(i, j).number_format = "+0.0%;-0.0%;0.0%"
    _put(sheet.cell(row, 1), f"Counts per code and {group.attribute}", TITLE_FONT)
    _frame(sheet, _labelled(summary, group.counts), row + 1, percent=("share",))
    sheet.freeze_panes = sheet.cell(HEADER_ROW + 1, 3)


def _phases(book: Workbook, summary: Summary) -> None:
    sheet = _sheet(book, summary, "Phases", "Segments coded with a phase and a domain, per case (phase x domain x case)")
    table = summary.phases.pivot_table(index=["case", "phase"], columns="domain", values="segments", sort=False)
    domains = list(dict.fromkeys(summary.phases["domain"]))
    table = table[domains].reset_index()
    table["phase"] = table["phase"].map(summary.labels)
    frame = table.rename(columns={"case": "Case", "phase": "Phase", **{d: summary.labels[d] for d in domains}})
    _frame(sheet, frame, HEADER_ROW)
    for j, code in enumerate(domains, start=3):
        _put(sheet.cell(HEADER_ROW - 1, j), code, ID_FONT)
    sheet.freeze_panes = sheet.cell(HEADER_ROW + 1, 3)


def _cooccurrence(book: Workbook, summary: Summary) -> None:
    sheet = _sheet(book, summary, "Co-occurrence", "Codes applied together: within segments, then within documents")
    row = HEADER_ROW
    for what, matrix in (("segments", summary.cooccurrence_segments), ("documents", summary.cooccurrence_documents)):
        _put(sheet.cell(row - 1, 1), f"Shared {what} (diagonal: {what} with the code)", BOLD_FONT)
        frame = matrix.rename(index=summary.labels, columns=summary.labels).reset_index(names="Code")
        row = _frame(sheet, frame, row) + 2
    _put(sheet.cell(row - 1, 1), "Pairs that share the most segments", BOLD_FONT)
    _frame(sheet, _labelled(summary, top_pairs(summary.cooccurrence_segments)), row)
    sheet.column_dimensions["A"].width = 34


def _ratings(book: Workbook, summary: Summary) -> None:
    sheet = _sheet(book, summary, RATINGS_SHEET,
                   "Ratings per case and construct: -2, -1, 0, +1, +2, X (mixed), blank (missing); "
                   "read back with `deductive ratings`")
    frame = summary.ratings
    _header(sheet, RATING_HEADERS)
    headers = list(RATING_HEADERS)
    rating_col, note_col = headers.index("Rating") + 1, headers.index("Note") + 1
    for i, record in enumerate(frame.to_dict("records"), start=HEADER_ROW + 1):
        for j, (header, column) in enumerate(RATING_HEADERS.items(), start=1):
            cell = sheet.cell(i, j)
            value = record[column]
            if header == "Domain":
                value = summary.labels.get(value, value) if value != UNGROUPED else value
            _put(cell, value, ID_FONT if header in KEY_HEADERS else BODY_FONT)
            cell.alignment = WRAP_TOP
        for j in (rating_col, note_col):
            cell = sheet.cell(i, j)
            cell.fill, cell.protection, cell.number_format = INPUT_FILL, UNLOCKED, "@"
        sheet.cell(i, rating_col).data_type = "s"
        sheet.cell(i, rating_col).alignment = Alignment(horizontal="center", vertical="top")
        lines = max(_lines(str(record["references"]), 60), _lines(str(record["construct"]), 28), 1)
        sheet.row_dimensions[i].height = min(409, 13 * lines + 3)
    last = HEADER_ROW + max(len(frame), 1)
    check = DataValidation(type="list", formula1='"' + ",".join(SCALE) + '"', allow_blank=True, showErrorMessage=True,
                           errorTitle="Rating", error="Use -2, -1, 0, +1, +2 or X (mixed); leave blank for missing.")
    check.add(f"{get_column_letter(rating_col)}{HEADER_ROW + 1}:{get_column_letter(rating_col)}{last}")
    sheet.add_data_validation(check)
    widths = {"Case": 18, "Domain": 22, "Construct": 28, "Rating": 8, "Evidence (segments)": 10, "Documents": 10,
              "Informants": 10, "Quote references": 60, "Note": 40, "Rated at": 14}
    for j, header in enumerate(headers, start=1):
        dimension = sheet.column_dimensions[get_column_letter(j)]
        dimension.width = max(widths.get(header, 12), _fits_words(header, 0))
        dimension.hidden = header in KEY_HEADERS
    sheet.row_dimensions[HEADER_ROW].height = 30
    protection = sheet.protection
    protection.sheet = True
    protection.sort = protection.autoFilter = protection.formatColumns = protection.formatRows = False
    sheet.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(headers) - len(KEY_HEADERS))}{last}"
    sheet.freeze_panes = sheet.cell(HEADER_ROW + 1, 4)


def _framework(book: Workbook, summary: Summary, root: str, frame: pd.DataFrame) -> None:
    name = summary.labels.get(root, root) if root != UNGROUPED else "Codes"
    sheet = _sheet(book, summary, f"FW {name}", f"Framework matrix: {name} (quotes per case; write your summary beside them)",
                   fit=False)
    _header(sheet, ["Case"] + [f"{summary.labels[c]} - {part}" for c in frame.columns for part in ("quotes", "summary")])
    for k, code in enumerate(frame.columns):
        _put(sheet.cell(HEADER_ROW - 1, 2 + 2 * k), code, ID_FONT)
        sheet.column_dimensions[get_column_letter(2 + 2 * k)].width = 60
        sheet.column_dimensions[get_column_letter(3 + 2 * k)].width = 30
    for i, (case, row) in enumerate(frame.iterrows(), start=HEADER_ROW + 1):
        _put(sheet.cell(i, 1), case, BOLD_FONT)
        sheet.cell(i, 1).alignment = WRAP_TOP
        lines = 1
        for k, code in enumerate(frame.columns):
            quotes = sheet.cell(i, 2 + 2 * k)
            _put(quotes, row[code] or None)
            quotes.alignment = WRAP_TOP
            summary_cell = sheet.cell(i, 3 + 2 * k)
            summary_cell.fill, summary_cell.alignment = INPUT_FILL, WRAP_TOP
            lines = max(lines, _lines(row[code] or "", 60))
        sheet.row_dimensions[i].height = min(409, 13 * lines + 4)  # explicit: LibreOffice PDFs overlap otherwise
    sheet.column_dimensions["A"].width = 18
    sheet.row_dimensions[HEADER_ROW].height = 30
    sheet.freeze_panes = sheet.cell(HEADER_ROW + 1, 2)


def _lines(text: str, width: int) -> int:
    return sum(max(1, math.ceil(len(part) / (width * 1.1))) for part in text.split("\n"))


def _charts(book: Workbook, summary: Summary) -> None:
    if not summary.charts:
        return
    sheet = _sheet(book, summary, "Charts", "Charts (also saved as PNG files beside this workbook)")
    row = HEADER_ROW
    for name, png in summary.charts.items():
        image = Image(io.BytesIO(png))
        _put(sheet.cell(row, 1), name, BOLD_FONT)
        sheet.add_image(image, f"A{row + 1}")
        row += 3 + math.ceil(image.height / 20)


# --- reading ratings back ---------------------------------------------------------------

def read_ratings_sheet(path: Path) -> tuple[list[RatingRow], str, dict[str, str]]:
    """The rows of the Ratings sheet (keys from the hidden columns), the sheet name and
    the header of each field for error messages."""
    book = open_workbook(path, "give the summary.xlsx that `deductive summarize` wrote")
    try:
        if RATINGS_SHEET not in book.sheetnames:
            raise WorkbookError(f"{path}: no sheet named '{RATINGS_SHEET}' (found: {', '.join(book.sheetnames)}); "
                                f"give a summary workbook written by `deductive summarize`")
        sheet = book[RATINGS_SHEET]
        sheet.reset_dimensions()
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    finally:
        book.close()
    header = rows[HEADER_ROW - 1] if len(rows) >= HEADER_ROW else []
    where = {str(v): j for j, v in enumerate(header) if v is not None}
    missing = [h for h in ("Rating", "Note", *KEY_HEADERS) if h not in where]
    if missing:
        raise WorkbookError(f"{path}: sheet '{RATINGS_SHEET}', row {HEADER_ROW}: no column "
                            f"{', '.join(map(repr, missing))}; do not rename or delete the header or the hidden key columns")
    out = []
    for i, values in enumerate(rows[HEADER_ROW:], start=HEADER_ROW + 1):
        get = (lambda h: values[where[h]] if where[h] < len(values) else None)  # noqa: E731
        if all(get(h) in (None, "") for h in KEY_HEADERS):
            continue
        out.append(RatingRow(i, str(get("case_key") or ""), str(get("code_key") or ""),
                             str(get("codebook_version") or ""), get("Rating"), str(get("Note") or "")))
    columns = {"rating": "Rating", "case": "case_key (hidden)", "code_id": "code_key (hidden)", "note": "Note"}
    return out, RATINGS_SHEET, columns


def guard_unread_ratings(path: Path, stored: pd.DataFrame) -> None:
    """Refuse to replace a workbook whose typed ratings or notes the store does not have."""
    rows, sheet, _ = read_ratings_sheet(path)
    known = {(r["case"], r["code_id"]): (r["rating"], r["note"]) for r in stored.to_dict("records")}
    unread = [r for r in rows
              if (normalise_rating(r.rating), r.note.strip()) != known.get((r.case, r.code_id), ("", ""))]
    if unread:
        first = unread[0]
        raise WorkbookError(f"{path}: sheet '{sheet}' has {len(unread)} rating(s) or note(s) not yet in the store "
                            f"(first: row {first.row}, case '{first.case}', code '{first.code_id}'); read them in with "
                            f"`deductive ratings DIR {path}` first, or pass --overwrite to discard them")
