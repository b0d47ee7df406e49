"""The sentences the group-fit test looks at when segments are longer than a sentence."""

import numpy as np

from pipeline.suggest.fit_sample import fit_sentences
from pipeline.suggest.scoring import CodeText, fit_calibration

DIM = 12
AXES = np.eye(DIM)


def test_single_sentence_segments_are_tested_as_they_are() -> None:
    assert fit_sentences(["We met on Monday.", "It went well!", "Did it?"]) is None


def test_longer_segments_give_their_sentences() -> None:
    texts = ["We met on Monday. It went well.", "Nothing else", "The nurse left. The doctor stayed. Then it rained."]
    assert fit_sentences(texts) == ["We met on Monday.", "It went well.", "Nothing else", "The nurse left.",
                                    "The doctor stayed.", "Then it rained."]


def test_the_sample_is_bounded_and_the_same_every_time() -> None:
    texts = [f"Segment {i} starts here. It ends there." for i in range(500)]
    first = fit_sentences(texts, limit=300)
    assert first is not None and len(first) == 300 and first == fit_sentences(texts, limit=300)
    starts = [int(s.split()[1]) for s in first if s.startswith("Segment")]
    assert len(set(starts)) > 100 and max(starts) > 400  # drawn from across the study, not its first segments


def _cluster(rng: np.random.Generator, direction: np.ndarray, n: int, noise: float) -> np.ndarray:
    x = direction + noise * rng.normal(size=(n, direction.size))
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_the_fit_test_looks_at_the_given_sentences_not_the_segments() -> None:
    rng = np.random.default_rng(3)
    segments = np.vstack([_cluster(rng, AXES[2], 60, 0.3), _cluster(rng, AXES[3], 60, 0.3)])
    background = _cluster(rng, AXES[0], 40, 1.0)
    texts = [CodeText("a", "definition", "a"), CodeText("b", "definition", "b")]
    anchors = np.stack([AXES[2], AXES[3]])
    on_segments = fit_calibration(segments, anchors, texts, ["a", "b"], [[0, 1]], background)
    unrelated = _cluster(rng, AXES[7], 200, 1.0)  # sentences that talk about neither code
    on_sentences = fit_calibration(segments, anchors, texts, ["a", "b"], [[0, 1]], background, fit_segments=unrelated)
    assert on_segments.fits(on_segments.group_fit[0]) and on_segments.n_study == 120
    assert not on_sentences.fits(on_sentences.group_fit[0]) and on_sentences.n_study == 200
