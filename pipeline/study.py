"""The ``Study``: one folder, its settings and its store: the one seam for callers.

    study = Study.create("my-study", codebook="codebook/cfir2.yaml")
    study.ingest(["interviews/"], cases="interviews/cases.csv")
    study.segments()          # a pandas DataFrame, one row per current segment
    study.suggest(); study.queue(QueueOptions(coder="ana")); study.confirm("ana.xlsx")
    study.write_summary(study.summarize()); study.write_audit(study.audit())

The rule: everything outside ``pipeline/`` (the command line, the flows, notebooks) opens
a ``Study`` and calls its methods, passing and getting back the stages' option and report
dataclasses, DataFrames and paths. Only pure steps that touch no study are called
directly (reading a file, loading an embedder in a worker, formatting a result). Inside
the library the stages take the narrowest thing they need: the ``Store``, or the study
typed as ``pipeline.context.StudyContext``; no stage imports this module.
tests/test_architecture.py enforces both halves.

Methods return data (dataclasses, DataFrames, paths); nothing prints.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from pipeline.codebook import Codebook, load_codebook, save_codebook, stored_codebook
from pipeline.config import SETTINGS_FILE, Settings, load_settings
from pipeline.carry import CarryReport
from pipeline.documents import Segmented, resegment, stale_document_ids
from pipeline.errors import StudyError
from pipeline.folder import (AUDIT_FOLDER, STUDY_FOLDERS, SUMMARY_FOLDER, cases_table, codebook_copy, codebooks_table,
                             documents_table, lay_out, segments_table, status_counts)
from pipeline.suggest.runs import evaluate_run_of, learned_for_run, run_suggestions
from pipeline.store import STORE_FILE, Store

# Ingest (pypdf, python-docx), suggest, learn and evaluate (scikit-learn) are imported in
# the methods that use them: `deductive status` and the review commands start faster.

if TYPE_CHECKING:
    import pandas as pd

    from pipeline.ingest.read import ReadOptions
    from pipeline.ingest.stage import Candidate, FileOutcome, IngestOptions, IngestReport
    from pipeline.suggest.evaluate import Evaluation
    from pipeline.suggest.stage import SuggestReport
    from pipeline.suggest.training import LearnedModel
    from pipeline.audit import AuditOptions, AuditResult, MergeReport, ResolveReport
    from pipeline.interchange.codebooks import CodebookImport
    from pipeline.interchange.qdpx import ExportReport
    from pipeline.interchange.qdpx_import import ImportReport as ProjectImportReport
    from pipeline.reliability.consensus import Rule
    from pipeline.review import ConfirmReport, ImportOptions, ImportReport, QueuedWorkbook, QueueOptions
    from pipeline.review.emergent import EmergentReport
    from pipeline.pseudonymise.reidentify import ReidentifyReport
    from pipeline.pseudonymise.stage import ApplyReport, ProposeReport
    from pipeline.summarize import RatingsReport, Summary, SummaryFiles, SummaryOptions

__all__ = ["Study", "STUDY_FOLDERS", "SUMMARY_FOLDER", "AUDIT_FOLDER", "SegmentReport"]

@dataclass(frozen=True)
class SegmentReport:
    """``Study.segment``: documents that got a new segmentation, and the decisions carried."""

    documents: int
    carry: CarryReport


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
        lay_out(root)
        study = cls(root)
        if book is not None:
            study.add_codebook(codebook_copy(root, book, codebook))
        return study

    @property
    def schema_version(self) -> int:
        """The version of the store's schema (migrations applied)."""
        return self.store.schema_version

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
        from pipeline.ingest.stage import IngestOptions, ingest

        options = IngestOptions(
            read=read or self.read_options(),
            segment=self.settings.segment,
            cases_file=Path(cases) if cases else None,
            case=case,
        )
        return ingest(self.store, [Path(p) for p in paths], options)

    def read_options(self, **columns: Any) -> ReadOptions:
        """How files are read: the study's speaker pattern, with tabular ``columns`` (text_column,
        id_columns, ...) for this run. The one place ReadOptions are built from the settings."""
        from pipeline.ingest.read import ReadOptions

        pattern = self.settings.ingest.speaker_pattern
        return ReadOptions(**({"speaker_pattern": pattern} if pattern else {}), **columns)

    def register_cases(self, cases_file: Path) -> tuple[str, ...]:
        """Add the cases of a cases.csv (a flow's ingest step); returns the names added."""
        from pipeline.ingest.stage import register_cases

        return register_cases(self.store, cases_file)

    def store_parsed(self, candidate: Candidate, parsed: Any, options: IngestOptions) -> FileOutcome:
        """Store one file parsed elsewhere (a flow parses in parallel), in one transaction."""
        from pipeline.ingest.stage import store_parsed

        return store_parsed(self.store, candidate, parsed, options)

    def segment(self) -> SegmentReport:
        """(Re)segment every current document with the study's segment settings.

        Documents already cut this way are left alone. The decisions on a document's
        previous segments are carried to its new ones (pipeline.carry); the report says
        how many documents changed and what was carried and what could not be.
        """
        changed, carry = 0, CarryReport()
        for doc_id in self.stale_documents():
            done = self.resegment_document(doc_id)
            changed += 1 if done.segments else 0
            carry = carry + done.carry
        return SegmentReport(changed, carry)

    def segment_document(self, document_id: str) -> int:
        """Give one document the study's segmentation in one transaction (carrying its
        decisions); 0 if it already has it, else the number of segments written."""
        return self.resegment_document(document_id).segments

    def resegment_document(self, document_id: str) -> Segmented:
        """``segment_document`` with what was carried."""
        return resegment(self.store, document_id, self.settings.segment)

    def has_segments(self) -> bool:
        """Whether any current document has segments yet (every file may have failed)."""
        return bool(self.store.query("SELECT 1 FROM current_segments LIMIT 1"))

    def stale_documents(self) -> list[str]:
        """Ids of current documents not yet cut with the study's segment settings."""
        return stale_document_ids(self.store, self.settings.segment)

    def add_codebook(self, path: Path | str) -> Codebook:
        """Validate and store a codebook version (a no-op if that version is stored)."""
        book = load_codebook(path)
        with self.store.transaction() as conn:
            save_codebook(conn, book)
        return book

    def embedder(self, model: str | Path | None = None) -> Any:
        """The embedding model named by the settings, or ``model`` with the settings' backend
        (loaded on first use, so a run whose texts are all cached loads none; never another model)."""
        from pipeline.embed import open_embedder

        settings = self.settings.embedding
        return open_embedder(settings if model is None else replace(settings, model=str(model)))

    def suggest(self, codebook: str | None = None, embedder: Any = None, learned: bool | None = None,
                trust_pickle: bool = False) -> "SuggestReport":
        """Suggest codes for all current segments (incremental within a run).

        learned=None (default): use the newest learned suggester for this codebook and
        model, learning a new one first when there are at least AUTO_LEARN_MIN confirmed
        codes it has not seen; True: always learn first; False: definitions only.
        trust_pickle: convert a learned model an older version saved as a pickle (which
        could run code) instead of refusing it.
        """
        from pipeline.suggest.stage import suggest_segments

        book = self.codebook(codebook)
        model, embedder = learned_for_run(self, book, embedder or self.embedder(), learned, trust_pickle)
        return suggest_segments(self.store, book, embedder, self.settings.suggest, learned=model, roles=self.settings.roles)

    def learn(self, codebook: str | None = None, embedder: Any = None, coders: list[str] | None = None,
              fine_tune: bool = False, progress: Any = None) -> "LearnedModel":
        """Fit and save a learned suggester from the decisions so far (see pipeline.suggest.training).

        fine_tune: first adapt the embedding model to the confirmed segments
        (pipeline.suggest.finetune); later suggestion runs use the tuned model.
        progress(step, steps, seconds) is called during fine-tuning."""
        from pipeline.suggest.training import learn, learn_tuned

        book = self.codebook(codebook)
        if fine_tune:
            return learn_tuned(self.store, book, self.settings.embedding, self.root / "models", coders, progress)
        return learn(self.store, book, embedder or self.embedder(), self.root / "models", coders)

    def suggestions(self, run: str | None = None, shown_only: bool = True) -> pd.DataFrame:
        return run_suggestions(self, run, shown_only)

    def evaluate(self, gold: pd.DataFrame, gold_column: str, run: str | None = None, top_k: int = 2) -> Evaluation:
        return evaluate_run_of(self, gold, gold_column, run, top_k)

    def latest_run(self, codebook_version: str | None = None) -> str | None:
        """The newest suggestion run (for one codebook version), or None."""
        from pipeline.suggest.stage import latest_run

        return latest_run(self.store, codebook_version) if codebook_version else latest_run(self.store)

    # --- review, summaries, audit, exchange -----------------------------------------

    def queue(self, options: "QueueOptions", out: Path | None = None) -> list["QueuedWorkbook"]:
        """Write review workbooks (see pipeline.review.queue); [] when nothing is left to queue."""
        from pipeline.review import queue

        return queue(self, options, out)

    def confirm(self, path: Path | str) -> "ConfirmReport":
        """Append a returned review workbook's decisions; all rows or none."""
        from pipeline.review import confirm

        return confirm(self, path)

    def decisions(self, coder: str | None = None, history: bool = False) -> pd.DataFrame:
        """The current decisions (or the whole append-only log), one row per decision."""
        from pipeline.review import decision_table

        return decision_table(self, coder=coder, history=history)

    def coders(self) -> list[str]:
        """Coders with at least one current decision, sorted."""
        return sorted(set(self.decisions()["coder"]))

    def import_decisions(self, path: Path | str, options: "ImportOptions") -> "ImportReport":
        """Record coding done elsewhere (a CSV or Excel table) as decisions."""
        from pipeline.review import import_decisions

        return import_decisions(self, path, options)

    def summarize(self, options: "SummaryOptions | None" = None, embedder: Any = None) -> "Summary":
        """Every table of the case and cross-case summary; nothing is written."""
        from pipeline.summarize import summarize

        return summarize(self, options, embedder=embedder)

    def write_summary(self, summary: "Summary", out: Path | None = None, overwrite: bool = False) -> "SummaryFiles":
        """summary.xlsx, summary.html and charts/ in ``out`` (default DIR/data/summary)."""
        from pipeline.summarize import write_summary

        return write_summary(summary, out or self.root / SUMMARY_FOLDER, overwrite=overwrite)

    def read_ratings(self, path: Path | str, analyst: str = "") -> "RatingsReport":
        """Read the Ratings sheet of a summary workbook into the store (changed rows only)."""
        from pipeline.summarize import read_ratings

        return read_ratings(self, path, analyst)

    def audit(self, options: "AuditOptions | None" = None) -> "AuditResult":
        """Agreement of the coders (and the model) on the segments all of them decided."""
        from pipeline.audit import AuditOptions, audit

        return audit(self, options or AuditOptions())

    def write_audit(self, result: "AuditResult", out: Path | None = None) -> dict[str, Path]:
        """audit.xlsx, disagreements.xlsx, audit.html, audit.json, kappa.png in ``out`` (default DIR/data/audit)."""
        from pipeline.audit import write_outputs

        return write_outputs(result, out or self.root / AUDIT_FOLDER)

    def resolve(self, path: Path | str, coder: str | None = None) -> "ResolveReport":
        """Import a filled-in disagreements workbook as decisions of ``coder`` (default 'consensus')."""
        from pipeline.audit import CONSENSUS, resolve

        return resolve(self, path, coder or CONSENSUS)

    def merge_coders(self, coders: tuple[str, ...], rule: "Rule", into: str | None = None,
                     codebook_version: str | None = None) -> "MergeReport":
        """Merge several coders' decisions by ``rule`` into one coder (default 'consensus')."""
        from pipeline.audit import CONSENSUS, merge_into

        return merge_into(self, coders, rule, into or CONSENSUS, codebook_version)

    def outputs_stamp(self, stage: str) -> dict[str, Any] | None:
        """What the summary or audit files depend on (see pipeline.outputs); None: nothing yet."""
        from pipeline.outputs import inputs_stamp

        return inputs_stamp(self, stage)

    def import_codebook(self, path: Path | str, out: Path | None = None) -> "CodebookImport":
        """Add a REFI-QDA codebook (.qdc) or CFIR-style sheet as a new codebook version."""
        from pipeline.interchange.codebooks import import_codebook

        return import_codebook(path, out=out, study=self)

    def export_codebook(self, out: Path | str, version: str | None = None) -> tuple[Codebook, Path]:
        """Write a codebook version as a REFI-QDA .qdc file."""
        from pipeline.interchange.codebooks import export_codebook

        return export_codebook(self, out, version)

    def export_project(self, out: Path | str, codebook_version: str | None = None,
                       coders: Sequence[str] | None = None, include_model: bool = False) -> "ExportReport":
        """Documents, codebook, cases and codings as a REFI-QDA project (.qdpx) named after the folder."""
        from pipeline.interchange.qdpx import export_project

        return export_project(self.store, out, name=self.root.resolve().name, codebook_version=codebook_version,
                              coders=coders, include_model=include_model)

    def import_project(self, path: Path | str) -> "ProjectImportReport":
        """Sources, codes and codings of a REFI-QDA project (.qdpx), segmented with the study's settings."""
        from pipeline.interchange.qdpx_import import import_project

        return import_project(self.store, path, self.settings.segment, self.settings.ingest.speaker_pattern,
                              self.settings.interchange)

    # --- reading -----------------------------------------------------------------

    def accept_emergent(self, labels: Sequence[str] = (), dry_run: bool = False) -> "EmergentReport":
        """Add the codes coders proposed under "Add code" to a new codebook version under 'emergent'."""
        from pipeline.review.emergent import accept_emergent

        return accept_emergent(self, labels, dry_run=dry_run)

    def methods_paragraph(self, bootstrap: int = 500) -> str:
        """A Methods paragraph filled with this study's facts (markdown)."""
        from pipeline.methods import methods_facts, methods_paragraph

        return methods_paragraph(methods_facts(self, bootstrap=bootstrap))

    def propose_pseudonyms(self, key_path: Path, names_path: Path | None = None, workbook_path: Path | None = None,
                           model: bool = True) -> "ProposeReport":
        """Find identifiers and write the pseudonymisation review workbook and key (outside the study)."""
        from pipeline.pseudonymise import propose

        return propose(self, key_path, names_path, workbook_path, model=model)

    def apply_pseudonyms(self, workbook: Path, key_path: Path) -> "ApplyReport":
        """Store the reviewed replacements as new versions of the documents."""
        from pipeline.pseudonymise import apply_review

        return apply_review(self, workbook, key_path)

    def reidentify(self, key_path: Path, source: Path, target: Path) -> "ReidentifyReport":
        """A copy of a report with the original names put back, for the key holder."""
        from pipeline.pseudonymise import reidentify

        return reidentify(self, key_path, source, target)

    def codebook(self, version: str | None = None) -> Codebook:
        book = stored_codebook(self.store.conn, version)
        if book is None:
            what = f"codebook version '{version}'" if version else "a codebook"
            raise StudyError(f"{self.root}: the study has no {what}; add one with `deductive codebook add {self.root} FILE`")
        return book

    def cases(self) -> pd.DataFrame:
        return cases_table(self.store)

    def documents(self, all_versions: bool = False) -> pd.DataFrame:
        return documents_table(self.store, all_versions)

    def segments(self) -> pd.DataFrame:
        return segments_table(self.store)

    def codebooks(self) -> pd.DataFrame:
        return codebooks_table(self.store)

    def status(self) -> dict[str, Any]:
        """Counts for `deductive status`: cases, documents, segments per case and unit, codebooks."""
        return status_counts(self.store, self.root)
