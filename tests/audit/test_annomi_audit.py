"""The audit on real data: the AnnoMI transcripts that all ten annotators coded, imported
as ten coders, give the Fleiss' kappa and Krippendorff's alpha that this test computes
from the raw file with the textbook formulas. The codebook scopes counsellor codes to
counsellor turns and client codes to client turns (the study maps the interlocutor labels
to those roles), so each statistic counts only its speakers' utterances (issue 13)."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from click.testing import CliRunner

from cli.main import cli
from pipeline.audit import AuditOptions, audit
from pipeline.config import RoleSettings
from pipeline.ingest.read import ReadOptions
from pipeline.review import ImportOptions, import_decisions
from pipeline.errors import InputError
from pipeline.study import Study
from shared_data import shared_file

ROOT = Path(__file__).resolve().parents[2]
CODEBOOK = ROOT / "benchmarks" / "annomi_codebook.yaml"
FIELDS = {"therapist": "main_therapist_behaviour", "client": "client_talk_type"}
GROUPS = {"therapist_behaviour": "therapist", "client_talk": "client"}
NONE = "(none)"
ROLES = 'counsellor = ["therapist"]\nclient = ["client"]\n'


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    """Rows of the transcripts coded by all ten annotators, read with the csv module."""
    with shared_file("benchmarks", "annomi", "AnnoMI-full.csv").open(newline="", encoding="utf-8") as handle:
        rows = pd.DataFrame(list(csv.DictReader(handle)))
    per_transcript = rows.groupby("transcript_id")["annotator_id"].nunique()
    rows = rows[rows["transcript_id"].isin(per_transcript[per_transcript == 10].index)].copy()
    rows["code"] = [r[FIELDS[r["interlocutor"]]] for r in rows.to_dict("records")]
    return rows


@pytest.fixture(scope="module")
def study_dir(raw: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ten annotators' decisions in a study whose deductive.toml maps the roles."""
    tmp = tmp_path_factory.mktemp("annomi")
    utterances = raw.drop_duplicates(["transcript_id", "utterance_id"])
    utterances[["transcript_id", "utterance_id", "interlocutor", "utterance_text"]].to_csv(tmp / "utt.csv", index=False)
    coding = raw[["transcript_id", "utterance_id", "annotator_id", "code"]].copy()
    coding["annotator_id"] = "annotator " + coding["annotator_id"]
    coding.to_csv(tmp / "coding.csv", index=False)
    with Study.create(tmp / "study", codebook=CODEBOOK) as study:
        settings = study.root / "deductive.toml"
        settings.write_text(settings.read_text(encoding="utf-8") + "\n[roles]\n" + ROLES, encoding="utf-8")
        study.settings = study.settings.override("segment", unit="row")  # one segment per utterance
        study.ingest([tmp / "utt.csv"], read=ReadOptions(
            text_column="utterance_text", id_columns=("transcript_id", "utterance_id"),
            case_column="transcript_id", speaker_column="interlocutor"))
        import_decisions(study, tmp / "coding.csv", ImportOptions(
            code_column="code", id_columns=("transcript_id", "utterance_id"), coder_column="annotator_id"))
    return tmp / "study"


@pytest.fixture(scope="module")
def result(study_dir: Path) -> object:
    with Study(study_dir) as study:
        return audit(study, AuditOptions(bootstrap=0))


def _textbook(values: pd.DataFrame) -> tuple[float, float]:
    """Fleiss (1971) kappa and Krippendorff (2011) nominal alpha for a units x raters table
    with no missing cells, from the category counts of each unit."""
    categories = sorted(set(values.to_numpy().ravel()))
    counts = np.stack([(values == c).sum(axis=1).to_numpy() for c in categories], axis=1).astype(float)
    units, raters = counts.shape[0], counts.sum(axis=1)[0]
    p_unit = ((counts**2).sum(axis=1) - raters) / (raters * (raters - 1))
    p_cat = counts.sum(axis=0) / (units * raters)
    kappa = (p_unit.mean() - (p_cat**2).sum()) / (1 - (p_cat**2).sum())
    n, n_c = counts.sum(), counts.sum(axis=0)
    agreeing = ((counts * (counts - 1)).sum(axis=0) / (raters - 1)).sum()
    alpha = 1 - (n - 1) * (n - agreeing) / (n**2 - (n_c**2).sum())
    return float(kappa), float(alpha)


def _table(raw: pd.DataFrame, value: pd.Series) -> pd.DataFrame:
    """Utterances x annotators of ``value``."""
    frame = raw.assign(value=value)
    return frame.pivot(index=["transcript_id", "utterance_id"], columns="annotator_id", values="value")


def test_ten_coders_on_every_utterance(raw: pd.DataFrame, result: object) -> None:
    assert len(result.coding.coders) == 10
    assert len(result.coding.sample) == raw.drop_duplicates(["transcript_id", "utterance_id"]).shape[0] == 428
    assert set(result.agreement.per_code["kappa_type"]) == {"fleiss"}


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_group_kappa_and_alpha_match_the_raw_file(raw: pd.DataFrame, result: object, group: str) -> None:
    # The group's scope: only the utterances of its speaker count.
    mine = raw[raw["interlocutor"] == GROUPS[group]]
    kappa, alpha = _textbook(_table(mine, mine["code"]))
    row = result.agreement.groups.set_index("group").loc[group]
    assert row["kappa"] == pytest.approx(kappa, abs=1e-9)
    assert row["alpha"] == pytest.approx(alpha, abs=1e-9)
    assert row["n_units"] == mine.drop_duplicates(["transcript_id", "utterance_id"]).shape[0] < 428
    assert row["n_broken"] == 0


@pytest.mark.parametrize("code", ["reflection", "question", "therapist_input", "other", "change", "sustain", "neutral"])
def test_per_code_kappa_and_alpha_match_the_raw_file(raw: pd.DataFrame, result: object, code: str) -> None:
    speaker = "therapist" if code in ("reflection", "question", "therapist_input", "other") else "client"
    mine = raw[raw["interlocutor"] == speaker]
    kappa, alpha = _textbook(_table(mine, (mine["code"] == code).astype(int)))
    row = result.agreement.per_code.set_index("code").loc[code]
    assert row["kappa"] == pytest.approx(kappa, abs=1e-9)
    assert row["alpha"] == pytest.approx(alpha, abs=1e-9)


def test_cli_audit_reports_the_scoped_fleiss_kappas(study_dir: Path) -> None:
    # Issue 13's acceptance figures, through the command line: counsellor behaviour over
    # counsellor turns 0.737, client talk over client turns 0.467.
    result = CliRunner().invoke(cli, ["audit", str(study_dir), "--bootstrap", "0"])
    assert result.exit_code == 0, result.output
    groups = {line.split()[1]: line.split() for line in result.output.splitlines() if line.strip().startswith("group ")}
    assert "0.737" in groups["Counsellor"]
    assert "0.467" in groups["Client"]
    assert groups["Counsellor"][3] == "216" and groups["Client"][3] == "212"


def test_audit_without_the_role_map_says_how_to_map_speakers(study_dir: Path, tmp_path: Path) -> None:
    # Without [roles], 'therapist' and 'client' are participants: the scopes match no one.
    with Study(study_dir) as study:
        study.settings = dataclasses.replace(study.settings, roles=RoleSettings())
        with pytest.raises(InputError, match=r"counsellor.*\[roles\]"):
            audit(study, AuditOptions(bootstrap=0))
