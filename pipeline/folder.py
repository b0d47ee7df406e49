"""A study folder: laying out a new one, and what its store holds as tables.

``pipeline.study.Study`` delegates here. pandas is imported inside the functions that
build frames, so `deductive status` (SQL counts only) starts without it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.codebook import Codebook, write_codebook_yaml
from pipeline.config import SETTINGS_FILE, default_settings_text
from pipeline.store import STORE_FILE, Store, from_json

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["STUDY_FOLDERS", "SUMMARY_FOLDER", "AUDIT_FOLDER", "lay_out", "codebook_copy", "cases_table", "documents_table",
           "segments_table", "codebooks_table", "status_counts"]

STUDY_FOLDERS = ("codebook", "data", "models")
SUMMARY_FOLDER = Path("data") / "summary"  # where summaries go unless told otherwise
AUDIT_FOLDER = Path("data") / "audit"
_DOC_COLUMNS = ["document_id", "case", "source_key", "version", "format", "encoding", "source_path", "characters", "warnings", "ingested_at"]
_SEGMENT_COLUMNS = ["segment_id", "case", "document_id", "source_key", "unit", "seq", "start", "end", "text",
                    "speaker", "turn", "timestamp", "page", "external_id", "attributes"]


def lay_out(root: Path) -> None:
    """The folders of a new study, its default settings (unless the file exists) and an empty store."""
    for folder in STUDY_FOLDERS:
        (root / folder).mkdir(parents=True, exist_ok=True)
    if not (root / SETTINGS_FILE).exists():
        (root / SETTINGS_FILE).write_text(default_settings_text(), encoding="utf-8")
    Store(root / "data" / STORE_FILE, create=True).close()


def codebook_copy(root: Path, book: Codebook, source: Path | str) -> Path:
    """A self-contained copy (includes resolved) of a new study's first codebook in its
    codebook/ folder, so the study folder travels alone; a file already there is kept."""
    target = root / "codebook" / (Path(str(source)).stem + ".yaml")
    if not target.exists():
        write_codebook_yaml(book, target)
    return target


def cases_table(store: Store) -> pd.DataFrame:
    import pandas as pd  # here, not at the top: `deductive status` starts without pandas

    rows = store.query("SELECT name, attributes FROM cases ORDER BY name")
    return pd.DataFrame([{"case": r["name"], **from_json(r["attributes"])} for r in rows], columns=None if rows else ["case"])


def documents_table(store: Store, all_versions: bool = False) -> pd.DataFrame:
    import pandas as pd

    table = "documents" if all_versions else "current_documents"
    rows = store.query(
        f"SELECT id AS document_id, case_name AS 'case', source_key, version, format, encoding, source_path,"
        f" length(text) AS characters, warnings, ingested_at FROM {table} ORDER BY case_name, source_key, version"
    )
    return pd.DataFrame([dict(r) for r in rows], columns=_DOC_COLUMNS)


def segments_table(store: Store) -> pd.DataFrame:
    import pandas as pd

    rows = store.query(
        "SELECT s.id AS segment_id, d.case_name AS 'case', s.document_id, d.source_key, g.unit, s.seq, s.start, s.end,"
        " s.text, s.speaker, s.turn, s.timestamp, s.page, s.external_id, s.attributes"
        " FROM current_segments s JOIN documents d ON d.id = s.document_id"
        " JOIN segmentations g ON g.id = s.segmentation_id ORDER BY d.case_name, d.source_key, s.seq"
    )
    frame = pd.DataFrame([dict(r) for r in rows], columns=_SEGMENT_COLUMNS)
    frame["attributes"] = frame["attributes"].map(from_json)
    return frame


def codebooks_table(store: Store) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(_codebook_rows(store), columns=["version", "name", "source_path", "loaded_at", "codes", "codable"])


def _codebook_rows(store: Store) -> list[dict[str, Any]]:
    rows = store.query(
        "SELECT b.version, b.name, b.source_path, b.loaded_at, COUNT(c.id) AS codes, SUM(c.codable) AS codable"
        " FROM codebooks b LEFT JOIN codes c ON c.codebook_version = b.version GROUP BY b.version ORDER BY b.loaded_at"
    )
    return [dict(r) for r in rows]


def status_counts(store: Store, root: Path) -> dict[str, Any]:
    """Counts for `deductive status`: cases, documents, segments per case and unit, codebooks."""
    per_case = store.query(
        "SELECT c.name AS 'case', COUNT(DISTINCT d.id) AS documents FROM cases c"
        " LEFT JOIN current_documents d ON d.case_name = c.name GROUP BY c.name ORDER BY c.name"
    )
    segs = store.query(
        "SELECT d.case_name AS 'case', g.unit, COUNT(*) AS n FROM current_segments s"
        " JOIN documents d ON d.id = s.document_id JOIN segmentations g ON g.id = s.segmentation_id"
        " GROUP BY d.case_name, g.unit"
    )
    by_case: dict[str, dict[str, Any]] = {r["case"]: {"documents": r["documents"], "segments": {}} for r in per_case}
    for r in segs:
        by_case.setdefault(r["case"], {"documents": 0, "segments": {}})["segments"][r["unit"]] = r["n"]
    versions = store.query("SELECT COUNT(*) FROM documents")[0][0]
    current = sum(v["documents"] for v in by_case.values())
    return {
        "study": str(root),
        "cases": len(by_case),
        "documents": current,
        "older_versions": int(versions) - current,
        "segments": sum(n for v in by_case.values() for n in v["segments"].values()),
        "by_case": by_case,
        "codebooks": [{k: v for k, v in row.items() if k != "source_path"} for row in _codebook_rows(store)],
        "schema_version": store.schema_version,
    }
