"""Large workbooks written row by row (XlsxWriter), under the same cell rules as ``pipeline.sheets``.

The review queue of a whole study has ~20 cells a segment (194,000 for AnnoMI's 9,699
utterances). openpyxl builds a Python object per cell and serialises it again on save,
which took most of `deductive queue`'s time; XlsxWriter in constant-memory mode writes
each row to disk as soon as the next one starts, about twice as fast, with memory that
does not grow with the rows (docs/speed.md).

The rules are the toolkit's, and this module owns them (``pipeline.sheets.put_text``
applies the same ``cell_text``):

- every string is written with ``write_string`` (a string cell, never a formula) after
  dropping what XML cannot hold and cutting it at ``MAX_CELL``;
- text a spreadsheet would take for a formula when edited (``FORMULA_STARTS``) gets
  Excel's quote prefix (each style has a twin with it);
- numbers are numbers, booleans booleans, None and NaN a blank (styled) cell; anything
  else is written as its text.

Writers put values only through ``StreamSheet.put`` and ``StreamSheet.header``;
``StreamSheet.layout`` is for widths, heights, panes, validations and protection (a test
checks that no writer calls XlsxWriter's ``write*`` methods itself). Rows and columns
are counted from 0, as in XlsxWriter; rows must be written in order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from pipeline.errors import WorkbookError
from pipeline.untrusted import FORMULA_STARTS, clean_text

__all__ = ["MAX_CELL", "cell_text", "Style", "StreamBook", "StreamSheet", "HEADER_STYLE", "column_letter"]

MAX_CELL = 32_000  # Excel holds 32,767 characters per cell; a longer one makes it repair the file
FONT = "Calibri"  # named everywhere: a nameless font renders as a serif in LibreOffice
# The shared header look (pipeline.sheets.HEADER_FILL/HEADER_FONT/HEADER_ALIGNMENT).
HEADER_STYLE = {"bg_color": "#1F4E78", "pattern": 1, "font_color": "#FFFFFF", "bold": True,
                "text_wrap": True, "valign": "vcenter"}


def cell_text(value: str) -> tuple[str, bool]:
    """The text a cell may show for ``value``, and whether it needs the quote prefix."""
    text = clean_text(value)[:MAX_CELL]
    return text, text.startswith(FORMULA_STARTS)


def column_letter(index: int) -> str:
    """'A' for 0, 'AA' for 26."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass(frozen=True)
class Style:
    """One cell look, with its quote-prefixed twin for formula-like text."""

    plain: Any
    quoted: Any


class StreamSheet:
    def __init__(self, sheet: Any) -> None:
        self.layout = sheet  # the XlsxWriter worksheet: layout only, never values

    def put(self, row: int, col: int, value: Any, style: Style) -> None:
        """Any value under the toolkit's rules (see the module's docstring)."""
        sheet = self.layout
        if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
            value = value.item()
        if isinstance(value, str):
            text, quoted = cell_text(value)
            if text:
                sheet.write_string(row, col, text, style.quoted if quoted else style.plain)
            else:
                sheet.write_blank(row, col, None, style.plain)
        elif value is None or (isinstance(value, float) and not math.isfinite(value)):
            sheet.write_blank(row, col, None, style.plain)  # NaN and infinities have no cell form
        elif isinstance(value, bool):
            sheet.write_boolean(row, col, value, style.plain)
        elif isinstance(value, (int, float)):
            sheet.write_number(row, col, value, style.plain)
        else:
            self.put(row, col, str(value), style)

    def header(self, row: int, headers: list[str], style: Style, widths: list[float] | None = None) -> None:
        """A header row; headers are outside text too (code labels, coder names)."""
        for col, text in enumerate(headers):
            self.put(row, col, str(text), style)
            if widths is not None:
                self.layout.set_column(col, col, widths[col])


class StreamBook:
    """A workbook written to ``path`` on ``save``; sheets are written row by row."""

    def __init__(self, path: Path) -> None:
        import xlsxwriter  # here: only the commands that write a large workbook load it

        self.path = Path(path)
        # Nothing is ever converted from text: write_string is the only way text goes in.
        self.book = xlsxwriter.Workbook(str(self.path), {
            "constant_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
            "strings_to_urls": False})
        self._styles: dict[tuple, Style] = {}

    def style(self, props: Mapping[str, Any]) -> Style:
        """The style for these XlsxWriter format properties (made once per workbook)."""
        key = tuple(sorted(props.items()))
        made = self._styles.get(key)
        if made is None:
            props = {"font_name": FONT, **props}
            made = Style(self.book.add_format(props), self.book.add_format({**props, "quote_prefix": True}))
            self._styles[key] = made
        return made

    def fill(self, colour: str) -> Any:
        """A background colour for conditional formatting ('#A9D08E')."""
        return self.book.add_format({"bg_color": colour})

    def define_name(self, name: str, ref: str) -> None:
        """A workbook-level name (e.g. a dropdown's list: "='Codebook'!$A$2:$A$9")."""
        self.book.define_name(name, ref)

    def sheet(self, title: str) -> StreamSheet:
        """A new sheet; ``title`` is one of the writer's own names (not outside text)."""
        return StreamSheet(self.book.add_worksheet(title))

    def save(self, title: str, hint: str = "check the folder exists and the file is not open") -> None:
        """Write the file, stamping the creator; a failure names the file and says what to do."""
        self.book.set_properties({"title": clean_text(title), "author": "deductive"})
        from xlsxwriter.exceptions import FileCreateError

        try:
            self.book.close()
        except (OSError, FileCreateError) as exc:  # XlsxWriter wraps OSError in FileCreateError
            raise WorkbookError(f"{self.path}: cannot write the workbook ({exc}); {hint}") from exc
