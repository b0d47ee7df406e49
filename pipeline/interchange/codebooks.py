"""Codebook import and export between files, studies and REFI-QDA.

``import_codebook`` reads a .qdc (REFI-QDA) or a CFIR-style spreadsheet (.xlsx/.csv,
recognised by its headers), writes it as a YAML codebook and/or stores it in a study
as a new codebook version (the YAML copy goes into the study's ``codebook/`` folder).
``export_codebook`` writes a study's codebook as .qdc.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.codebook import Codebook, load_codebook, save_codebook, write_codebook_yaml
from pipeline.errors import CodebookError
from pipeline.interchange.cfir_template import read_cfir_template
from pipeline.interchange.guids import GuidBook, remember
from pipeline.interchange.qdc import read_qdc, write_qdc

if TYPE_CHECKING:
    from pipeline.context import StudyContext

__all__ = ["CodebookImport", "import_codebook", "export_codebook", "read_foreign_codebook"]


@dataclass(frozen=True)
class CodebookImport:
    codebook: Codebook
    warnings: tuple[str, ...]
    yaml_path: Path | None
    study_copy: Path | None


def read_foreign_codebook(path: Path | str) -> tuple[Codebook, dict[str, str], tuple[str, ...]]:
    """(codebook, code id -> GUID, warnings) from a .qdc, .xlsx or .csv file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".qdc":
        result = read_qdc(path)
        return result.codebook, result.guids, result.warnings
    if suffix in (".xlsx", ".csv"):
        return read_cfir_template(path), {}, ()
    raise CodebookError(path, f"cannot import '{suffix}' files; give a REFI-QDA .qdc or a CFIR-style .xlsx/.csv sheet")


def import_codebook(path: Path | str, *, out: Path | str | None = None, study: "StudyContext | None" = None) -> CodebookImport:
    """Convert a foreign codebook to YAML at ``out`` and/or add it to ``study`` (a Study)."""
    book, guids, warnings = read_foreign_codebook(path)
    yaml_path = None
    if out is not None:
        yaml_path = Path(out)
        write_codebook_yaml(book, yaml_path)
        load_codebook(yaml_path)  # what we wrote must read back; fail loudly if not
    copy = None
    if study is not None:
        copy = _free_path(study.root / "codebook", Path(path).stem)
        write_codebook_yaml(book, copy)
        stored = load_codebook(copy)
        with study.store.transaction() as conn:
            save_codebook(conn, stored)
            for code_id, value in guids.items():
                remember(conn, "code", (code_id,), value)
        book = stored
    return CodebookImport(book, warnings, yaml_path, copy)


def _free_path(folder: Path, stem: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    candidate, number = folder / f"{stem}.yaml", 2
    while candidate.exists():
        candidate, number = folder / f"{stem}-{number}.yaml", number + 1
    return candidate


def export_codebook(study: "StudyContext", out: Path | str, version: str | None = None) -> tuple[Codebook, Path]:
    """Write the study's codebook (latest, or ``version``) as a .qdc file."""
    book = study.codebook(version)
    return book, write_qdc(book, out, GuidBook.from_store(study.store.conn))
