"""Restore codes to the original names in a report, for the researcher who holds the key.

HTML reports get the originals HTML-escaped, CSV files are rewritten field by field,
.xlsx workbooks cell by cell (through the untrusted-text guard); .txt and .md as text.
The output must not go into the study folder: whoever receives the study must not
receive re-identified text with it.
"""

from __future__ import annotations

import csv
import html
import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.errors import InputError, StudyError
from pipeline.pseudonymise.apply import make_restorer
from pipeline.pseudonymise.entities import CODE_RE
from pipeline.pseudonymise.key import check_outside, read_key
from pipeline.pseudonymise.workbook import reidentify_workbook

if TYPE_CHECKING:
    from pipeline.context import StudyContext

__all__ = ["reidentify", "ReidentifyReport", "FORMATS", "MAX_REPORT_BYTES"]

FORMATS = (".html", ".htm", ".csv", ".xlsx", ".txt", ".md")
MAX_REPORT_BYTES = 200_000_000


@dataclass(frozen=True)
class ReidentifyReport:
    restored: int  # codes (or, for .xlsx, cells) put back
    unknown: tuple[str, ...]  # codes in the report that the key does not hold


def reidentify(study: "StudyContext", key_path: Path, source: Path, target: Path) -> ReidentifyReport:
    suffix = source.suffix.lower()
    if suffix not in FORMATS:
        raise InputError(f"{source}: cannot re-identify a '{suffix}' file; give one of {', '.join(FORMATS)}")
    check_outside(target, study.root, "re-identified output")
    sid = study.store.get_meta("pseudonymisation_study_id")
    if sid is None:
        raise StudyError(f"{study.root}: this study was never pseudonymised, so there is nothing to re-identify")
    if not key_path.expanduser().exists():
        raise InputError(f"{key_path}: no key there; give the key written by `deductive pseudonymise`")
    key = read_key(key_path.expanduser(), sid)
    originals = {code: entry.original for code, entry in key.entries.items()}
    if suffix == ".xlsx":
        changed = reidentify_workbook(source, target, make_restorer(originals))
        return ReidentifyReport(changed, ())
    try:
        if source.stat().st_size > MAX_REPORT_BYTES:
            raise InputError(f"{source}: larger than {MAX_REPORT_BYTES // 1_000_000} MB; is it the right file?")
        text = source.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{source}: cannot read the report as UTF-8 text ({exc})") from exc
    codes = CODE_RE.findall(text)
    found = [f"[{k}_{n}]" for k, n in codes]
    escape = (lambda s: html.escape(s, quote=True)) if suffix in (".html", ".htm") else str
    restore = make_restorer(originals, escape)
    out = _csv(text, restore) if suffix == ".csv" else restore(text)
    try:
        target.write_text(out, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{target}: cannot write ({exc.strerror})") from exc
    return ReidentifyReport(sum(c in originals for c in found), tuple(sorted({c for c in found if c not in originals})))


def _csv(text: str, restore) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in csv.reader(io.StringIO(text)):
        writer.writerow([_guard(field, restore(field)) for field in row])
    return out.getvalue()


def _guard(before: str, after: str) -> str:
    """A restored name must not turn a CSV field into a spreadsheet formula."""
    if after != before and after.startswith(("=", "+", "-", "@", "\t", "\r")):
        return "'" + after
    return after
