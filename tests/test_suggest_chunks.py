"""Memory of the suggest stage (issue 18): a study is scored a chunk of whole documents at a
time and calibrated on at most CALIBRATION_SAMPLE segments, and chunking changes nothing
that is stored. The study has paragraph-unit codes and speaker scope, so a chunk that cut a
document would change the per-paragraph roll-up and show here."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pipeline.embed import FakeEmbedder
from pipeline.embed.cache import cache_texts, cached_vectors, embed_cached
from pipeline.study import Study
from pipeline.suggest import stage
from pipeline.suggest.units import SegmentRow

from test_units_scope import MINI_CODEBOOK, SCOPED, _codebook


def _suggest(root: Path, corpus: Path, codebook: Path, monkeypatch: pytest.MonkeyPatch, chunk: int,
             sample: int = stage.CALIBRATION_SAMPLE) -> tuple[list[tuple], dict, list[int]]:
    """Stored suggestions (every column), the run's stored params, and the size of every vector fetch."""
    fetched: list[int] = []

    def spy(store, model, texts, dimension=0):  # noqa: ANN001, ANN202
        fetched.append(len(texts))
        return cached_vectors(store, model, texts, dimension)

    monkeypatch.setattr(stage, "SCORE_CHUNK", chunk)
    monkeypatch.setattr(stage, "CALIBRATION_SAMPLE", sample)
    monkeypatch.setattr(stage, "cached_vectors", spy)
    Study.create(root, codebook=codebook).close()
    with Study(root) as study:
        study.settings = study.settings.override("suggest", threshold=0.0)
        study.ingest([corpus], cases=corpus / "cases.csv")
        study.suggest(embedder=FakeEmbedder(), learned=False)
        rows = [tuple(r) for r in study.store.query("SELECT * FROM suggestions ORDER BY id")]
        (params,) = [json.loads(r[0]) for r in study.store.query("SELECT params FROM suggestion_runs")]
    return rows, params, fetched


def test_chunks_of_whole_documents_store_the_same_suggestions(tmp_path: Path, corpus: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    book = _codebook(tmp_path, SCOPED)
    whole, params, fetched_whole = _suggest(tmp_path / "one", corpus, book, monkeypatch, chunk=10_000)
    chunked, params_chunked, fetched = _suggest(tmp_path / "many", corpus, book, monkeypatch, chunk=2)
    assert any(r[8] == "paragraph" for r in whole)  # rolled-up suggestions are part of what is compared
    assert chunked == whole and params_chunked == params  # every id, code, rank, score, flag and unit
    n = fetched_whole[0]  # the calibration's fetch: every segment (n_study counts what the fit test saw)
    assert "calibration_sample" not in params and n > 8
    # one fetch for the calibration, then one per chunk: four documents, each a chunk of its own
    # (chunk=2 is smaller than any document, which is never cut); one chunk holds every segment
    assert fetched_whole == [n, n] and fetched[0] == n and len(fetched) == 5 and sum(fetched[1:]) == n


def test_a_large_study_is_calibrated_on_an_even_sample(tmp_path: Path, corpus: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    book = _codebook(tmp_path, SCOPED)
    rows, params, fetched = _suggest(tmp_path / "s", corpus, book, monkeypatch, chunk=6, sample=5)
    assert params["calibration"]["n_study"] == 5 and fetched[0] == 5
    assert params["calibration_sample"] == {"segments": 5, "of": sum(fetched[1:])}
    assert max(fetched[1:]) < sum(fetched[1:])  # no fetch of the whole study's vectors
    assert {r[2] for r in rows} and len({r[2] for r in rows}) == sum(fetched[1:])  # every segment scored


def test_chunks_keep_documents_whole_and_in_order() -> None:
    docs = ["a"] * 3 + ["b"] * 1 + ["c"] * 5 + ["d"] * 2 + ["e"] * 1
    todo = [f"s{i}" for i in range(len(docs))]
    layout = stage.Layout({f"s{i}": SegmentRow(f"s{i}", d, 0, 1) for i, d in enumerate(docs)}, {}, "")
    chunks = [[docs[int(s[1:])] for s in c] for c in stage._chunks(todo, layout, 4)]
    # whole documents up to 4 segments; "c" (5) is a chunk by itself; nothing lost or reordered
    assert chunks == [list("aaab"), list("ccccc"), list("dde")]
    assert [s for c in stage._chunks(todo, layout, 4) for s in c] == todo


def test_without_larger_units_a_long_document_is_cut_into_chunks() -> None:
    docs = ["a"] * 3 + ["c"] * 9
    todo = [f"s{i}" for i in range(len(docs))]
    layout = stage.Layout({f"s{i}": SegmentRow(f"s{i}", d, 0, 1) for i, d in enumerate(docs)}, {}, "")
    chunks = list(stage._chunks(todo, layout, 4, whole_documents=False))
    assert [len(c) for c in chunks] == [4, 4, 4] and [s for c in chunks for s in c] == todo


def test_a_codebook_without_larger_units_is_scored_in_chunks_of_segments(tmp_path: Path, corpus: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The mini codebook has no paragraph codes: chunks of 2 segments cut documents, and what is
    stored is the same as in one step."""
    book = _codebook(tmp_path, MINI_CODEBOOK)
    whole, params, _ = _suggest(tmp_path / "one", corpus, book, monkeypatch, chunk=10_000)
    chunked, params_chunked, fetched = _suggest(tmp_path / "many", corpus, book, monkeypatch, chunk=2)
    assert chunked == whole and params_chunked == params
    assert max(fetched[1:]) == 2 and sum(fetched[1:]) == fetched[0]


def test_cache_texts_then_cached_vectors_equals_embed_cached(study_dir: Path) -> None:
    texts = ["Yeah.", "The board decided.", "Yeah.", "Funding came late."]
    with Study(study_dir) as study:
        assert cache_texts(study.store, FakeEmbedder(), texts[:2]) == 2
        assert cache_texts(study.store, FakeEmbedder(), texts) == 1  # duplicates and stored texts: once
        got = cached_vectors(study.store, "fake-v1", texts)
        expected, embedded = embed_cached(study.store, FakeEmbedder(), texts)
        assert embedded == 0 and np.array_equal(got, expected) and got.dtype == np.float32
        assert cached_vectors(study.store, "fake-v1", [], 64).shape == (0, 64)
        with pytest.raises(RuntimeError, match="not in the embedding cache"):
            cached_vectors(study.store, "fake-v1", ["never embedded"])
