"""The text of the Instructions sheet: (left cell, right cell, style) rows."""

from __future__ import annotations

from pipeline.codebook import Codebook
from pipeline.review import layout as L
from pipeline.review.layout import WorkbookMeta

__all__ = ["instruction_rows"]


def instruction_rows(meta: WorkbookMeta, codebook: Codebook, columns: L.Columns) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = [
        ("Review queue", f"for {meta.coder}", "title"),
        ("Workbook", f"{meta.workbook_id} (written {meta.created_at}; study {meta.study})", "term"),
        ("Codebook", f"{codebook.name}, version {codebook.version}", "term"),
        ("Not in this queue", "; ".join(meta.left_out) if meta.left_out else
         "nothing: every segment in scope is in this queue", "term"),
        ("", "", ""),
        ("How to review", "", "heading"),
        ("1.", "Go to the Queue sheet. Each row is one segment of a document, with the segments "
               "before and after it in grey for context.", ""),
        ("2.", "For every suggested code, choose accept or reject in the Decision cell beside it. "
               "A rejection is useful too: it teaches the suggester what a code is not.", ""),
        ("3.", "If a code that applies is missing, pick it in an Add code cell (the list shows "
               "'Domain > Construct' as on the Codebook sheet). A theme the codebook lacks: type "
               "its name in an Add code cell and keep it when warned; it is recorded as a proposed "
               "new (emergent) code for the researcher to accept. If no code of the codebook "
               f"applies, choose yes under '{L.NOTHING_HEADER}'.", ""),
        ("4.", "Write anything worth keeping in Memo: doubts, a better code, a quote to reuse.", ""),
        ("5.", "Save the file (any name, Excel or LibreOffice) and give it back; it is read with "
               "`deductive confirm`. You may return it half done: blank rows stay in your queue.", ""),
        ("", "", ""),
        ("What is safe", "Sorting, filtering, hiding or resizing columns, renaming the file and "
                         "deleting rows you do not want to review. Rows are matched by hidden keys, "
                         "not by their position. Only the light blue cells can be edited.", "term"),
        ("Sorting in Excel", "Excel does not sort protected sheets: use Review > Unprotect Sheet "
                             "(there is no password), sort, and keep going. Do not edit the grey "
                             "hidden key columns at the right.", "term"),
        ("", "", ""),
        ("Columns", "", "heading"),
    ]
    rows += [(name, meaning, "term") for name, meaning in _column_meanings(columns)]
    rows += [("", "", ""), ("Colours", "", "heading")]
    rows += [(f"score {label.split(' ')[0]}", f"suggestion score {label}: how sure the suggester is", f"fill:{colour}")
             for _, colour, label in L.SCORE_BANDS]
    rows += [("accept", "a decision cell you accepted", "fill:A9D08E"),
             ("reject", "a decision cell you rejected", "fill:F4B183"),
             ("editable", "light blue cells are yours to fill in", f"fill:{L.INPUT_COLOUR}"),
             (L.NO_CODE_LABEL, "the suggester found no code that fits", f"fill:{L.NO_CODE_COLOUR}")]
    return rows


def _column_meanings(columns: L.Columns) -> list[tuple[str, str]]:
    return [
        ("#", "Position in the queue as written; sort by it to restore the original order."),
        ("Case / Document", "The case the document belongs to and the document's name."),
        ("Where", "Page, speaker turn and timestamp of the segment, when the source has them."),
        ("Speaker", "Who is talking (transcripts)."),
        ("Before / After", "The neighbouring segments, for context only."),
        ("Segment", "The text to code."),
        (f"Suggestion 1..{columns.slots}", f"A suggested code with its score from 0 to 1; "
                                           f"'{L.NO_CODE_LABEL}' means the suggester found nothing."),
        (f"Decision 1..{columns.slots}", f"{L.ACCEPT} or {L.REJECT} for the suggestion to its left; blank = not decided."),
        (f"Add code 1..{L.ADD_SLOTS}", "Codes that apply but were not suggested, or a new (emergent) code typed in."),
        (L.NOTHING_HEADER, f"{L.NOTHING_APPLIES} when no code applies to the segment."),
        (L.MEMO_HEADER, "Your note; it is stored with every decision of the row."),
    ]
