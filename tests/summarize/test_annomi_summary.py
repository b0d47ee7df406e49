"""Correct by construction: AnnoMI's gold labels, imported as one coder's decisions, give
exactly the counts and shares pandas computes straight from the CSV. The codebook scopes
counsellor codes to counsellor turns and client codes to client turns, so each share's
denominator is the segments of the code's speakers (issue 13)."""

from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from pipeline.review import ImportOptions, import_decisions
from pipeline.study import Study
from shared_data import shared_file
from pipeline.summarize import SourceOptions, SummaryOptions, summarize
from pipeline.summarize.matrices import ALL_CASES

ROOT = Path(__file__).resolve().parents[2]
PARENT = {"therapist": "therapist_behaviour", "client": "client_talk"}


def _benchmark_options():
    spec = importlib.util.spec_from_file_location("_annomi", ROOT / "benchmarks" / "_annomi.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.READ, module.CODEBOOK, module.ROLES


@pytest.fixture(scope="module")
def annomi(tmp_path_factory: pytest.TempPathFactory):
    annomi_csv = shared_file("benchmarks", "annomi", "AnnoMI-simple.csv")
    read, codebook, roles = _benchmark_options()
    frame = pd.read_csv(annomi_csv, dtype=str, keep_default_na=False)
    # One label per utterance: the therapist's behaviour or the client's talk type.
    frame["code"] = frame["main_therapist_behaviour"].where(frame["interlocutor"] == "therapist", frame["client_talk_type"])
    base = tmp_path_factory.mktemp("annomi")
    labels = base / "gold.csv"
    frame[["transcript_id", "utterance_id", "code"]].to_csv(labels, index=False)
    with Study.create(base / "study", codebook=codebook) as study:
        study.settings = dataclasses.replace(study.settings.override("segment", unit="row"), roles=roles)
        assert study.ingest([annomi_csv], read=read).ok
        report = import_decisions(study, labels, ImportOptions(code_column="code", coder="gold",
                                                               id_columns=("transcript_id", "utterance_id")))
        assert report.counts == {"added": len(frame)}
        summary = summarize(study, SummaryOptions(source=SourceOptions(), by=("mi_quality",), exemplars=1))
    return frame, summary


def test_group_counts_and_shares_match_pandas(annomi) -> None:
    frame, summary = annomi
    (group,) = summary.groups
    got = group.counts.set_index(["code_id", "group"])
    leaf = frame.groupby(["code", "mi_quality"]).agg(segments=("code", "size"), cases=("transcript_id", "nunique"))
    parent = (frame.assign(code=frame["interlocutor"].map(PARENT))
              .groupby(["code", "mi_quality"]).agg(segments=("code", "size"), cases=("transcript_id", "nunique")))
    expected = pd.concat([leaf, parent])
    speaker_of = {**{c: s for c, s in zip(frame["code"], frame["interlocutor"])}, **{p: s for s, p in PARENT.items()}}
    rows = frame.groupby(["interlocutor", "mi_quality"]).size()  # the scope's segments
    cases = frame.groupby("mi_quality")["transcript_id"].nunique()
    assert len(expected) == 2 * (7 + 2)  # every code (7 labels + 2 parents) in both groups
    for (code, quality), want in expected.iterrows():
        have = got.loc[(code, quality)]
        assert have["segments"] == want["segments"], (code, quality)
        assert have["group_segments"] == rows[(speaker_of[code], quality)] < len(frame)
        assert have["share"] == want["segments"] / rows[(speaker_of[code], quality)]
        assert (have["cases_present"], have["cases"]) == (want["cases"], cases[quality]), (code, quality)


def test_case_counts_and_the_comparison_match_pandas(annomi) -> None:
    frame, summary = annomi
    counts = summary.counts[summary.counts["case"] != ALL_CASES].set_index(["case", "code_id"])
    direct = pd.crosstab(frame["transcript_id"], frame["code"])
    for case, row in direct.iterrows():
        for code, n in row.items():
            assert counts.loc[(case, code), "segments"] == n
    comparison = summary.groups[0].comparison.set_index("code_id")
    for code in direct.columns:
        speaker = frame.loc[frame["code"] == code, "interlocutor"].iloc[0]
        mine = frame[frame["interlocutor"] == speaker]  # the code's scope
        shares = (mine["code"] == code).groupby(mine["mi_quality"]).mean()
        assert comparison.loc[code, "difference"] == pytest.approx(shares["high"] - shares["low"])
        assert comparison.loc[code, "ci_low"] < comparison.loc[code, "difference"] < comparison.loc[code, "ci_high"]
