"""Which decisions count, and the case x code numbers worked out by hand from CODING."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import ConfigError, StudyError
from pipeline.study import Study
from pipeline.summarize import SourceOptions, load_summary_coding
from pipeline.summarize.matrices import ALL_CASES, case_code_counts, code_order, presence, wide

from summary_helpers import record_decisions


def counts_of(root: Path, **options) -> dict[tuple[str, str], dict]:
    with Study(root) as study:
        frame = case_code_counts(load_summary_coding(study, SourceOptions(**options)))
    return {(r["case"], r["code_id"]): r for r in frame.to_dict("records")}


# (case, code): segments, documents, informants, share. Worked out from CODING:
EXPECTED = [
    # the interviewer's segment counts as a segment but 'I' is no informant
    ("alpha", "culture", 3, 2, 1, 3 / 14),
    ("alpha", "policy", 1, 1, 0, 1 / 14),  # notes have no speaker: no informant
    # roll-up: culture + policy segments, no segment twice
    ("alpha", "setting", 4, 2, 1, 4 / 14),
    ("alpha", "adoption", 3, 2, 1, 3 / 14),
    ("alpha", "phase", 4, 2, 1, 4 / 14),
    ("beta", "culture", 2, 1, 0, 2 / 14),
    ("beta", "policy", 1, 1, 1, 1 / 14),
    ("beta", "setting", 3, 2, 1, 3 / 14),
    ("beta", "adoption", 0, 0, 0, 0.0),  # zero rows are kept
    (ALL_CASES, "culture", 5, 3, 1, 5 / 28),
    (ALL_CASES, "setting", 7, 4, 2, 7 / 28),
]


@pytest.mark.parametrize("case, code, segments, documents, informants, share", EXPECTED)
def test_counts_match_the_hand_count(coded_study: Path, case, code, segments, documents, informants, share) -> None:
    row = counts_of(coded_study)[(case, code)]
    assert (row["segments"], row["documents"], row["informants"]) == (segments, documents, informants)
    assert row["share"] == pytest.approx(share)


def test_rejected_and_none_verdicts_do_not_count(coded_study: Path) -> None:
    with Study(coded_study) as study:
        coding = load_summary_coding(study, SourceOptions())
    # 12 reviewed segments, 10 with a positive code, 12 codes applied
    assert len(coding.reviewed) == 12
    assert coding.applied["segment_id"].nunique() == 10
    assert len(coding.applied) == 12
    assert "alice" in coding.label and not coding.unconfirmed


def test_a_later_decision_supersedes_an_earlier_one(coded_study: Path) -> None:
    with Study(coded_study) as study:
        record_decisions(study, "alice", {("beta", "n", 4): ("rejected", ("culture",))}, tag="-2")
    assert counts_of(coded_study)[("beta", "culture")]["segments"] == 1


def test_interviewer_pattern_is_configurable(coded_study: Path) -> None:
    # With a pattern that matches nobody, the interviewer 'I' becomes an informant.
    assert counts_of(coded_study, interviewer_pattern="nobody")[("alpha", "culture")]["informants"] == 2


def test_presence_and_wide_tables(coded_study: Path) -> None:
    with Study(coded_study) as study:
        coding = load_summary_coding(study, SourceOptions())
    counts = case_code_counts(coding)
    order = code_order(coding.codebook)
    assert order == ["setting", "culture", "policy", "phase", "adoption", "implementation"]
    table = presence(counts, order)
    assert table.loc["beta"].to_dict() == {"setting": 1, "culture": 1, "policy": 1, "phase": 1, "adoption": 0,
                                           "implementation": 1}
    assert list(wide(counts, "segments", order).index) == ["alpha", "beta", ALL_CASES]


@pytest.mark.parametrize("options, error, words", [
    # a coder who never decided anything: name the coders who did
    ({"coder": "bob"}, ConfigError, "coders with decisions: alice"),
    # no consensus coder yet: say how to make one
    ({"consensus": True}, ConfigError, "--coder consensus"),
    # two exclusive choices at once
    ({"coder": "alice", "any_coder": True}, ConfigError, "at most one"),
    ({"source": "final"}, ConfigError, "confirmed or suggested"),
    ({"interviewer_pattern": "(("}, ConfigError, "regular expression"),
    # --source suggested before any suggest run
    ({"source": "suggested"}, StudyError, "deductive suggest"),
])
def test_bad_source_options(coded_study: Path, options, error, words) -> None:
    with Study(coded_study) as study, pytest.raises(error, match=words.replace("(", r"\(")):
        load_summary_coding(study, SourceOptions(**options))


def test_no_decisions_at_all(ingested: Path) -> None:
    with Study(ingested) as study, pytest.raises(StudyError, match="no decisions yet.*--source suggested"):
        load_summary_coding(study, SourceOptions())


def test_several_coders_need_a_choice(coded_study: Path) -> None:
    with Study(coded_study) as study:
        record_decisions(study, "bob", {("beta", "i", 2): ("added", ("adoption",))})
        with pytest.raises(ConfigError, match="alice, bob.*--coder NAME.*--consensus.*--any-coder"):
            load_summary_coding(study, SourceOptions())
        bob = load_summary_coding(study, SourceOptions(coder="bob"))
        both = load_summary_coding(study, SourceOptions(any_coder=True))
        record_decisions(study, "consensus", {("beta", "i", 3): ("added", ("adoption",))})
        agreed = load_summary_coding(study, SourceOptions(consensus=True))
    assert len(bob.applied) == 1 and len(both.applied) == 13
    assert "any of the coders alice, bob" in both.label
    assert agreed.applied["coders"].tolist() == ["consensus"]


def test_cases_sort_naturally() -> None:
    from pipeline.summarize.matrices import sorted_cases

    assert sorted_cases(["10", "2", "case 10", "case 9", "1"]) == ["1", "2", "10", "case 9", "case 10"]
