"""Helpers shared by the REFI-QDA tests."""

from __future__ import annotations

from pathlib import Path


from pipeline.study import Study
from shared_data import shared_file

def refi_file(name: str) -> Path:
    """A REFI-QDA schema or export under ../shared/refi (skipped when missing; a failure in CI)."""
    return shared_file("refi", name)


def add_decisions(study: Study, coder: str, rows: list[tuple[str, str | None, str, str]]) -> None:
    """(segment id, code id, verdict, memo) rows as one import of ``coder``."""
    version = study.codebook().version
    with study.store.transaction() as conn:
        cursor = conn.execute("INSERT INTO imports(kind, file_hash, path) VALUES ('csv', ?, 'test')", (f"{coder}-{len(rows)}-{rows[0]}",))
        for segment, code, verdict, memo in rows:
            conn.execute("INSERT INTO decisions(coder, import_id, segment_id, code_id, codebook_version, verdict, memo)"
                         " VALUES (?,?,?,?,?,?,?)", (coder, cursor.lastrowid, segment, code, version, verdict, memo))

def human_codings(study: Study) -> set[tuple[str, str, int, int, str]]:
    """(coder, source key, start, end, code) of every current positive decision."""
    rows = study.store.query(
        "SELECT d.coder, doc.source_key, s.start, s.end, d.code_id FROM current_decisions d"
        " JOIN current_segments s ON s.id = d.segment_id JOIN documents doc ON doc.id = s.document_id"
        " WHERE d.verdict IN ('accepted', 'added') AND d.code_id IS NOT NULL")
    return {tuple(r) for r in rows}

def store_counts(study_dir: Path) -> dict[str, int]:
    with Study(study_dir) as study:
        return {t: study.store.query(f"SELECT COUNT(*) FROM {t}")[0][0]
                for t in ("cases", "documents", "segments", "codebooks", "codes", "imports", "decisions", "meta")}

