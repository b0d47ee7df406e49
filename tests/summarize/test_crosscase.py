"""Across cases: intervals against published values, group comparisons, phases, co-occurrence."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline.codebook import Code, Codebook
from pipeline.errors import ConfigError
from pipeline.study import Study
from pipeline.summarize import SourceOptions, load_summary_coding
from pipeline.summarize.cooccurrence import cooccurrence, top_pairs
from pipeline.summarize.crosscase import (case_groups, compare_groups, group_counts, newcombe, overall, phase_codes,
                                          phase_table, wilson)
from pipeline.summarize.matrices import ALL_CASES, case_code_counts, code_order


def test_wilson_and_newcombe_reproduce_published_values() -> None:
    # Newcombe (1998), Statistics in Medicine 17: 81/263 (Wilson) and the hybrid score
    # interval for 56/70 - 48/80 and 9/10 - 3/10 (his method 10).
    assert wilson(81, 263) == pytest.approx((0.2553, 0.3662), abs=5e-5)
    assert newcombe(56, 70, 48, 80) == pytest.approx((0.0524, 0.3339), abs=5e-5)
    assert newcombe(9, 10, 3, 10) == pytest.approx((0.1705, 0.8090), abs=5e-5)


def _coding(root: Path):
    with Study(root) as study:
        return load_summary_coding(study, SourceOptions())


def test_overall_counts_cases_and_shares(coded_study: Path) -> None:
    table = overall(case_code_counts(_coding(coded_study))).set_index("code_id")
    assert table.loc["adoption", ["cases_present", "cases", "segments"]].tolist() == [1, 2, 3]
    assert table.loc["adoption", "top_case"] == "alpha"
    assert table.loc["culture", "share"] == pytest.approx(5 / 28)


def test_two_groups_difference_interval_and_fisher(coded_study: Path) -> None:
    coding = _coding(coded_study)
    counts = case_code_counts(coding)
    table = group_counts(counts, case_groups(coding, "country"))
    row = compare_groups(table, code_order(coding.codebook)).set_index("code_id").loc["adoption"]
    # groups in name order: Norway (beta: 0/14) minus UK (alpha: 3/14)
    assert row["compared"] == "Norway - UK"
    assert row["difference"] == pytest.approx(-3 / 14)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(newcombe(0, 14, 3, 14))
    assert row["cases: UK"] == "1/1" and row["cases: Norway"] == "0/1"
    assert row["p"] == pytest.approx(1.0)  # one case per group: nothing can be significant


def test_more_than_two_groups_use_chi_square_on_presence() -> None:
    counts = pd.DataFrame({
        "case": ["a", "b", "c", "d", "e", "f"], "code_id": ["x"] * 6, "segments": [5, 4, 0, 0, 1, 0],
        "case_segments": [10] * 6, "documents": 0, "informants": 0, "depth": 0, "share": 0.0})
    groups = pd.Series({"a": "g1", "b": "g1", "c": "g2", "d": "g2", "e": "g3", "f": "g3"})
    row = compare_groups(group_counts(counts, groups), ["x"]).iloc[0]
    assert row["compared"] == "g1 - g2"  # highest share minus lowest
    assert row["difference"] == pytest.approx(9 / 20)
    assert row["test"].startswith("chi-square")
    assert row["p"] == pytest.approx(0.1353352832366127)  # chi2 = 4 on 2 df: exp(-2)


def test_unknown_attribute_names_the_known_ones(coded_study: Path) -> None:
    with pytest.raises(ConfigError, match="--by 'quality': no case has this attribute; case attributes: country"):
        case_groups(_coding(coded_study), "quality")


def _book(*codes: Code) -> Codebook:
    return Codebook("t", codes)


@pytest.mark.parametrize("book, expected", [
    # children of an exclusive parent with id 'phase'
    (_book(Code("phase", "Phase", codable=False, exclusive=True), Code("early", "Early", parent="phase")), ["early"]),
    # the names alone are enough, by id or by label
    (_book(Code("p1", "Adoption"), Code("implementation", "Doing it")), ["p1", "implementation"]),
    # a parent called phase that is not exclusive, and other names: no phases
    (_book(Code("phase", "Phase", codable=False), Code("early", "Early", parent="phase")), []),
])
def test_phase_code_rule(book: Codebook, expected: list[str]) -> None:
    assert phase_codes(book) == expected


def test_phase_by_domain_by_case(coded_study: Path) -> None:
    table = phase_table(_coding(coded_study)).set_index(["case", "phase", "domain"])["segments"]
    assert set(table.index.get_level_values("domain")) == {"setting"}
    # alpha: 'It started with the board' is adoption + culture; beta: the training turn is implementation + policy
    assert table[("alpha", "adoption", "setting")] == 1
    assert table[("alpha", "implementation", "setting")] == 0
    assert table[("beta", "implementation", "setting")] == 1
    assert table[(ALL_CASES, "adoption", "setting")] == 1


def test_cooccurrence_within_segments_and_documents(coded_study: Path) -> None:
    coding = _coding(coded_study)
    segments = cooccurrence(coding, "segment")
    documents = cooccurrence(coding, "document")
    assert segments.loc["adoption", "culture"] == 1 and segments.loc["implementation", "policy"] == 1
    assert segments.loc["culture", "culture"] == 5  # the diagonal: segments with the code
    assert segments.loc["adoption", "policy"] == 0
    # alpha's interview and notes both carry culture and adoption
    assert documents.loc["adoption", "culture"] == 2
    assert documents.loc["culture", "policy"] == 1  # alpha notes only: beta has them in different documents
    pairs = top_pairs(documents)
    assert pairs.iloc[0]["together"] == 2
