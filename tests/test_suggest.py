"""The suggester on hand-built vectors: prototypes, adaptation, priors, abstention, choosing."""

import json

import numpy as np
import pytest

from pipeline.codebook import Code, Codebook
from pipeline.errors import InputError
from pipeline.suggest.calibration import (SET_ASIDE_SCALE, TEMPERATURE, TEMPERATURE_GRID, Calibration, CodeText,
                                          codebook_temperature, em_priors, fit_calibration, prototypes, study_fit)
from pipeline.suggest.scoring import CodebookSuggester, choose, code_texts


def unit(*xs: float) -> np.ndarray:
    v = np.asarray(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


BOOK = Codebook("t", (
    Code("grp", "Group", codable=False, exclusive=True, definition="A group."),
    Code("a", "A", parent="grp", definition="about a", inclusion="inc a", exclusion="exc a", examples=("ex a1", "ex a2", "ex a3")),
    Code("b", "B", parent="grp", definition="about b"),
    Code("c", "C", definition="about c", examples=("ex c1", "ex c2")),
))


def test_code_texts_cover_every_role() -> None:
    roles = {(t.code, t.role) for t in code_texts(BOOK)}
    assert roles == {("a", "definition"), ("a", "inclusion"), ("a", "examples"), ("a", "context"), ("a", "exclusion"),
                     ("b", "definition"), ("b", "context"), ("c", "definition"), ("c", "examples")}
    assert [t.text for t in code_texts(BOOK) if t.role == "context"][0] == "Group: A group. A: about a"


def test_prototype_is_the_mean_of_the_code_texts_without_exclusion() -> None:
    texts = [t for t in code_texts(BOOK) if t.code == "a"]
    vectors = np.tile(unit(1, 0, 0), (len(texts), 1))
    vectors[[i for i, t in enumerate(texts) if t.role == "exclusion"][0]] = unit(0, 1, 0)
    proto = prototypes(vectors, texts, ["a"], center=np.zeros(3))
    # the exclusion text points elsewhere and is left out: the prototype is the other texts' direction
    assert proto[0] == pytest.approx(unit(1, 0, 0))


def unit_rows(a: np.ndarray) -> np.ndarray:
    return a / np.linalg.norm(a, axis=1, keepdims=True)


def _cluster(rng: np.random.Generator, direction: np.ndarray, n: int, noise: float = 0.35) -> np.ndarray:
    return unit_rows(direction + noise * rng.normal(size=(n, direction.size)))


DIM = 12
AXES = np.eye(DIM)


def _fit(segments: np.ndarray, anchors: np.ndarray, groups: list[list[int]], background: np.ndarray, **kw):
    texts = [CodeText(f"c{j}", "definition", f"c{j}") for j in range(len(anchors))]
    return fit_calibration(segments, anchors, texts, [t.code for t in texts], groups, background, **kw)


def test_em_priors_move_toward_the_true_frequencies() -> None:
    rng = np.random.default_rng(1)
    # a synthetic mixture: 80% of segments from N(+1, 1) (code 0), 20% from N(-1, 1) (code 1);
    # the exact posteriors under equal priors are logistic(2x)
    truth = rng.random(4000) < 0.8
    x = np.where(truth, 1.0, -1.0) + rng.normal(size=4000)
    p0 = 1 / (1 + np.exp(-2 * x))
    posteriors = np.column_stack([p0, 1 - p0])
    prior = em_priors(posteriors)
    assert abs(prior[0] - 0.8) < abs(posteriors[:, 0].mean() - 0.8)  # closer than the plain mean
    assert prior[0] == pytest.approx(0.8, abs=0.05)
    assert em_priors(np.full((10, 3), 1 / 3)) == pytest.approx([1 / 3] * 3)  # no information: stays uniform


def test_a_code_nothing_fits_gets_no_score_above_one_half() -> None:
    rng = np.random.default_rng(2)
    background = _cluster(rng, AXES[0] + AXES[1], 60, noise=0.8)  # generic text
    segments = np.vstack([_cluster(rng, AXES[2], 100), _cluster(rng, AXES[3], 100)])  # talk about codes 0 and 1
    anchors = np.stack([AXES[2], AXES[3], AXES[7]])  # code 2 (free) is about something nobody says
    cal = _fit(segments, anchors, [[0, 1]], background)
    scores = cal.scores(segments)
    assert scores[:, 2].max() < 0.5
    assert np.mean(scores[:, :2].max(axis=1) > 0.5) > 0.9  # the codes that fit are shown
    assert np.mean(np.argmax(scores[:100, :2], axis=1) == 0) > 0.9


def test_a_foreign_group_is_not_shown() -> None:
    rng = np.random.default_rng(3)
    background = _cluster(rng, AXES[0], 60, noise=1.0)
    segments = _cluster(rng, AXES[4] + AXES[5], 200, noise=1.0)  # the study talks about something else
    cal = _fit(segments, np.stack([AXES[8], AXES[9], AXES[10]]), [[0, 1, 2]], background)
    assert not cal.fits(cal.group_fit[0])
    assert np.mean(cal.scores(segments).max(axis=1) >= 0.5) < 0.05


def test_study_fit_is_positive_when_the_study_talks_about_the_codes_and_negative_when_not() -> None:
    rng = np.random.default_rng(6)
    codes = np.stack([AXES[2], AXES[3]])
    generic = _cluster(rng, np.zeros(DIM) + 0.1, 80, noise=1.0) @ codes.T  # unrelated text: cosines to the codes
    talking = np.vstack([_cluster(rng, AXES[2], 60), _cluster(rng, AXES[3], 60), _cluster(rng, AXES[0], 80, 1.0)]) @ codes.T
    elsewhere = _cluster(rng, AXES[5] - 0.5 * (AXES[2] + AXES[3]), 200, noise=0.5) @ codes.T
    assert study_fit(talking, generic) > 0.1  # 120 of 200 segments are about the codes: about half of that share
    assert study_fit(elsewhere, generic) < -0.1
    assert study_fit(generic, generic) == pytest.approx(0.0, abs=0.05)  # generic text is generic


def _study_about_something_else() -> tuple[np.ndarray, np.ndarray, Calibration]:
    """Segments, the six free codes' anchors and a calibration that sets the codes aside."""
    rng = np.random.default_rng(7)
    background = _cluster(rng, AXES[0], 60, noise=1.0)
    # the study is about something else; with noise a few segments still clear some free code's bar
    segments = _cluster(rng, AXES[4] + AXES[5], 300, noise=0.6)
    anchors = np.stack([AXES[j] for j in (6, 7, 8, 9, 10, 11)])
    cal = _fit(segments, anchors, [], background)
    assert not cal.fits(cal.free_fit)
    return segments, anchors, cal


def test_free_codes_of_a_codebook_the_study_does_not_talk_about_are_not_shown() -> None:
    segments, _, cal = _study_about_something_else()
    assert cal.scores(segments).max() < 0.5
    # the same evidence without the study-level test would have shown something
    assert (cal.relevance(segments) >= 0.5).any()


def test_free_codes_set_aside_keep_the_order_of_their_evidence() -> None:
    segments, anchors, cal = _study_about_something_else()
    # each segment leans towards one code: that code still ranks first (top-k, forced choices and
    # the learner's features stay meaningful), yet nothing comes near being shown
    leaning = unit_rows(segments + 2.0 * anchors[np.arange(len(segments)) % 6])
    scores = cal.scores(leaning)
    assert (scores.argmax(axis=1) == np.arange(len(segments)) % 6).all()
    assert (np.argsort(scores, axis=1) == np.argsort(cal.relevance(leaning), axis=1)).all()
    assert 0.0 < scores.max() <= SET_ASIDE_SCALE


def test_the_suggester_names_what_it_set_aside() -> None:
    rng = np.random.default_rng(21)
    book = Codebook("t", (
        Code("grp", "Group", codable=False, exclusive=True, definition="A group."),
        Code("a", "A", parent="grp", definition="about a"), Code("b", "B", parent="grp", definition="about b"),
        Code("c", "C", definition="about c"),
    ))
    directions = {"A: about a": AXES[2], "B: about b": AXES[3], "C: about c": AXES[4], "Group: A group. A: about a": AXES[2],
                  "Group: A group. B: about b": AXES[3]}

    def embed(texts: list[str]) -> np.ndarray:
        return np.stack([directions.get(t, unit_rows(rng.normal(size=(1, DIM)))[0]) for t in texts])

    talks_about_a_b = np.vstack([_cluster(rng, AXES[2], 60, 0.3), _cluster(rng, AXES[3], 60, 0.3)])
    assert CodebookSuggester().fit(book, embed, talks_about_a_b).set_aside_() == [""]  # nothing is about c
    talks_about_c = _cluster(rng, AXES[4], 120, 0.3)
    assert CodebookSuggester().fit(book, embed, talks_about_c).set_aside_() == ["grp"]


def test_a_small_study_keeps_its_codebook() -> None:
    rng = np.random.default_rng(8)
    background = _cluster(rng, AXES[0], 60, noise=1.0)
    segments = np.vstack([_cluster(rng, AXES[2], 4), _cluster(rng, AXES[3], 4)])
    cal = _fit(segments, np.stack([AXES[2], AXES[3], AXES[4]]), [[0, 1]], background)
    # eight segments cannot show that a codebook does not belong: it is trusted
    assert cal.n_study == 8 and cal.fits(-0.2) and not cal.fits(-0.4)
    assert cal.fits(cal.group_fit[0]) and cal.fits(cal.free_fit)


def test_a_calibration_stored_by_an_older_run_keeps_its_rule() -> None:
    rng = np.random.default_rng(9)
    segments = np.vstack([_cluster(rng, AXES[2], 50), _cluster(rng, AXES[3], 50)])
    stored = _fit(segments, np.stack([AXES[2], AXES[3]]), [[0, 1]], _cluster(rng, AXES[0], 20, 1.0)).to_dict()
    for key in ("free_fit", "n_study", "fit_rule"):
        del stored[key]
    stored["group_fit"] = [0.05]  # the old stored value: a share of segments, compared with 0.1
    old = Calibration.from_dict(stored)
    assert old.fit_rule == "share" and not old.fits(0.05) and old.fits(0.15)


def _texts_around(rng: np.random.Generator, directions: np.ndarray, per_code: int, noise: float):
    texts = [CodeText(f"c{j}", "examples", f"c{j} {i}") for j in range(len(directions)) for i in range(per_code)]
    vectors = np.vstack([_cluster(rng, d, per_code, noise) for d in directions])
    return vectors, texts, [f"c{j}" for j in range(len(directions))]


def test_a_codebook_whose_codes_stand_apart_gets_a_more_confident_temperature() -> None:
    rng = np.random.default_rng(11)
    apart = _texts_around(rng, AXES[:3], 6, 0.2)
    close = _texts_around(rng, unit_rows(AXES[:3] + 2.0 * AXES[5]), 6, 0.6)
    t_apart = codebook_temperature(*apart, center=np.zeros(DIM))
    t_close = codebook_temperature(*close, center=np.zeros(DIM))
    assert t_apart < t_close


def test_the_temperature_is_the_one_under_which_the_left_out_texts_are_most_likely() -> None:
    rng = np.random.default_rng(12)
    vectors, texts, codes = _texts_around(rng, unit_rows(AXES[:2] + AXES[4]), 5, 0.3)
    chosen = codebook_temperature(vectors, texts, codes, center=np.zeros(DIM))
    assert TEMPERATURE_GRID[0] < chosen < TEMPERATURE_GRID[-1]
    # leave-one-out log loss by brute force, at the chosen temperature and at two others
    def loss(t: float) -> float:
        total = 0.0
        for i, own in enumerate(texts):
            keep = [k for k in range(len(texts)) if k != i]
            protos = prototypes(vectors[keep], [texts[k] for k in keep], codes, center=np.zeros(DIM))
            logits = protos @ (vectors[i] / np.linalg.norm(vectors[i])) / t
            total -= logits[codes.index(own.code)] - np.log(np.exp(logits).sum())
        return total / len(texts)
    assert loss(chosen) <= loss(chosen * 1.5) and loss(chosen) <= loss(chosen / 1.5)


def test_a_code_with_a_single_text_leaves_the_default_temperature() -> None:
    rng = np.random.default_rng(13)
    vectors, texts, codes = _texts_around(rng, AXES[:2], 3, 0.3)
    single = [t for t in texts if t.code == "c0"] + [t for t in texts if t.code == "c1"][:1]
    assert codebook_temperature(vectors[:4], single, codes, center=np.zeros(DIM)) == TEMPERATURE


def test_a_calibration_stored_before_codebook_temperatures_uses_the_old_one() -> None:
    rng = np.random.default_rng(14)
    segments = np.vstack([_cluster(rng, AXES[2], 50), _cluster(rng, AXES[3], 50)])
    vectors, texts, codes = _texts_around(rng, AXES[2:4], 4, 0.3)
    cal = fit_calibration(segments, vectors, texts, codes, [[0, 1]], _cluster(rng, AXES[0], 20, 1.0))
    assert cal.group_temperatures() == cal.temperatures and cal.temperatures[0] != TEMPERATURE
    stored = cal.to_dict()
    del stored["temperatures"]
    old = Calibration.from_dict(stored)
    assert old.group_temperatures() == [TEMPERATURE]
    assert not np.allclose(old.scores(segments), cal.scores(segments))


def test_adaptation_moves_prototypes_toward_the_study() -> None:
    rng = np.random.default_rng(4)
    # the study expresses codes 0 and 1 differently from the codebook's wording
    segments = np.vstack([_cluster(rng, AXES[0] + AXES[2], 150, 0.5), _cluster(rng, AXES[1] + AXES[3], 150, 0.5)])
    truth = np.array([0] * 150 + [1] * 150)
    anchors = unit_rows(np.stack([AXES[0] + 0.9 * AXES[3], AXES[1] + 0.9 * AXES[2]]))
    background = _cluster(rng, AXES[6], 30, 1.0)
    right = lambda cal: np.mean(np.argmax(cal.raw(segments), axis=1) == truth)  # noqa: E731
    assert right(_fit(segments, anchors, [[0, 1]], background)) > right(_fit(segments, anchors, [[0, 1]], background, steps=0))


def test_calibration_round_trips_through_json() -> None:
    rng = np.random.default_rng(5)
    segments = np.vstack([_cluster(rng, AXES[2], 50), _cluster(rng, AXES[3], 50)])
    cal = _fit(segments, np.stack([AXES[2], AXES[3], AXES[4]]), [[0, 1]], _cluster(rng, AXES[0], 20, 1.0))
    again = Calibration.from_dict(json.loads(json.dumps(cal.to_dict())))
    assert again.scores(segments) == pytest.approx(cal.scores(segments), abs=1e-4)


@pytest.mark.parametrize(
    "scores, expected_shown",
    [
        # group {0,1} gets one choice (0); free code 2 passes too
        ([0.9, 0.8, 0.7], [0, 2]),
        # nothing passes 0.5: an explicit no code
        ([0.2, 0.1, 0.3], [None]),
        # the group's best is below threshold: the group gets nothing, the free code shows
        ([0.4, 0.3, 0.6], [2]),
    ],
)
def test_choose_one_per_exclusive_group(scores: list[float], expected_shown: list) -> None:
    s = np.array([scores])
    rows = choose(s, s, groups=[[0, 1]], free=[2], top_k=3, threshold=0.5)[0]
    assert [c.code for c in rows if c.suggested] == expected_shown
    assert [c.rank for c in rows] == list(range(1, len(rows) + 1))
    # every code is kept, shown or as a runner-up, for top-k evaluation
    assert {c.code for c in rows if c.code is not None} == {0, 1, 2}


def test_top_k_caps_what_is_shown() -> None:
    s = np.array([[0.9, 0.8, 0.7, 0.6]])
    rows = choose(s, s, groups=[], free=[0, 1, 2, 3], top_k=2, threshold=0.5)[0]
    assert [c.code for c in rows if c.suggested] == [0, 1]


def test_suggester_needs_codable_codes() -> None:
    book = Codebook("empty", (Code("g", "G", codable=False),))
    with pytest.raises(InputError, match="no codable codes"):
        CodebookSuggester().fit(book, lambda t: np.zeros((len(t), 3)), np.zeros((5, 3)))
