"""Codebooks from spreadsheets shaped like the common CFIR Excel templates.

The columns are found by their header, in any order and on any of the first rows
(templates often start with a title row): ``Domain``, ``Construct``, optionally
``Subconstruct``, ``Definition`` (or ``Description``), ``Inclusion`` / ``Exclusion``
(criteria), ``Example(s)`` and ``ID``. Domains become non-codable parents, constructs
codable codes under them, subconstructs codable codes under their construct. A blank
domain or construct cell repeats the one above (merged cells read that way). A row
naming only a domain may carry the domain's definition.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.codebook import Code, Codebook
from pipeline.errors import CodebookError
from pipeline.interchange.qdc import slug

__all__ = ["read_cfir_template", "recognise_columns", "is_cfir_template"]

_SCAN_ROWS = 15
_ENUMERATION = re.compile(r"^\s*(?:[IVX]+|[A-Za-z]|\d+(?:\.\d+)*)[.)]\s+")


def recognise_columns(header: list[Any]) -> dict[str, int]:
    """Field -> column index for the headers this reader knows."""
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        text = " ".join(str(cell or "").replace("-", " ").lower().split())
        field = _field(text)
        if field and field not in found:
            found[field] = index
    return found


def _field(text: str) -> str | None:
    if not text or text == "nan":
        return None
    if "definition" in text or text in ("description", "construct description"):
        return "definition"
    if "inclusion" in text:
        return "inclusion"
    if "exclusion" in text:
        return "exclusion"
    if text.startswith("example"):
        return "examples"
    if "sub construct" in text or "subconstruct" in text:
        return "subconstruct"
    if "construct" in text:
        return "construct"
    if "domain" in text:
        return "domain"
    if text in ("id", "code id", "code"):
        return "id"
    return None


def _read(path: Path) -> pd.DataFrame:
    try:
        if path.suffix.lower() == ".csv":
            return pd.read_csv(path, header=None, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        return pd.read_excel(path, header=None, dtype=str, keep_default_na=False)
    except FileNotFoundError as exc:
        raise CodebookError(path, "file not found; check the path") from exc
    except Exception as exc:  # pandas raises many types for unreadable files
        raise CodebookError(path, f"cannot read the spreadsheet: {exc}") from exc


def _header_row(frame: pd.DataFrame) -> tuple[int, dict[str, int]] | None:
    for row in range(min(_SCAN_ROWS, len(frame))):
        columns = recognise_columns(list(frame.iloc[row]))
        if "construct" in columns and "definition" in columns:
            return row, columns
    return None


def is_cfir_template(path: Path | str) -> bool:
    """True when the sheet has Construct and Definition headers on one of its first rows."""
    return _header_row(_read(Path(path))) is not None


def read_cfir_template(path: Path | str) -> Codebook:
    """Read a CFIR-style sheet (.xlsx or .csv) into a validated codebook."""
    path = Path(path)
    frame = _read(path)
    found = _header_row(frame)
    if found is None:
        raise CodebookError(path, f"no header row with 'Construct' and 'Definition' columns in the first "
                                  f"{_SCAN_ROWS} rows; for a codebook with id/label columns use `deductive codebook add`")
    header, columns = found
    builder = _Builder(path)
    for row in range(header + 1, len(frame)):
        cells = {field: str(frame.iat[row, index] or "").strip() if field == "examples" else _cell(frame.iat[row, index])
                 for field, index in columns.items()}
        builder.add(row + 1, cells)
    return builder.codebook()


def _cell(value: Any) -> str:
    return " ".join(str(value or "").split())


class _Builder:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.codes: dict[str, dict[str, Any]] = {}
        self.domain: str | None = None
        self.construct: str | None = None
        self.problems: list[str] = []

    def add(self, row: int, cells: dict[str, str]) -> None:
        if not any(cells.values()):
            return
        if cells.get("domain"):
            if cells["domain"] != self._label(self.domain):
                self.construct = None
            self.domain = self._code(cells["domain"], None, False, row, cells.get("id") if not cells.get("construct") else "")
        construct, sub = cells.get("construct", ""), cells.get("subconstruct", "")
        if not construct and not sub:
            if self.domain and cells.get("definition"):
                self._fill(self.domain, cells)
            return
        if construct:
            self.construct = self._code(construct, self.domain, True, row, "" if sub else cells.get("id", ""))
        if sub:
            if self.construct is None:
                self.problems.append(f"row {row}: subconstruct '{sub}' without a construct above it")
                return
            target = self._code(sub, self.construct, True, row, cells.get("id", ""))
        else:
            target = self.construct
        self._fill(target, cells)

    def _label(self, code_id: str | None) -> str | None:
        return None if code_id is None else self.codes[code_id]["label"]

    def _code(self, label: str, parent: str | None, codable: bool, row: int, given_id: str | None) -> str:
        for code_id, entry in self.codes.items():
            if entry["label"] == label and entry["parent"] == parent:
                return code_id
        base = given_id or slug(_ENUMERATION.sub("", label))
        code_id = base if base not in self.codes else f"{parent}.{base}" if parent else f"{base}_{row}"
        self.codes[code_id] = {"label": label, "parent": parent, "codable": codable, "row": row,
                               "definition": "", "inclusion": "", "exclusion": "", "examples": []}
        return code_id

    def _fill(self, code_id: str, cells: dict[str, str]) -> None:
        entry = self.codes[code_id]
        for field in ("definition", "inclusion", "exclusion"):
            if cells.get(field):
                entry[field] = cells[field]
        if cells.get("examples"):
            parts = re.split(r"\n|\s\|\s", cells["examples"])
            entry["examples"] += [_cell(re.sub(r"^\s*(?:[-*\u2022]|\d+[.)])\s+", "", p)) for p in parts if p.strip()]

    def codebook(self) -> Codebook:
        codes = []
        for code_id, e in self.codes.items():
            if e["codable"] and not e["definition"]:
                self.problems.append(f"row {e['row']}: construct '{e['label']}' has no definition; fill the Definition cell")
            codes.append(Code(id=code_id, label=e["label"], parent=e["parent"], definition=e["definition"],
                              inclusion=e["inclusion"], exclusion=e["exclusion"], examples=tuple(e["examples"]),
                              codable=e["codable"]))
        if self.problems:
            raise CodebookError(self.path, self.problems)
        if not codes:
            raise CodebookError(self.path, "no constructs below the header row")
        return Codebook(name=self.path.stem, codes=tuple(codes), source=str(self.path))
