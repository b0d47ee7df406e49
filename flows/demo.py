"""``deductive demo``: the shipped demo study, coded end to end in one flow.

The demo copies the repository's demo documents and codebook into a new study folder,
runs ``code_study``, imports the pre-filled review workbooks of two fictional coders
(``data/reviews/*.xlsx``, when present), refreshes the summary and the audit, and
returns where every output is.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from prefect import flow

from flows.code_study import RunReport, code_study
from flows.stages import INPUT_FOLDER, ConfirmOutcome, Refresh, audit_step, cached_embedder, confirm_step, open_study, summarize_step

from pipeline.errors import StudyError
from pipeline.study import Study

__all__ = ["DemoReport", "demo_flow", "prepare_demo", "repository_root", "DEMO_CODERS"]

DEMO_CODERS = ("ana", "ben")  # the two fictional coders of data/reviews
DEMO_CODEBOOK = Path("codebook") / "demo_study.yaml"


@dataclass(frozen=True)
class DemoReport:
    run: RunReport
    reviews: tuple[ConfirmOutcome, ...]
    reviews_folder: str
    summary: Refresh
    audit: Refresh

    @property
    def outputs(self) -> dict[str, str]:
        named = {f"queue {Path(q).stem}": q for q in self.run.queues}
        return {**named, **self.run.outputs, **self.summary.files, **self.audit.files}


def repository_root() -> Path:
    """The checkout (or source tree) holding data/documents and codebook/."""
    import pipeline

    return Path(pipeline.__file__).resolve().parents[1]


def prepare_demo(target: Path, source: Path | None = None) -> Path:
    """Create the demo study at ``target`` (which must not be a study yet)."""
    source = source or repository_root()
    documents = source / "data" / "documents"
    if not documents.is_dir():
        raise StudyError(f"{documents}: the demo documents are missing; run the demo from a full checkout")
    Study.create(target, codebook=source / DEMO_CODEBOOK).close()
    shutil.copytree(documents, target / INPUT_FOLDER, dirs_exist_ok=True)
    return target


@flow(name="demo")
def demo_flow(study_dir: Path, reviews: Path | None = None, model: str | None = None) -> DemoReport:
    """code_study, then the fictional coders' workbooks, then summary and audit again."""
    run = code_study(study_dir, coders=list(DEMO_CODERS), model=model)
    workbooks = sorted(reviews.glob("*.xlsx")) if reviews and reviews.is_dir() else []
    with open_study(study_dir, model) as study:
        confirmed = confirm_step(study, workbooks)
        summary = summarize_step(study, cached_embedder(study)) if workbooks else Refresh()
        audited = audit_step(study) if workbooks else Refresh()
    return DemoReport(run, tuple(confirmed), str(reviews or ""), summary, audited)
