"""The sentences the group-fit test looks at when segments are longer than a sentence."""

import numpy as np

from pipeline.suggest.fit_sample import fit_sentences, sentence_sample
from pipeline.suggest.calibration import CodeText, fit_calibration

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


def test_each_sentence_knows_its_segment() -> None:
    texts = ["We met on Monday. It went well.", "Nothing else", "The nurse left. The doctor stayed."]
    sentences, source = sentence_sample(texts)
    assert [texts[i].find(s) >= 0 for s, i in zip(sentences, source)] == [True] * 5
    assert source.tolist() == [0, 0, 1, 2, 2]
    assert sentences == fit_sentences(texts)


def test_a_scoped_group_is_tested_and_adapted_on_its_own_speakers_only() -> None:
    """Counsellor codes in a study where most turns are the client's, about other things: judged on
    every turn the group looks foreign; judged on the counsellor's turns it belongs."""
    rng = np.random.default_rng(5)
    counsellor = _cluster(rng, AXES[2] + 0.6 * AXES[3], 40, 0.3)
    client = _cluster(rng, AXES[7], 160, 0.3)
    segments = np.vstack([counsellor, client])
    background = _cluster(rng, AXES[0], 40, 1.0)
    texts = [CodeText("a", "definition", "a"), CodeText("b", "definition", "b")]
    anchors = np.stack([AXES[2], AXES[3]])
    scope = np.zeros((200, 2), dtype=bool)
    scope[:40] = True
    everyone = fit_calibration(segments, anchors, texts, ["a", "b"], [[0, 1]], background)
    scoped = fit_calibration(segments, anchors, texts, ["a", "b"], [[0, 1]], background, scope=scope)
    assert not everyone.fits(everyone.group_fit[0], everyone.group_sizes()[0])
    assert scoped.group_n == [40] and scoped.fits(scoped.group_fit[0], 40) and scoped.set_aside() == ([], False)
    # the prototypes moved towards the counsellor's turns, not towards the client's
    toward = lambda cal: float(np.mean(counsellor @ cal.prototypes.T))  # noqa: E731
    assert toward(scoped) > toward(everyone)
    # the fit sentences are masked the same way
    sentences = np.vstack([counsellor[:20], client[:80]])
    by_sentence = fit_calibration(segments, anchors, texts, ["a", "b"], [[0, 1]], background, fit_segments=sentences,
                                  scope=scope, fit_scope=scope[np.r_[0:20, 40:120]])
    assert by_sentence.group_n == [20] and by_sentence.set_aside() == ([], False)


def test_a_scope_that_leaves_fewer_than_two_segments_falls_back_to_all() -> None:
    rng = np.random.default_rng(6)
    segments = _cluster(rng, AXES[2], 30, 0.3)
    background = _cluster(rng, AXES[0], 40, 1.0)
    texts = [CodeText("a", "definition", "a"), CodeText("b", "definition", "b")]
    scope = np.zeros((30, 2), dtype=bool)
    scope[0] = True
    cal = fit_calibration(segments, np.stack([AXES[2], AXES[3]]), texts, ["a", "b"], [[0, 1]], background, scope=scope)
    assert cal.group_n == [30]
