"""Reliability statistics against published values, an independent AnnoMI check and
hand-worked small cases."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import pipeline.reliability as rel
from pipeline.errors import InputError

from shared_data import shared_file

# Published values on textbook data, kept in the repository so that they are always checked.
REFERENCE = Path(__file__).resolve().parent / "data" / "irr_reference.json"


# --- published reference values ------------------------------------------------------


def _pairs(table: list[list[int]]) -> list[list[int]]:
    """Two-coder matrix from a contingency table (rows coder 1, columns coder 2)."""
    first, second = [], []
    for i, row in enumerate(table):
        for j, count in enumerate(row):
            first += [i] * count
            second += [j] * count
    return [first, second]


def _from_counts(counts: list[list[int]]) -> list[list[int]]:
    """Raters x units from per-unit category counts; Fleiss' kappa ignores rater identity."""
    columns = [[k for k, n in enumerate(row) for _ in range(n)] for row in counts]
    return [list(r) for r in zip(*columns)]


def _fleiss_pe(matrix: Any) -> float:
    """Chance agreement recovered from kappa = (pa - pe) / (1 - pe)."""
    pa, kappa = rel.percent_agreement(matrix), rel.fleiss_kappa(matrix)
    return (pa - kappa) / (1 - kappa)


def _ac1_pe(matrix: Any, domain: Any = None) -> float:
    pa, ac1 = rel.percent_agreement(matrix), rel.gwet_ac1(matrix, domain)
    return (pa - ac1) / (1 - ac1)


def _alpha(ex: dict, level: str = "nominal") -> float:
    return rel.krippendorff_alpha(ex["coders_x_units"], level)


def _anxiety(ex: dict) -> list[list[int]]:
    cols = ex["anxiety_raters"]
    return [cols["rater2"], cols["rater3"]]


Compute = Callable[[dict], float]

# (example, key in its "published", how we compute it)
CASES: list[tuple[str, str, Compute]] = [
    # Krippendorff's own worked example: all four metrics, missing data, a lone value.
    *[
        ("krippendorff_2011_example_C", level, lambda ex, lv=level: rel.krippendorff_alpha(ex["coders_x_units"], lv))
        for level in rel.LEVELS
    ],
    # Binary and letter-valued data with no missing cells.
    ("krippendorff_2011_example_A_binary", "nominal", lambda ex: _alpha(ex)),
    ("krippendorff_2011_example_B_nominal_two_coders", "nominal", lambda ex: _alpha(ex)),
    # Two coders with one missing cell: Fleiss must use Gwet's missing-data terms.
    ("gwet_ben_gerry", "krippendorff_nominal", lambda ex: rel.krippendorff_alpha(ex["coders_x_units"])),
    ("gwet_ben_gerry", "fleiss", lambda ex: rel.fleiss_kappa(ex["coders_x_units"])),
    # Sparse 3-coder matrix, published to 6 decimals.
    ("wikipedia_krippendorff_example", "nominal", lambda ex: rel.krippendorff_alpha(ex["coders_x_units"])),
    ("wikipedia_krippendorff_example", "interval", lambda ex: _alpha(ex, "interval")),
    # Fleiss' textbook terms from a counts table (14 raters, 5 categories).
    ("fleiss_wikipedia_example", "kappa", lambda ex: rel.fleiss_kappa(_from_counts(ex["units_x_category_counts"]))),
    ("fleiss_wikipedia_example", "P_bar", lambda ex: rel.percent_agreement(_from_counts(ex["units_x_category_counts"]))),
    ("fleiss_wikipedia_example", "P_e", lambda ex: _fleiss_pe(_from_counts(ex["units_x_category_counts"]))),
    # Fleiss' 1971 data, published to 7 decimals by R irr.
    ("fleiss_1971_diagnoses", "fleiss_kappa", lambda ex: rel.fleiss_kappa(np.array(ex["units_x_raters"]).T)),
    # Cohen's kappa with an unused category on one side, and linear weights.
    ("cohen_sas_3x3", "kappa", lambda ex: rel.cohen_kappa(_pairs(ex["table"]))),
    ("cohen_sas_3x3", "weighted_kappa_linear", lambda ex: rel.cohen_kappa(_pairs(ex["table"]), "linear")),
    # Weights by rank among used values (category 5 unused): R irr::kappa2.
    ("cohen_irr_anxiety", "unweighted", lambda ex: rel.cohen_kappa(_anxiety(ex))),
    ("cohen_irr_anxiety", "equal(linear)", lambda ex: rel.cohen_kappa(_anxiety(ex), "linear")),
    ("cohen_irr_anxiety", "squared", lambda ex: rel.cohen_kappa(_anxiety(ex), "quadratic")),
    # Gwet's raw datasets: pa, Fleiss and AC1 (with their chance terms) and alpha.
    *[
        (f"gwet_{name}", key, fn)
        for name in ("raw_4raters", "raw_5observers", "raw_gender", "raw_g1g2")
        for key, fn in [
            ("pa", lambda ex: rel.percent_agreement(ex["coders_x_units"])),
            ("fleiss", lambda ex: rel.fleiss_kappa(ex["coders_x_units"])),
            ("fleiss_pe", lambda ex: _fleiss_pe(ex["coders_x_units"])),
            ("gwet_ac1", lambda ex: rel.gwet_ac1(ex["coders_x_units"], ex.get("values_domain"))),
            ("gwet_ac1_pe", lambda ex: _ac1_pe(ex["coders_x_units"], ex.get("values_domain"))),
            ("krippendorff_nominal", lambda ex: rel.krippendorff_alpha(ex["coders_x_units"])),
        ]
        if not (name == "raw_g1g2" and key.endswith("_pe"))  # g1g2 publishes no chance terms
    ],
    # Two-rater tables: plain, linear and quadratic Cohen's kappa.
    *[
        (f"gwet_{name}", key, lambda ex, w=w: rel.cohen_kappa(_pairs(ex["table"]), w))
        for name in ("cont3x3abstractors", "cont4x4diagnosis")
        for key, w in [("cohen", None), ("cohen_linear", "linear"), ("cohen_quadratic", "quadratic")]
    ],
]

# Published fields we do not reproduce, and why.
NOT_COVERED = {
    "z": "analytic z/p/SE/CI: we offer bootstrap intervals instead",
    "z_unweighted": "analytic z/p/SE/CI: we offer bootstrap intervals instead",
    "p_unweighted": "analytic z/p/SE/CI: we offer bootstrap intervals instead",
    "ase": "analytic z/p/SE/CI: we offer bootstrap intervals instead",
    "ase_h0": "analytic z/p/SE/CI: we offer bootstrap intervals instead",
    "ci95": "analytic z/p/SE/CI: we offer bootstrap intervals instead",
    "se": "analytic z/p/SE/CI: we offer bootstrap intervals instead",
    "weighted_ase": "analytic z/p/SE/CI: we offer bootstrap intervals instead",
    "weighted_ci95": "analytic z/p/SE/CI: we offer bootstrap intervals instead",
    "gwet_ac1_se": "analytic z/p/SE/CI: we offer bootstrap intervals instead",
    "category_totals": "describes the data, not a statistic",
    "krippendorff_pa": "Gwet's re-expression of alpha's terms; alpha itself is checked",
    "krippendorff_pe": "Gwet's re-expression of alpha's terms; alpha itself is checked",
}


def _reference() -> dict[str, dict]:
    return json.loads(REFERENCE.read_text(encoding="utf-8"))["examples"]


def _decimals(value: float) -> int:
    """Precision a value was published at, read from its shortest decimal form."""
    text = repr(float(value))
    return len(text.split(".")[1]) if "." in text and "e" not in text else 0


@pytest.mark.parametrize(("name", "key", "compute"), CASES, ids=[f"{n}:{k}" for n, k, _ in CASES])
def test_published_value(name: str, key: str, compute: Compute) -> None:
    example = _reference()[name]
    expected = example["published"][key]
    assert round(compute(example), _decimals(expected)) == expected


def test_every_published_value_is_covered_or_excused() -> None:
    examples = _reference()
    covered = {(n, k) for n, k, _ in CASES}
    assert len(examples) == 15
    published = [(n, k) for n, ex in examples.items() for k in ex["published"]]
    missed = [(n, k) for n, k in published if (n, k) not in covered and k not in NOT_COVERED]
    assert missed == []


def test_repository_values_match_the_shared_compilation() -> None:
    """The values in tests/data were transcribed from ../shared's compilation: every number
    and data table there is here, unchanged (fails in CI if ../shared is missing)."""
    shared = json.loads(shared_file("benchmarks", "irr-reference", "reference_values.json").read_text(encoding="utf-8"))
    flat = {k: v for k, v in shared.items() if isinstance(v, dict) and "expected" in v}
    for group in ("gwet_handbook_raw_datasets", "gwet_handbook_contingency_tables"):
        flat.update({f"gwet_{k}": v for k, v in shared[group].items() if isinstance(v, dict)})
    ours = _reference()
    assert sorted(ours) == sorted(flat)
    renamed = {"data": "coders_x_units", "counts": "units_x_category_counts", "ratings": "units_x_raters",
               "table": "table", "anxiety_rater_columns": "anxiety_raters", "values_domain": "values_domain"}
    for name, theirs in flat.items():
        assert ours[name]["published"] == theirs["expected"], name
        for their_key, our_key in renamed.items():
            assert ours[name].get(our_key) == theirs.get(their_key), (name, our_key)


# --- AnnoMI: ten annotators on the same transcripts -------------------------------------


@pytest.fixture(scope="module")
def annomi() -> pd.DataFrame:
    df = pd.read_csv(shared_file("benchmarks", "annomi", "AnnoMI-full.csv"))
    per_transcript = df.groupby("transcript_id")["annotator_id"].nunique()
    return df[df["transcript_id"].isin(per_transcript[per_transcript == 10].index)]


def _textbook(counts: np.ndarray) -> tuple[float, float]:
    """Fleiss (1971) kappa and Krippendorff (2011) nominal alpha from units x categories
    counts with the same number of raters per unit, written out independently."""
    n_units, raters = counts.shape[0], counts.sum(axis=1)[0]
    p_i = ((counts**2).sum(axis=1) - raters) / (raters * (raters - 1))
    p_j = counts.sum(axis=0) / (n_units * raters)
    p_bar, p_e = p_i.mean(), (p_j**2).sum()
    kappa = (p_bar - p_e) / (1 - p_e)
    # Coincidences: the diagonal counts agreeing pairs within a unit, weighted 1/(m-1).
    o_diag = (counts * (counts - 1)).sum(axis=0) / (raters - 1)
    n_c, n = counts.sum(axis=0), counts.sum()
    alpha = 1 - (n - 1) * (n - o_diag.sum()) / (n**2 - (n_c**2).sum())
    return float(kappa), float(alpha)


@pytest.mark.parametrize(
    ("speaker", "field"), [("therapist", "main_therapist_behaviour"), ("client", "client_talk_type")]
)
def test_annomi_agrees_with_textbook_formulas(annomi: pd.DataFrame, speaker: str, field: str) -> None:
    # Seven transcripts were coded by all ten annotators. A unit is one utterance,
    # (transcript_id, utterance_id): utterance_id restarts at 0 in every transcript, and
    # each annotator has exactly one row per such pair (same speaker, text and time), so
    # the pivot below loses nothing and has no gaps.
    rows = annomi[annomi["interlocutor"] == speaker]
    assert not rows.duplicated(["transcript_id", "utterance_id", "annotator_id"]).any()
    matrix = rows.pivot(index="annotator_id", columns=["transcript_id", "utterance_id"], values=field)
    assert matrix.shape[0] == 10 and not matrix.isna().any().any()

    counts = np.stack([(matrix == c).sum(axis=0).to_numpy() for c in sorted(rows[field].unique())], axis=1)
    kappa, alpha = _textbook(counts.astype(float))

    assert abs(rel.fleiss_kappa(matrix) - kappa) < 1e-9
    assert abs(rel.krippendorff_alpha(matrix) - alpha) < 1e-9
    # The AnnoMI papers report kappa near 0.74 (therapist) and 0.47 (client).
    assert 0.3 < kappa < 0.9


# --- hand-worked cases -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ({"a"}, {"a"}, 0.0),  # identical
        ({"a"}, {"a", "b"}, 1 - 0.5 * 2 / 3),  # subset: J = 1/2, M = 2/3
        ({"a", "b"}, {"b", "c"}, 1 - 1 / 3 * 1 / 3),  # overlap: J = 1/3, M = 1/3
        ({"a"}, {"b"}, 1.0),  # disjoint
        (set(), set(), 0.0),  # both decided "no code": agreement
        (set(), {"a"}, 1.0),  # nothing shared
    ],
)
def test_masi_distance(a: set, b: set, expected: float) -> None:
    assert rel.masi_distance(a, b) == pytest.approx(expected)


def test_masi_alpha_hand_computed() -> None:
    # Pairable values: {a} x3, {a,b}, {b}, {c}; n = 6. Ordered within-unit distances:
    # unit 1 2*(2/3), unit 2 0, unit 3 2*1 -> Do = (10/3)/6 = 5/9. All ordered pairs of
    # values: 2 * 32/3 -> De = (64/3)/30 = 32/45. Alpha = 1 - (5/9)/(32/45) = 7/32.
    # Unit 4 has one value and must not count.
    data = [[{"a"}, {"a"}, {"b"}, {"c"}], [{"a", "b"}, {"a"}, {"c"}, None]]
    assert rel.krippendorff_alpha_masi(data) == pytest.approx(7 / 32)


def test_masi_alpha_equals_nominal_alpha_on_single_codes() -> None:
    rng = np.random.default_rng(3)
    values = rng.choice(["x", "y", "z"], size=(4, 40)).astype(object)
    values[rng.random((4, 40)) < 0.2] = None
    sets = [[None if v is None else {v} for v in row] for row in values]
    assert rel.krippendorff_alpha_masi(sets) == pytest.approx(rel.krippendorff_alpha(values), abs=1e-12)


def test_fleiss_matches_statsmodels_on_complete_data() -> None:
    from statsmodels.stats.inter_rater import aggregate_raters
    from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss

    ratings = np.random.default_rng(5).integers(0, 4, size=(50, 6))  # units x raters
    assert rel.fleiss_kappa(ratings.T) == pytest.approx(sm_fleiss(aggregate_raters(ratings)[0]), abs=1e-12)


@pytest.mark.parametrize(
    ("data", "statistic"),
    [
        ([[0, 0, 0], [0, 0, 0]], rel.cohen_kappa),  # both coders never use the code
        ([[1, 1, 1], [1, 1, 1]], rel.fleiss_kappa),  # one value: chance agreement 1
        ([[1, 1, 1], [1, 1, 1]], rel.krippendorff_alpha),
        ([[1, None], [None, 0]], rel.krippendorff_alpha),  # no unit rated twice
        ([[1, None], [None, 0]], rel.percent_agreement),
        ([["a", "b"]], rel.fleiss_kappa),  # a single coder
    ],
)
def test_undefined_statistics_are_nan(data: list, statistic: Callable[[Any], float]) -> None:
    assert np.isnan(statistic(data))


def test_ac1_and_pabak_on_a_rare_code() -> None:
    # 2 coders, 10 units, agree on 9 absences, disagree once: kappa is 0 (no shared
    # positive) while AC1 and PABAK stay high - the "kappa paradox" they exist for.
    data = [[0] * 9 + [1], [0] * 10]
    assert rel.cohen_kappa(data) == pytest.approx(0.0)
    assert rel.pabak(data) == pytest.approx(0.8)
    pi = np.array([19 / 20, 1 / 20])
    pe = float((pi * (1 - pi)).sum())
    assert rel.gwet_ac1(data) == pytest.approx((0.9 - pe) / (1 - pe))
    assert rel.prevalence(data) == pytest.approx(1 / 20)
    assert rel.prevalence_index(data) == pytest.approx(0.9)  # |0 - 9| / 10


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: rel.krippendorff_alpha([["a", "b"], ["a", "a"]], "interval"), "numeric"),
        (lambda: rel.krippendorff_alpha([[1, 2], [1, 1]], "cardinal"), "unknown level"),
        (lambda: rel.krippendorff_alpha([["lo", "hi"], ["lo", "lo"]], "ordinal"), "value_domain"),
        (lambda: rel.cohen_kappa([[1, 2], [1, 1], [2, 2]]), "exactly two coders"),
        (lambda: rel.gwet_ac1([[1, 2], [1, 3]], categories=[1, 2]), "not in the given categories"),
        (lambda: rel.bootstrap_ci(rel.fleiss_kappa, [[1, 2], [1, 2]], level=95), "between 0 and 1"),
    ],
)
def test_bad_input_raises_input_error(call: Callable[[], Any], message: str) -> None:
    with pytest.raises(InputError, match=message):
        call()


def test_bootstrap_ci_is_reproducible_and_brackets_the_estimate() -> None:
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 3, 80)
    data = np.stack([np.where(rng.random(80) < 0.8, truth, rng.integers(0, 3, 80)) for _ in range(3)])
    first = rel.bootstrap_ci(rel.fleiss_kappa, data, n_boot=200, seed=7)
    assert first == rel.bootstrap_ci(rel.fleiss_kappa, data, n_boot=200, seed=7)
    assert first[0] < rel.fleiss_kappa(data) < first[1]
    assert np.isnan(rel.bootstrap_ci(rel.cohen_kappa, [[0, 0], [0, 0]], n_boot=20)).all()


# --- coding tables -----------------------------------------------------------------------


@pytest.fixture
def coding() -> tuple[pd.DataFrame, dict[str, set[int]]]:
    # A decided units 1-6, B units 1-5. Code x: A on 1,2,3 and B on 1,2,4.
    # Code z: only A, only on unit 6, which B never saw. Code y: nobody.
    rows = [("A", u, "x") for u in (1, 2, 3)] + [("B", u, "x") for u in (1, 2, 4)] + [("A", 6, "z")]
    table = pd.DataFrame(rows, columns=[rel.CODER, rel.UNIT, rel.CODE])
    return table, {"A": {1, 2, 3, 4, 5, 6}, "B": {1, 2, 3, 4, 5}}


def test_presence_matrix(coding: tuple[pd.DataFrame, dict]) -> None:
    table, decided = coding
    got = rel.presence_matrix(table, decided, "x")
    expected = [[1, 1, 1, 0, 0, 0], [1, 1, 0, 1, 0, np.nan]]
    np.testing.assert_array_equal(got.to_numpy(), expected)
    assert list(got.index) == ["A", "B"] and list(got.columns) == [1, 2, 3, 4, 5, 6]


def test_presence_matrix_counts_a_coded_unit_as_decided(coding: tuple[pd.DataFrame, dict]) -> None:
    table, _ = coding
    # B's decided set forgot unit 4, but B coded x there: B must have looked at it.
    got = rel.presence_matrix(table, {"A": {1, 2, 3, 4, 5, 6}, "B": {1, 2, 3, 5}}, "x")
    assert got.loc["B", 4] == 1


def test_per_code_agreement_two_coders(coding: tuple[pd.DataFrame, dict]) -> None:
    table, decided = coding
    out = rel.per_code_agreement(table, decided, codes=["x", "y", "z"]).set_index(rel.CODE)
    x = out.loc["x"]
    # Shared units 1-5: A 1,1,1,0,0 vs B 1,1,0,1,0 -> po 0.6, pe 0.52, kappa 1/6.
    assert x["n_units"] == 5 and x["kappa_type"] == "cohen"
    assert x["percent_agreement"] == pytest.approx(0.6)
    assert x["kappa"] == pytest.approx(1 / 6)
    assert x["pabak"] == pytest.approx(0.2)
    assert x["prevalence_index"] == pytest.approx(0.2)
    assert x["prevalence"] == pytest.approx(6 / 11)
    assert x["note"] == ""
    for code in ("y", "z"):  # never applied on a shared unit: NaN with a reason
        assert np.isnan(out.loc[code, "kappa"]) and np.isnan(out.loc[code, "alpha"])
        assert "no coder applied this code" in out.loc[code, "note"]


def test_per_code_agreement_three_coders_and_ci(coding: tuple[pd.DataFrame, dict]) -> None:
    table, decided = coding
    table = pd.concat([table, pd.DataFrame({rel.CODER: ["C"] * 2, rel.UNIT: [1, 3], rel.CODE: ["x"] * 2})])
    decided = {**decided, "C": {1, 2, 3, 4, 5}}
    out = rel.per_code_agreement(table, decided, codes=["x"], bootstrap=rel.Bootstrap(n_boot=50, seed=1))
    row = out.iloc[0]
    matrix = rel.presence_matrix(table, decided, "x")
    assert row["kappa_type"] == "fleiss"
    assert row["kappa"] == pytest.approx(rel.fleiss_kappa(matrix))
    assert row["alpha"] == pytest.approx(rel.krippendorff_alpha(matrix))
    assert row["ac1"] == pytest.approx(rel.gwet_ac1(matrix, (0, 1)))
    assert {"kappa_low", "kappa_high", "alpha_low", "alpha_high", "ac1_low", "ac1_high"} <= set(out.columns)
    assert row["kappa_low"] <= row["kappa_high"]


def test_overall_agreement(coding: tuple[pd.DataFrame, dict]) -> None:
    table, decided = coding
    got = rel.overall_agreement(table, decided, codes=["x", "y", "z"])
    sets = rel.code_sets_matrix(table, decided)
    assert sets.loc["A", 6] == frozenset({"z"}) and sets.loc["A", 5] == frozenset()
    assert sets.loc["B", 6] is None
    assert got.masi_alpha == pytest.approx(rel.krippendorff_alpha_masi(sets))
    assert (got.kappa_mean, got.kappa_min, got.kappa_max) == pytest.approx((1 / 6, 1 / 6, 1 / 6))
    assert (got.n_codes, got.n_kappa_undefined, got.n_units) == (3, 2, 5)


def test_coding_table_needs_its_columns() -> None:
    with pytest.raises(InputError, match="lacks column"):
        rel.presence_matrix(pd.DataFrame({"unit": [1], "who": ["A"], "code": ["x"]}), {}, "x")


def test_public_surface_is_honest() -> None:
    assert all(hasattr(rel, name) for name in rel.__all__)


def test_masi_distance_matrix_matches_the_pairwise_definition() -> None:
    from pipeline.reliability.coefficients import _masi_matrix

    sets = [frozenset(s) for s in ({"a"}, {"a", "b"}, {"b", "c"}, set(), {"a", "b", "c"}, {"d"})]
    expected = [[rel.masi_distance(a, b) for b in sets] for a in sets]
    np.testing.assert_allclose(_masi_matrix(sets), expected, atol=1e-12)
