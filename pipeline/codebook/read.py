"""Reading a codebook file (YAML, CSV or XLSX) into a validated ``Codebook``.

Validation collects every problem it can find, each located by file and row (tabular)
or by ``codes[i]`` and id (YAML), and raises one ``CodebookError`` listing them all.
"""

from __future__ import annotations

import difflib
import re
import zipfile
from pathlib import Path
from typing import Any, Iterable

import yaml

from pipeline.codebook.model import CODE_UNITS, FIELDS, Code, Codebook
from pipeline.errors import CodebookError

__all__ = ["load_codebook", "TOP_LEVEL_KEYS"]

_ROLE = re.compile(r"^[a-z][a-z0-9_ -]{0,39}$")
# Top-level keys of a YAML codebook; a near miss of one of them is an error (issue 15).
TOP_LEVEL_KEYS = ("name", "description", "include", "codes", "version")
_TEXT_FIELDS = ("label", "definition", "inclusion", "exclusion")
_TRUE = {"true", "yes", "y", "1", "x"}
_FALSE = {"false", "no", "n", "0", ""}


def load_codebook(path: Path | str, _including: tuple[Path, ...] = ()) -> Codebook:
    """Read and validate a codebook file (.yaml/.yml, .csv or .xlsx)."""
    path = Path(path)
    if not path.is_file():
        raise CodebookError(path, "file not found; give the path of a .yaml, .csv or .xlsx codebook")
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        name, description, rows = _read_yaml(path, _including)
    elif suffix in (".csv", ".xlsx"):
        name, description, rows = path.stem, "", _read_table(path)
    else:
        raise CodebookError(path, f"unsupported codebook format '{suffix}'; use .yaml, .csv or .xlsx")
    codes = _build_codes(path, rows)
    return Codebook(name=name, codes=codes, source=str(path), description=description)


def _read_yaml(path: Path, including: tuple[Path, ...] = ()) -> tuple[str, str, list[tuple[str, dict[str, Any]]]]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise CodebookError(path, f"not valid YAML: {exc}") from exc
    if data is None:
        raise CodebookError(path, "the file is empty; add a `codes:` list")
    if isinstance(data, list):
        data = {"codes": data}
    if not isinstance(data, dict):
        raise CodebookError(path, "expected a mapping with a `codes:` list of codes")
    _check_top_keys(path, data)
    rows = _included_rows(path, data.get("include") or [], including)
    codes = data.get("codes") or []
    if not isinstance(codes, list):
        raise CodebookError(path, "`codes:` must be a list of codes")
    if not codes and not rows:
        raise CodebookError(path, "`codes:` is empty; a codebook needs at least one code")
    for i, entry in enumerate(codes):
        where = f"codes[{i}]"
        if not isinstance(entry, dict):
            raise CodebookError(path, f"{where}: expected a mapping with id, label, definition, ...")
        if entry.get("id"):
            where += f" (id '{entry['id']}')"
        rows.append((where, entry))
    return str(data.get("name") or path.stem), str(data.get("description") or "").strip(), rows


def _check_top_keys(path: Path, data: dict[str, Any]) -> None:
    """A misspelt top-level key (`inclde:`) would silently drop what it holds: name it."""
    for key in data:
        if str(key) in TOP_LEVEL_KEYS:
            continue
        close = difflib.get_close_matches(str(key), TOP_LEVEL_KEYS, n=1, cutoff=0.75)
        if close:
            raise CodebookError(path, f"unknown top-level key '{key}': did you mean '{close[0]}'? "
                                      f"(valid keys: {', '.join(TOP_LEVEL_KEYS)})")


def _included_rows(path: Path, includes: Any, including: tuple[Path, ...] = ()) -> list[tuple[str, dict[str, Any]]]:
    """Codes of other codebook files named under `include:` (paths relative to this one)."""
    if not isinstance(includes, list):
        raise CodebookError(path, "`include:` must be a list of codebook files")
    rows: list[tuple[str, dict[str, Any]]] = []
    chain = (*including, path.resolve())
    for name in includes:
        other = (path.parent / str(name)).resolve()
        if other == path.resolve():
            raise CodebookError(path, f"`include:` names the file itself ({name})")
        if other in chain:
            cycle = " -> ".join(p.name for p in (*chain[chain.index(other):], other))
            raise CodebookError(path, f"`include:` {name} makes a cycle ({cycle}); remove one of the includes")
        if not other.is_file():
            raise CodebookError(path, f"`include:` names {name}, which does not exist (looked for {other}); "
                                      f"fix the path, relative to the folder of {path.name}")
        for code in load_codebook(other, chain).codes:
            rows.append((f"{name}: id '{code.id}'", {**code.content(), "examples": list(code.examples)}))
    return rows


def _read_table(path: Path) -> list[tuple[str, dict[str, Any]]]:
    if path.suffix.lower() == ".xlsx" and not zipfile.is_zipfile(path):
        raise CodebookError(path, "not an Excel workbook (an .xlsx file is a zip archive; this one is not); "
                                  "save it from Excel or LibreOffice as Excel Workbook (.xlsx), or use .csv or .yaml")
    import pandas as pd  # only tables need it; YAML codebooks load without pandas (CLI start-up)

    try:
        if path.suffix.lower() == ".csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        else:
            frame = pd.read_excel(path, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError as exc:
        raise CodebookError(path, "the file is empty; add a header row and one row per code") from exc
    except Exception as exc:  # pandas raises many types for unreadable files
        raise CodebookError(path, f"cannot read the table: {exc}") from exc
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    if "id" not in frame.columns:
        raise CodebookError(path, f"no 'id' column; found columns: {', '.join(frame.columns)}")
    if frame.empty:
        raise CodebookError(path, "no codes: the table has a header but no rows")
    example_cols = [c for c in frame.columns if c.startswith("example")]
    rows = []
    for i, record in enumerate(frame.to_dict("records")):
        examples: list[str] = []
        for col in example_cols:
            examples += _split_examples(record.pop(col))
        record["examples"] = examples
        rows.append((f"row {i + 2}" + (f" (id '{record['id']}')" if record.get("id") else ""), record))
    return rows


def _split_examples(value: Any) -> list[str]:
    """A tabular cell may hold several examples, one per line or separated by ' | '."""
    text = str(value or "")
    parts = text.replace(" | ", "\n").split("\n")
    return [p.strip() for p in parts if p.strip()]


def _flag(value: Any, default: bool) -> bool | None:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text == "":
        return default
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


def _not_text(raw: dict[str, Any], examples: Any) -> str:
    """The text fields that YAML read as something else (`label: 2020`, `definition: [a, b]`)."""
    bad = [f for f in _TEXT_FIELDS if raw.get(f) is not None and not isinstance(raw.get(f), str)]
    if not isinstance(examples, list) or any(not isinstance(e, str) for e in examples if e is not None):
        bad.append("examples (each one)")
    return ", ".join(f"'{f}'" for f in bad)


def _text(value: Any) -> str:
    if value is None:
        return ""
    return " ".join(str(value).split())


def _build_codes(path: Path, rows: list[tuple[str, dict[str, Any]]]) -> tuple[Code, ...]:
    problems: list[str] = []
    codes: list[Code] = []
    seen: dict[str, str] = {}
    for where, raw in rows:
        unknown = set(raw) - set(FIELDS)
        if unknown:
            problems.append(f"{where}: unknown field(s) {', '.join(sorted(map(str, unknown)))}; valid: {', '.join(FIELDS)}")
        code_id = _text(raw.get("id"))
        if not code_id:
            problems.append(f"{where}: missing id")
            continue
        if code_id in seen:
            problems.append(f"{where}: duplicate id '{code_id}' (first defined at {seen[code_id]}); ids must be unique")
            continue
        seen[code_id] = where
        codable, exclusive = _flag(raw.get("codable"), True), _flag(raw.get("exclusive"), False)
        if codable is None or exclusive is None:
            problems.append(f"{where}: codable/exclusive must be true or false")
            continue
        unit, scope, unit_problems = _unit_and_scope(where, raw)
        if unit_problems:
            problems += unit_problems
            continue
        examples = raw.get("examples") or []
        if isinstance(examples, str):
            examples = _split_examples(examples)
        not_text = _not_text(raw, examples)
        if not_text:
            problems.append(f"{where}: {not_text} must be text, not a number, list or mapping; put it in "
                            f"quotes in the YAML")
            continue
        code = Code(
            id=code_id,
            label=_text(raw.get("label")) or code_id,
            parent=_text(raw.get("parent")) or None,
            definition=_text(raw.get("definition")),
            inclusion=_text(raw.get("inclusion")),
            exclusion=_text(raw.get("exclusion")),
            examples=tuple(_text(e) for e in examples if _text(e)),
            codable=codable,
            exclusive=exclusive,
            unit=unit,
            scope=scope,
        )
        if code.codable and not code.definition:
            problems.append(f"{where}: codable code '{code_id}' has no definition; write one or set codable: false")
        codes.append(code)
    problems += _hierarchy_problems(codes, seen)
    if problems:
        raise CodebookError(path, problems)
    if not codes:
        raise CodebookError(path, "no codes found")
    return tuple(codes)


def _unit_and_scope(where: str, raw: dict[str, Any]) -> tuple[str | None, tuple[str, ...], list[str]]:
    """Validated unit and scope of one code: (unit, roles, problems)."""
    problems = []
    unit = _text(raw.get("unit")).lower() or None
    if unit is not None and unit not in CODE_UNITS:
        problems.append(f"{where}: unknown unit '{raw.get('unit')}'; use one of {', '.join(CODE_UNITS)} "
                        "or leave it out (the segment itself)")
    value = raw.get("scope")
    if isinstance(value, str):
        value = [] if not value.strip() else [p for p in re.split(r"[,;|]", value)]
        if not value:
            value = None  # an empty tabular cell: no scope of its own
    if isinstance(value, tuple):
        value = list(value)
    if value is not None and not isinstance(value, list):
        problems.append(f"{where}: scope must be a list of speaker roles, e.g. [participant]")
        return unit, (), problems
    roles = tuple(dict.fromkeys(_text(r).lower() for r in value or [] if _text(r)))
    if value is not None and not roles:
        problems.append(f"{where}: empty scope; name the speaker roles the code applies to "
                        "(e.g. scope: [participant]) or remove the scope line (every speaker)")
    bad = [r for r in roles if not _ROLE.match(r)]
    if bad:
        problems.append(f"{where}: scope role(s) {', '.join(map(repr, bad))} are not role names; "
                        "use short names such as participant, interviewer, client")
    return unit, roles, problems


def _hierarchy_problems(codes: Iterable[Code], where: dict[str, str]) -> list[str]:
    parents = {c.id: c.parent for c in codes}
    problems = [
        f"{where[c]}: unknown parent '{p}'; use the id of another code or leave it empty"
        for c, p in parents.items()
        if p is not None and p not in parents
    ]
    reported: set[str] = set()
    for start in parents:
        path, node = [start], parents[start]
        while node is not None and node in parents:
            if node in path:
                cycle = path[path.index(node):] + [node]
                if not reported & set(cycle):
                    problems.append(f"{where[start]}: parent cycle {' -> '.join(cycle)}; a code cannot be its own ancestor")
                    reported |= set(cycle)
                break
            path.append(node)
            node = parents[node]
    return problems

