"""The audit's workbooks: the report (audit.xlsx) and the resolvable disagreements
workbook; the only module of pipeline.audit that writes cells (through ``pipeline.sheets``).

The Disagreements sheet is the same in both: keys in hidden, locked columns, resolution
cells unlocked with a dropdown of codes (and 'no code'), so either file can be resolved.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import pandas as pd

from pipeline.audit import disagreements as D
from pipeline.audit.drift import RULE
from pipeline.audit.stats import POSITIVES_RULE, headline_coders
from pipeline.audit.sample import AuditSample
from pipeline.errors import WorkbookError
from pipeline.review.layout import choice_text
from pipeline.sheets import (
    FONT, WRAP_TOP, Border, DataValidation, DefinedName, Font, get_column_letter, header_row, Image,
    new_sheet, open_workbook, page_setup, PatternFill, Protection, put, put_text, quote_sheetname,
    save_workbook, Side, Workbook, Worksheet,
)

if TYPE_CHECKING:
    from pipeline.audit.result import AuditResult

__all__ = ["write_audit_workbook", "write_disagreements_workbook", "read_disagreements"]

TEXT_FONT = Font(name=FONT, size=11)
TITLE_FONT = Font(name=FONT, bold=True, size=14, color="1F4E78")
KEY_FONT = Font(name=FONT, color="A6A6A6", size=8)
INPUT_FILL = PatternFill("solid", fgColor="DDEBF7")
FLAG_FILLS = {"over": PatternFill("solid", fgColor="FCE4D6"), "under": PatternFill("solid", fgColor="DDEBF7")}
GRID = Border(bottom=Side(style="thin", color="D9D9D9"))
CHOICES_SHEET, CHOICES_NAME = "Choices", "ResolutionChoices"
LINE_POINTS = 15.0


def _save(book: Workbook, path: Path) -> None:
    for sheet in book.worksheets:
        page_setup(sheet)
    save_workbook(book, path)


def _header(sheet: Worksheet, row: int, headers: Sequence[tuple[str, float]]) -> None:
    header_row(sheet, row, [name for name, _ in headers], widths=[width for _, width in headers])
    sheet.row_dimensions[row].height = 30  # explicit: wrapped headers do not grow on open


def _value(cell: Any, value: Any, digits: int = 3) -> None:
    """Numbers as numbers with a fixed format (NaN left blank), text made formula-safe."""
    if isinstance(value, float) and math.isfinite(value):
        put(cell, value)
        cell.number_format = "0." + "0" * digits
    elif isinstance(value, (int, str)) and not isinstance(value, bool):
        put(cell, value)
    cell.font, cell.border, cell.alignment = TEXT_FONT, GRID, WRAP_TOP


def _frame_sheet(sheet: Worksheet, frame: pd.DataFrame, columns: Sequence[tuple[str, str, float]],
                 start: int = 1, fills: Sequence[str] = ()) -> int:
    """Write ``frame[columns]`` under a header at row ``start``; returns the next free row."""
    _header(sheet, start, [(title, width) for _, title, width in columns])
    for r, record in enumerate(frame.to_dict("records"), start=start + 1):
        for c, (key, _, _) in enumerate(columns, start=1):
            _value(sheet.cell(r, c), record.get(key))
        fill = FLAG_FILLS.get(fills[r - start - 1]) if r - start - 1 < len(fills) else None
        if fill:
            for c in range(1, len(columns) + 1):
                sheet.cell(r, c).fill = fill
    return start + len(frame) + 2


def write_audit_workbook(path: Path, result: "AuditResult", chart_png: bytes) -> None:
    """Summary (with the kappa chart), Per code, Groups, Model, Drift, Batches, Disagreements."""
    book = Workbook()
    _summary(book.active, result, chart_png)
    a = result.agreement
    per_code = [("label", "Code", 28), ("code", "id", 18), ("group", "group", 16), ("n_units", "n", 6),
                ("positives", "coded", 7), ("reported", "reported", 8), ("prevalence", "prevalence", 10), ("percent_agreement", "% agree", 9), ("kappa_type", "kappa type", 10),
                ("kappa", "kappa", 8), ("kappa_low", "kappa low", 9), ("kappa_high", "kappa high", 9),
                ("alpha", "alpha", 8), ("alpha_low", "alpha low", 9), ("alpha_high", "alpha high", 9),
                ("ac1", "AC1", 8), ("ac1_low", "AC1 low", 8), ("ac1_high", "AC1 high", 8), ("pabak", "PABAK", 8),
                ("prevalence_index", "prevalence index", 10), ("note", "note", 40)]
    _table_sheet(new_sheet(book, "Per code"), a.per_code, per_code)
    if len(a.groups):
        _table_sheet(new_sheet(book, "Groups"), a.groups, [
            ("label", "Group", 26), ("codes", "codes", 36), ("n_units", "n", 6), ("kappa_type", "kappa type", 10),
            ("percent_agreement", "% agree", 9), ("kappa", "kappa", 8), ("kappa_low", "kappa low", 9),
            ("kappa_high", "kappa high", 9), ("alpha", "alpha", 8), ("alpha_low", "alpha low", 9),
            ("alpha_high", "alpha high", 9), ("n_broken", "exclusivity broken", 11)])
    if len(a.model_pairs):
        _table_sheet(new_sheet(book, "Model vs coders"), a.model_pairs, [
            ("label", "Code", 28), ("coder", "Coder", 14), ("n_units", "n", 6), ("percent_agreement", "% agree", 9),
            ("kappa", "Cohen's kappa", 10), ("ac1", "AC1", 8), ("model_rate", "model rate", 10),
            ("coder_rate", "coder rate", 10)])
    drift = new_sheet(book, "Drift")
    put_text(drift.cell(1, 1), f"Rule: {RULE}.")
    drift.cell(1, 1).font = Font(name=FONT, italic=True)
    _frame_sheet(drift, result.drift, [
        ("coder", "Coder", 16), ("label", "Code", 26), ("count", "applied", 8), ("n_units", "segments", 9),
        ("rate", "rate", 8), ("others_count", "others applied", 9), ("others_units", "others' decisions", 10),
        ("others_rate", "others' rate", 9), ("ratio", "ratio", 8), ("p_value", "p", 8), ("flag", "flag", 8)],
        start=3, fills=list(result.drift["flag"]))
    drift.freeze_panes = "A4"
    codes = result.coding.codes
    _table_sheet(new_sheet(book, "Batches"), result.batches, [
        ("coder", "Coder", 16), ("position", "#", 4), ("batch", "Batch (workbook or import)", 22),
        ("batch_at", "Created", 20), ("n_units", "segments", 9),
        *[(k, result.coding.codebook.get(k).label, 12) for k in codes]])
    _disagreement_sheet(book, result.disagreements, result.coding)
    _save(book, path)


def _table_sheet(sheet: Worksheet, frame: pd.DataFrame, columns: Sequence[tuple[str, str, float]]) -> None:
    _frame_sheet(sheet, frame, columns)
    sheet.freeze_panes = "B2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(frame) + 1}"


def _summary(sheet: Worksheet, result: "AuditResult", chart_png: bytes) -> None:
    sheet.title = "Summary"
    c, a, o = result.coding, result.agreement, result.agreement.overall
    sheet.column_dimensions["A"].width, sheet.column_dimensions["B"].width = 46, 40
    put_text(sheet.cell(1, 1), "Coder consistency audit")
    sheet.cell(1, 1).font = TITLE_FONT
    boot = result.options.bootstrap
    rows: list[tuple[str, Any]] = [
        ("Coders", ", ".join(headline_coders(c))),
        *([("Model", f"{c.model}: compared with each coder on its own sheet, not in the figures below")]
          if c.model and c.model not in headline_coders(c) else []),
        ("Segments decided by all (the sample)", len(c.sample)),
        ("Codebook", f"{c.codebook.name} (version {c.codebook.version})"), ("Codes audited", len(c.codes)),
        ("Krippendorff's alpha, MASI distance over code sets", o.masi_alpha),
        ("  95% interval", "" if not math.isfinite(a.masi_low) else f"{a.masi_low:.3f} to {a.masi_high:.3f}"),
        ("Mean per-code kappa", o.kappa_mean), ("  rule", POSITIVES_RULE), ("Lowest per-code kappa", o.kappa_min),
        ("Highest per-code kappa", o.kappa_max), ("Codes with undefined kappa", o.n_kappa_undefined),
        ("Segments where coders differ", len(result.disagreements)),
        ("Drift flags", int((result.drift["flag"] != "").sum())),
        ("Bootstrap", f"{boot} resamples of segments, seed {result.options.seed}" if boot else "none"),
        *[("Warning", w) for w in c.warnings]]
    for r, (name, value) in enumerate(rows, start=3):
        _value(sheet.cell(r, 1), name)
        _value(sheet.cell(r, 2), value)
        sheet.cell(r, 1).font = Font(name=FONT, bold=True)
    image = Image(io.BytesIO(chart_png))
    scale = min(1.0, 640 / image.width)  # about the width of columns A and B
    image.width, image.height = image.width * scale, image.height * scale
    sheet.add_image(image, f"A{len(rows) + 5}")


def write_disagreements_workbook(path: Path, rows: Sequence[D.Disagreement], coding: AuditSample) -> None:
    """Instructions and the resolvable Disagreements sheet."""
    book = Workbook()
    notes = book.active
    notes.title = "Instructions"
    notes.column_dimensions["A"].width = 110
    lines = [
        "Resolving disagreements", "",
        f"Each row of '{D.SHEET}' is a segment the coders ({', '.join(coding.coders)}) coded differently.",
        "Pick the agreed code(s) in the blue Resolution cells from the dropdown, or pick "
        f"'{D.NO_CODE}' when no code applies. Leave all Resolution cells blank to leave a row unresolved.",
        f"Write why in '{D.RESOLUTION_MEMO}' if you like. Do not edit the hidden key columns.",
        f"Then run: deductive resolve STUDY_DIR {path.name}  (records the resolutions as coder 'consensus').",
    ]
    for r, text in enumerate(lines, start=1):
        put_text(notes.cell(r, 1), text)
        notes.cell(r, 1).font = TITLE_FONT if r == 1 else TEXT_FONT
        notes.cell(r, 1).alignment = WRAP_TOP
    notes.protection.sheet = True
    _disagreement_sheet(book, rows, coding)
    book.active = 1
    _save(book, path)


def _disagreement_sheet(book: Workbook, rows: Sequence[D.Disagreement], coding: AuditSample) -> None:
    sheet = new_sheet(book, D.SHEET)
    slots = max([len(set().union(*d.codes.values())) for d in rows] + [2])
    visible: list[tuple[str, float]] = [("#", 5), ("Case", 12), ("Document", 20), ("Segment", 60)]
    for coder in coding.coders:  # the model writes no memos
        visible += [(D.codes_header(coder), 22)] + ([(D.memo_header(coder), 22)] if coder in coding.humans else [])
    visible += [(D.resolution_header(s), 24) for s in range(1, slots + 1)] + [(D.RESOLUTION_MEMO, 30)]
    headers = visible + [(k, 12) for k in D.KEYS]
    _header(sheet, 1, headers)
    index = {name: i for i, (name, _) in enumerate(headers, start=1)}
    label = {c.id: c.label for c in coding.codebook.codes}
    for r, d in enumerate(rows, start=2):
        values: dict[str, Any] = {"#": r - 1, "Case": d.case, "Document": d.document, "Segment": d.text,
                                  D.SEGMENT_KEY: d.segment_id, D.HASH_KEY: d.text_hash,
                                  D.VERSION_KEY: coding.codebook.version}
        for coder in coding.coders:
            values[D.codes_header(coder)] = "\n".join(label[k] for k in d.codes[coder]) or "(no code)"
            values[D.memo_header(coder)] = d.memos[coder]
        for name, col in index.items():
            _value(sheet.cell(r, col), values.get(name))
        for name in [D.resolution_header(s) for s in range(1, slots + 1)] + [D.RESOLUTION_MEMO]:
            cell = sheet.cell(r, index[name])
            cell.protection, cell.fill = Protection(locked=False), INPUT_FILL
        for key in D.KEYS:
            sheet.cell(r, index[key]).font = KEY_FONT
        sheet.row_dimensions[r].height = min(409.0, LINE_POINTS * max(math.ceil(len(d.text) / 58), slots, 2) + 4)
    for key in D.KEYS:
        sheet.column_dimensions[get_column_letter(index[key])].hidden = True
    _choices(book, coding)
    validation = DataValidation(type="list", formula1=CHOICES_NAME, allow_blank=True, showErrorMessage=True,
                                errorTitle="Resolution", error=f"Pick a code or '{D.NO_CODE}' from the list.")
    last = max(len(rows) + 1, 2)
    for s in range(1, slots + 1):
        letter = get_column_letter(index[D.resolution_header(s)])
        validation.add(f"{letter}2:{letter}{last}")
    sheet.add_data_validation(validation)
    sheet.freeze_panes = "E2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(visible))}{len(rows) + 1}"
    sheet.print_title_rows = "1:1"
    # No password: resolvers may unprotect to sort; `resolve` checks the keys anyway.
    sheet.protection.sheet = True
    sheet.protection.sort = sheet.protection.autoFilter = False
    sheet.protection.formatColumns = sheet.protection.formatRows = False


def _choices(book: Workbook, coding: AuditSample) -> None:
    """A hidden sheet listing 'no code' and every audited code, feeding the dropdowns."""
    if CHOICES_SHEET in book.sheetnames:
        return
    sheet = new_sheet(book, CHOICES_SHEET)
    options = [D.NO_CODE] + [choice_text(coding.codebook.get(k).label, k) for k in coding.codes]
    for r, text in enumerate(options, start=1):
        put_text(sheet.cell(r, 1), text)
    sheet.sheet_state = "hidden"
    sheet.protection.sheet = True
    ref = f"{quote_sheetname(CHOICES_SHEET)}!$A$1:$A${len(options)}"
    book.defined_names[CHOICES_NAME] = DefinedName(CHOICES_NAME, attr_text=ref)


def read_disagreements(path: Path) -> tuple[list[D.ResolvedRow], list[str]]:
    """Non-empty rows of the Disagreements sheet keyed by header, and the resolution headers."""
    book = open_workbook(path, "save it as Excel Workbook (.xlsx)")
    try:
        if D.SHEET not in book.sheetnames:
            raise WorkbookError(f"{path}: no sheet named '{D.SHEET}' (found: {', '.join(book.sheetnames)}); "
                                f"use the disagreements workbook `deductive audit` wrote")
        sheet = book[D.SHEET]
        sheet.reset_dimensions()
        rows = sheet.iter_rows(values_only=True)
        header = [str(v).strip() if v is not None else "" for v in (next(rows, None) or ())]
        names = {name: i for i, name in reversed(list(enumerate(header))) if name}
        missing = [k for k in D.KEYS if k not in names]
        if missing:
            raise WorkbookError(f"{path}: sheet '{D.SHEET}' row 1 has no column {', '.join(map(repr, missing))}; "
                                f"the hidden key columns were removed or renamed: write a fresh workbook with "
                                f"`deductive audit`")
        slots = [n for n in names if n.startswith("Resolution ") and n != D.RESOLUTION_MEMO]
        letters = {n: get_column_letter(i + 1) for n, i in names.items()}
        out = []
        for r, values in enumerate(rows, start=2):
            record = {n: values[i] if i < len(values) else None for n, i in names.items()}
            if any(v is not None and str(v).strip() for v in record.values()):
                out.append(D.ResolvedRow(r, record, letters))
        return out, slots
    finally:
        book.close()
