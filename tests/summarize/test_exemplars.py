"""Exemplars are the most central quotes of a code, not the first ones."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.embed import FakeEmbedder
from pipeline.study import Study
from pipeline.summarize.exemplars import exemplars
from pipeline.summarize.source import APPLIED_COLUMNS, SEGMENT_COLUMNS, SummaryCoding

TEXTS = [
    "Parking at the clinic is terrible on Mondays.",  # first in document order, but off-topic
    "People here help each other and share the work.",
    "We help each other out, people share the load here.",
    "Here people always help each other with the work.",
]


def _coding(study: Study) -> SummaryCoding:
    segments = pd.DataFrame([{"segment_id": f"s{i}", "case": "alpha", "document_id": "d", "document": "doc.txt",
                              "seq": i, "start": 10 * i, "end": 10 * i + 9, "text": t, "speaker": "P1",
                              "informant": "P1", "page": None, "timestamp": None, "external_id": None}
                             for i, t in enumerate(TEXTS)], columns=SEGMENT_COLUMNS)
    applied = pd.DataFrame([{"segment_id": f"s{i}", "code_id": "culture", "decision_ids": str(i + 1),
                             "coders": "alice", "verdicts": "added", "score": None} for i in range(len(TEXTS))],
                           columns=APPLIED_COLUMNS)
    return SummaryCoding(study.codebook(), segments, applied, pd.DataFrame({"case": ["alpha"]}), "test", False)


def test_central_quotes_come_first_and_use_the_cache(ingested: Path) -> None:
    with Study(ingested) as study:
        coding = _coding(study)
        before = study.store.query("SELECT COUNT(*) FROM embeddings")[0][0]
        picked = exemplars(coding, per_case=2, store=study.store, embedder=FakeEmbedder())
        after = study.store.query("SELECT COUNT(*) FROM embeddings")[0][0]
        again = exemplars(coding, per_case=2, store=study.store, embedder=FakeEmbedder())
        after_again = study.store.query("SELECT COUNT(*) FROM embeddings")[0][0]
    assert len(picked) == 2 and picked["rank"].tolist() == [1, 2]
    assert "s0" not in set(picked["segment_id"])  # the off-topic first segment is not an exemplar
    assert picked["centrality"].is_monotonic_decreasing
    assert picked["method"].iloc[0].startswith("closest to the code's centroid")
    assert after - before == len(TEXTS) and after_again == after  # embedded once, then read from the cache
    assert picked.equals(again)


def test_without_an_embedder_the_longest_quotes(ingested: Path) -> None:
    with Study(ingested) as study:
        picked = exemplars(_coding(study), per_case=1)
    longest = max(TEXTS, key=len)
    assert picked["text"].tolist() == [longest]
    assert picked["method"].iloc[0] == "longest (no embedder)"
