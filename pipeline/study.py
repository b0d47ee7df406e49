"""The ``Study``: one folder, its settings and its store, for the CLI and for notebooks.

    study = Study.create("my-study", codebook="codebook/cfir2.yaml")
    study.ingest(["interviews/"], cases="interviews/cases.csv")
    study.segments()          # a pandas DataFrame, one row per current segment

Methods return data (dataclasses or DataFrames); nothing prints.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import pandas as pd

from pipeline.codebook import Codebook, load_codebook, save_codebook, stored_codebook, write_codebook_yaml
from pipeline.config import SETTINGS_FILE, Settings, default_settings_text, load_settings
from pipeline.documents import current_segmentation, load_blocks, write_segments
from pipeline.errors import StudyError
from pipeline.segment import segmentation_id
from pipeline.store import STORE_FILE, Store, from_json

if TYPE_CHECKING:
    from pipeline.ingest.read import ReadOptions
    from pipeline.ingest.stage import IngestReport
    from pipeline.suggest.evaluate import Evaluation
    from pipeline.suggest.stage import SuggestReport
    from pipeline.suggest.training import LearnedModel

# Ingest (pypdf, python-docx), suggest, learn and evaluate (scikit-learn) are imported in
# the methods that use them: `deductive status` and the review commands start faster.

__all__ = ["Study", "STUDY_FOLDERS"]

STUDY_FOLDERS = ("codebook", "data", "models")


class Study:
    """An existing study folder. Use ``Study.create`` to make a new one."""

    def __init__(self, root: Path | str, settings: Settings | None = None) -> None:
        self.root = Path(root)
        store_path = self.root / "data" / STORE_FILE
        if not store_path.exists():
            raise StudyError(f"{self.root}: not a deductive study (no data/{STORE_FILE}); create one with `deductive init {self.root}`")
        self.settings = settings or load_settings(self.root / SETTINGS_FILE)
        self.store = Store(store_path)

    @classmethod
    def create(cls, root: Path | str, codebook: Path | str | None = None) -> "Study":
        """Lay out a new study folder and its store; optionally load a first codebook."""
        root = Path(root)
        if (root / "data" / STORE_FILE).exists():
            raise StudyError(f"{root}: already a study; nothing was changed")
        book = load_codebook(codebook) if codebook else None  # validate before creating anything
        for folder in STUDY_FOLDERS:
            (root / folder).mkdir(parents=True, exist_ok=True)
        if not (root / SETTINGS_FILE).exists():
            (root / SETTINGS_FILE).write_text(default_settings_text(), encoding="utf-8")
        Store(root / "data" / STORE_FILE, create=True).close()
        study = cls(root)
        if book is not None:
            # A self-contained copy (includes resolved), so the study folder travels alone.
            target = root / "codebook" / (Path(str(codebook)).stem + ".yaml")
            if not target.exists():
                write_codebook_yaml(book, target)
            study.add_codebook(target)
        return study

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> "Study":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writing -----------------------------------------------------------------

    def ingest(
        self,
        paths: Sequence[Path | str],
        *,
        cases: Path | str | None = None,
        case: str | None = None,
        read: ReadOptions | None = None,
    ) -> IngestReport:
        """Ingest files and folders; segment them with the study's segment settings."""
        from pipeline.ingest.read import ReadOptions
        from pipeline.ingest.stage import IngestOptions, ingest

        if read is None:
            read = ReadOptions(**({"speaker_pattern": self.settings.ingest.speaker_pattern} if self.settings.ingest.speaker_pattern else {}))
        options = IngestOptions(
            read=read,
            segment=self.settings.segment,
            cases_file=Path(cases) if cases else None,
            case=case,
        )
        return ingest(self.store, [Path(p) for p in paths], options)

    def segment(self) -> int:
        """(Re)segment every current document with the study's segment settings.

        Documents already cut this way are left alone. Returns the number of documents
        that got a new segmentation.
        """
        return sum(1 for doc_id in self.stale_documents() if self.segment_document(doc_id))

    def segment_document(self, document_id: str) -> int:
        """Give one document the study's segmentation in one transaction; 0 if it already has it,
        else the number of segments written."""
        if current_segmentation(self.store.conn, document_id) == segmentation_id(self.settings.segment):
            return 0
        with self.store.transaction() as conn:
            text = conn.execute("SELECT text FROM documents WHERE id = ?", (document_id,)).fetchone()[0]
            return write_segments(conn, document_id, text, load_blocks(conn, document_id), self.settings.segment)

    def has_segments(self) -> bool:
        """Whether any current document has segments yet (every file may have failed)."""
        return bool(self.store.query("SELECT 1 FROM current_segments LIMIT 1"))

    def stale_documents(self) -> list[str]:
        """Ids of current documents not yet cut with the study's segment settings."""
        target = segmentation_id(self.settings.segment)
        ids = [r[0] for r in self.store.query("SELECT id FROM current_documents ORDER BY case_name, source_key")]
        return [d for d in ids if current_segmentation(self.store.conn, d) != target]

    def add_codebook(self, path: Path | str) -> Codebook:
        """Validate and store a codebook version (a no-op if that version is stored)."""
        book = load_codebook(path)
        with self.store.transaction() as conn:
            save_codebook(conn, book)
        return book

    def embedder(self) -> Any:
        """The embedding model named by the settings (loaded on first use, so a run whose
        texts are all cached loads none; never another model)."""
        from pipeline.embed import EmbedSettings, open_embedder

        e = self.settings.embedding
        return open_embedder(EmbedSettings(model=e.model, backend=e.backend, batch_size=e.batch_size,
                                           threads=e.threads or None))

    def suggest(self, codebook: str | None = None, embedder: Any = None, learned: bool | None = None) -> SuggestReport:
        """Suggest codes for all current segments (incremental within a run).

        learned=None (default): use the newest learned suggester for this codebook and
        model, learning a new one first when there are at least AUTO_LEARN_MIN confirmed
        codes it has not seen; True: always learn first; False: definitions only.
        """
        from pipeline.suggest.stage import suggest_segments

        book = self.codebook(codebook)
        embedder = embedder or self.embedder()
        model = None
        if learned is not False:
            from pipeline.suggest.training import AUTO_LEARN_MIN, current_decision_ids, decisions_hash, load_latest

            model = load_latest(self.root / "models", book.version, embedder.identity)
            positives = self.store.query(
                "SELECT COUNT(*) FROM current_decisions WHERE verdict IN ('accepted', 'added')")[0][0]
            stale = model is None or model.card["decisions_hash"] != decisions_hash(current_decision_ids(self.store))
            if learned or (stale and positives >= AUTO_LEARN_MIN):
                model = self.learn(book.version, embedder)
        return suggest_segments(self.store, book, embedder, self.settings.suggest, learned=model)

    def learn(self, codebook: str | None = None, embedder: Any = None, coders: list[str] | None = None) -> LearnedModel:
        """Fit and save a learned suggester from the decisions so far (see pipeline.suggest.training)."""
        from pipeline.suggest.training import learn

        return learn(self.store, self.codebook(codebook), embedder or self.embedder(), self.root / "models", coders)

    def suggestions(self, run: str | None = None, shown_only: bool = True) -> pd.DataFrame:
        from pipeline.suggest.stage import latest_run, suggestions_frame

        run_id = run or latest_run(self.store)
        if run_id is None:
            raise StudyError(f"{self.root}: no suggestions yet; run `deductive suggest {self.root}` first")
        return suggestions_frame(self.store, run_id, shown_only)

    def evaluate(self, gold: pd.DataFrame, gold_column: str, run: str | None = None, top_k: int = 2) -> Evaluation:
        from pipeline.suggest.evaluate import evaluate_run
        from pipeline.suggest.stage import latest_run

        run_id = run or latest_run(self.store)
        if run_id is None:
            raise StudyError(f"{self.root}: no suggestions to evaluate; run `deductive suggest {self.root}` first")
        version = self.store.conn.execute("SELECT codebook_version FROM suggestion_runs WHERE id = ?", (run_id,)).fetchone()[0]
        return evaluate_run(self.store, run_id, self.codebook(version), gold, gold_column, top_k)

    # --- reading -----------------------------------------------------------------

    def codebook(self, version: str | None = None) -> Codebook:
        book = stored_codebook(self.store.conn, version)
        if book is None:
            what = f"codebook version '{version}'" if version else "a codebook"
            raise StudyError(f"{self.root}: the study has no {what}; add one with `deductive codebook add {self.root} FILE`")
        return book

    def cases(self) -> pd.DataFrame:
        rows = self.store.query("SELECT name, attributes FROM cases ORDER BY name")
        return pd.DataFrame([{"case": r["name"], **from_json(r["attributes"])} for r in rows], columns=None if rows else ["case"])

    def documents(self, all_versions: bool = False) -> pd.DataFrame:
        table = "documents" if all_versions else "current_documents"
        rows = self.store.query(
            f"SELECT id, case_name AS 'case', source_key, version, format, encoding, source_path,"
            f" length(text) AS characters, warnings, ingested_at FROM {table} ORDER BY case_name, source_key, version"
        )
        return pd.DataFrame([dict(r) for r in rows], columns=_DOC_COLUMNS)

    def segments(self) -> pd.DataFrame:
        rows = self.store.query(
            "SELECT s.id, d.case_name AS 'case', s.document_id, d.source_key, g.unit, s.seq, s.start, s.end,"
            " s.text, s.speaker, s.turn, s.timestamp, s.page, s.external_id, s.attributes"
            " FROM current_segments s JOIN documents d ON d.id = s.document_id"
            " JOIN segmentations g ON g.id = s.segmentation_id ORDER BY d.case_name, d.source_key, s.seq"
        )
        frame = pd.DataFrame([dict(r) for r in rows], columns=_SEGMENT_COLUMNS)
        frame["attributes"] = frame["attributes"].map(from_json)
        return frame

    def codebooks(self) -> pd.DataFrame:
        rows = self.store.query(
            "SELECT b.version, b.name, b.source_path, b.loaded_at, COUNT(c.id) AS codes, SUM(c.codable) AS codable"
            " FROM codebooks b LEFT JOIN codes c ON c.codebook_version = b.version GROUP BY b.version ORDER BY b.loaded_at"
        )
        return pd.DataFrame([dict(r) for r in rows], columns=["version", "name", "source_path", "loaded_at", "codes", "codable"])

    def status(self) -> dict[str, Any]:
        """Counts for `deductive status`: cases, documents, segments per case and unit, codebooks."""
        per_case = self.store.query(
            "SELECT c.name AS 'case', COUNT(DISTINCT d.id) AS documents FROM cases c"
            " LEFT JOIN current_documents d ON d.case_name = c.name GROUP BY c.name ORDER BY c.name"
        )
        segs = self.store.query(
            "SELECT d.case_name AS 'case', g.unit, COUNT(*) AS n FROM current_segments s"
            " JOIN documents d ON d.id = s.document_id JOIN segmentations g ON g.id = s.segmentation_id"
            " GROUP BY d.case_name, g.unit"
        )
        by_case: dict[str, dict[str, Any]] = {r["case"]: {"documents": r["documents"], "segments": {}} for r in per_case}
        for r in segs:
            by_case.setdefault(r["case"], {"documents": 0, "segments": {}})["segments"][r["unit"]] = r["n"]
        versions = self.store.query("SELECT COUNT(*) FROM documents")[0][0]
        current = sum(v["documents"] for v in by_case.values())
        return {
            "study": str(self.root),
            "cases": len(by_case),
            "documents": current,
            "older_versions": int(versions) - current,
            "segments": sum(n for v in by_case.values() for n in v["segments"].values()),
            "by_case": by_case,
            "codebooks": self.codebooks().drop(columns=["source_path"]).to_dict("records"),
            "schema_version": self.store.schema_version,
        }


_DOC_COLUMNS = ["id", "case", "source_key", "version", "format", "encoding", "source_path", "characters", "warnings", "ingested_at"]
_SEGMENT_COLUMNS = ["id", "case", "document_id", "source_key", "unit", "seq", "start", "end", "text",
                    "speaker", "turn", "timestamp", "page", "external_id", "attributes"]
