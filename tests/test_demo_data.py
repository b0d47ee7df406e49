"""The shipped demo: its documents ingest cleanly, and the two fictional coders'
workbooks (data/reviews) confirm into a fresh copy of the study, which holds only when
ingest, segmentation, the packaged model's suggestions and the queue are deterministic."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.review import QueueOptions, confirm, queue
from pipeline.study import Study

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = ROOT / "data" / "documents"


def test_demo_documents_ingest_with_speakers_pages_and_every_case(tmp_path: Path) -> None:
    with Study.create(tmp_path / "demo", codebook=ROOT / "codebook" / "demo_study.yaml") as study:
        report = study.ingest([DOCUMENTS])
        assert report.ok, report.failed
        docs = study.documents()
        assert len(docs) == 15 and set(docs["case"]) == {"harbourside", "kestrel_valley", "nordfjord"}
        assert {"text", "markdown", "docx", "pdf", "vtt"} <= set(docs["format"])
        segments = study.segments()
        words = sum(len(row[0].split()) for row in study.store.query("SELECT text FROM current_documents"))
        assert 15_000 <= words <= 25_000, words
        interviews = segments[segments["source_key"].str.contains("interview")]
        assert interviews["speaker"].notna().mean() > 0.9
        assert segments.loc[segments["source_key"].str.endswith(".pdf"), "page"].max() >= 2


@pytest.mark.integration
def test_shipped_review_workbooks_confirm_into_a_fresh_demo_study(tmp_path: Path) -> None:
    with Study.create(tmp_path / "demo", codebook=ROOT / "codebook" / "demo_study.yaml") as study:
        study.ingest([DOCUMENTS])
        study.suggest()  # the packaged model, as `deductive demo` uses
        for coder in ("ana", "ben"):
            # As `deductive run`/`demo` queue (flows.tasks.write_queue): every segment in scope.
            queue(study, QueueOptions(coder=coder))
        for coder in ("ana", "ben"):
            result = confirm(study, ROOT / "data" / "reviews" / f"{coder}.xlsx")
            assert sum(result.counts.values()) > 300, result
        decided = study.store.query("SELECT coder, COUNT(DISTINCT segment_id) FROM current_decisions GROUP BY coder")
        # data/reviews/refresh.py carried 179 of each coder's 216 hand-coded segments onto these
        # queues (the other 37 are no longer in scope of any code).
        assert dict(decided) == {"ana": 179, "ben": 179}
