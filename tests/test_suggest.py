"""The suggester on hand-built vectors: scoring, calibration, choosing."""

import numpy as np
import pytest

from pipeline.codebook import Code, Codebook
from pipeline.errors import InputError
from pipeline.suggest.scoring import Calibration, CodebookSuggester, choose, code_texts, combine_scores


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


def test_examples_use_the_two_best_and_exclusion_lowers_the_score() -> None:
    texts = [t for t in code_texts(BOOK) if t.code == "c"]
    # segment = exactly the first example; the second example is orthogonal
    vectors = np.stack([unit(1, 0, 0), unit(0, 1, 0), unit(0, 0, 1)])  # definition, ex c1, ex c2
    seg = unit(0, 1, 0)[None, :]
    raw = combine_scores(seg, vectors, texts, ["c"])
    # definition 0 (weight 1), examples mean(1, 0) = 0.5 (weight 1.5): 0.75 / 2.5
    assert raw[0, 0] == pytest.approx(0.3)
    texts_a = [t for t in code_texts(BOOK) if t.code == "a"]
    n = len(texts_a)
    vecs = np.tile(unit(1, 0, 0), (n, 1))
    exc = [i for i, t in enumerate(texts_a) if t.role == "exclusion"][0]
    vecs[exc] = unit(0, 1, 0)
    near_code = combine_scores(unit(1, 0, 0)[None, :], vecs, texts_a, ["a"])[0, 0]
    near_exclusion = combine_scores(unit(0, 1, 0)[None, :], vecs, texts_a, ["a"])[0, 0]
    assert near_code == pytest.approx(1.0)
    assert near_exclusion == pytest.approx(-0.5)  # 0 - 0.5 * (1 - 0)


def test_calibration_makes_codes_comparable() -> None:
    rng = np.random.default_rng(0)
    # code 0 is generic (everything scores ~0.6), code 1 is specific (~0.2)
    background = np.column_stack([rng.normal(0.6, 0.02, 20000), rng.normal(0.2, 0.05, 20000)])
    cal = Calibration.fit(background)
    typical = cal.transform(np.array([[0.6, 0.2]]))[0]
    assert typical[0] == pytest.approx(typical[1], abs=1e-2)  # a typical segment scores the same on both
    unusual = cal.transform(np.array([[0.64, 0.30]]))[0]  # both 2 SD above their code's median
    assert unusual[0] == pytest.approx(unusual[1], abs=0.05)
    assert unusual[0] > 0.6 > typical[0]
    assert Calibration.from_dict(cal.to_dict()).transform(np.array([[0.6, 0.2]])) == pytest.approx(cal.transform(np.array([[0.6, 0.2]])), abs=1e-5)


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
