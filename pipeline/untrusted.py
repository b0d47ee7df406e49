"""Text from outside, made safe for the files we write: the rules in one place.

Every text that enters a study (documents, codebooks, workbooks, other tools' projects)
is data. Where it leaves in a spreadsheet it must never become a formula:

- ``FORMULA_STARTS``: the first characters that make Excel, LibreOffice or Google Sheets
  read a cell as a formula (OWASP's CSV-injection list: ``=``, ``+``, ``-``, ``@``,
  tab, carriage return), plus the full-width forms that some East-Asian input methods
  turn into the ASCII ones;
- ``clean_text`` drops characters XML 1.0 cannot hold (an .xlsx cannot store them);
- ``neutralise`` is OWASP's advice for CSV cells: a single quote before a cell that
  starts like a formula, so a spreadsheet shows it as text;
- ``write_csv`` writes a table with every text cell neutralised, unless ``raw``.

``pipeline.sheets`` applies the same rules to workbook cells.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


from pipeline.errors import ConfigError

__all__ = ["FORMULA_STARTS", "clean_text", "neutralise", "write_csv"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# XML 1.0 allows tab, LF and CR among the control characters; no surrogates, no U+FFFE/U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean_text(value: str) -> str:
    """``value`` without the characters an XML file (and so an .xlsx) cannot hold."""
    return _NOT_XML.sub("", value)


def neutralise(value: Any) -> Any:
    """A CSV cell that no spreadsheet evaluates: text starting like a formula gets a leading
    single quote; numbers and everything else are returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(frame: "pd.DataFrame", path: Path, raw: bool = False) -> None:
    """Write ``frame`` as UTF-8 CSV; text cells (and headers) neutralised unless ``raw``
    (for programs that read the file, not people who open it in a spreadsheet)."""
    import pandas as pd  # here, not at the top: the CLI imports this module at start-up

    if not raw:
        frame = frame.copy()
        for i, dtype in enumerate(frame.dtypes):
            if not pd.api.types.is_numeric_dtype(dtype):  # text, mixed and date columns
                frame.isetitem(i, frame.iloc[:, i].map(neutralise))
        frame.columns = [neutralise(c) for c in frame.columns]
    try:
        frame.to_csv(path, index=False, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write the CSV file ({exc.strerror}); check the folder exists") from exc
