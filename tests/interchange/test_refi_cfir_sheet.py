"""Codebooks from CFIR-style spreadsheets, columns recognised by header."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from cli.main import cli
from pipeline.codebook import load_codebook
from pipeline.errors import CodebookError
from pipeline.interchange.cfir_template import read_cfir_template, recognise_columns

ROWS = [
    ["CFIR 2.0 codebook template", "", "", "", "", ""],  # a title row above the header
    ["", "", "", "", "", ""],
    ["Construct Definition", "Exclusion Criteria", "Domain", "Construct", "Inclusion Criteria", "Examples"],
    ["The innovation itself.", "", "I. Innovation Domain", "", "", ""],
    ["Where it came from.", "Not its design.", "", "A. Innovation Source", "Who developed it", "It came from the trust.\nThe vendor made it."],
    ["Evidence it works.", "", "", "B. Innovation Evidence-Base", "", ""],
    ["", "", "", "", "", ""],
    ["Shared values.", "Formal rules", "II. Inner Setting Domain", "Culture", "Norms", "We help | Nobody asks"],
]


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_reads_sheet_in_any_column_order(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"cfir{suffix}"
    frame = pd.DataFrame(ROWS)
    if suffix == ".csv":
        frame.to_csv(path, index=False, header=False)
    else:
        frame.to_excel(path, index=False, header=False)
    book = read_cfir_template(path)
    assert [(c.id, c.parent, c.codable) for c in book.codes] == [
        ("innovation_domain", None, False), ("innovation_source", "innovation_domain", True),
        ("innovation_evidence_base", "innovation_domain", True),
        ("inner_setting_domain", None, False), ("culture", "inner_setting_domain", True)]
    source = book.get("innovation_source")
    assert (source.label, source.definition, source.inclusion, source.exclusion) == \
        ("A. Innovation Source", "Where it came from.", "Who developed it", "Not its design.")
    assert source.examples == ("It came from the trust.", "The vendor made it.")
    assert book.get("culture").examples == ("We help", "Nobody asks")
    assert book.get("innovation_domain").definition == "The innovation itself."


@pytest.mark.parametrize("header, expected", [
    (["Domain", "Construct", "Definition"], {"domain": 0, "construct": 1, "definition": 2}),
    (["Sub-construct", "CONSTRUCT", "Description", "ID"], {"subconstruct": 0, "construct": 1, "definition": 2, "id": 3}),
    (["Example quotes", "Exclusion", "Inclusion", "Notes"], {"examples": 0, "exclusion": 1, "inclusion": 2}),
])
def test_recognise_columns(header: list[str], expected: dict[str, int]) -> None:
    assert recognise_columns(header) == expected


def test_subconstructs_nest_under_their_construct(tmp_path: Path) -> None:
    path = tmp_path / "sub.csv"
    path.write_text("Domain,Construct,Subconstruct,Definition\nOuter,Partnerships,,Working with others.\n"
                    ",,Networks,Links between organisations.\n,Policies,,Rules from outside.\n", encoding="utf-8")
    book = read_cfir_template(path)
    assert [(c.id, c.parent) for c in book.codes] == [
        ("outer", None), ("partnerships", "outer"), ("networks", "partnerships"), ("policies", "outer")]


@pytest.mark.parametrize("text, message", [
    ("Name,Meaning\nA,b\n", "no header row with 'Construct' and 'Definition'"),
    ("Domain,Construct,Definition\nD,Culture,\n", "row 2: construct 'Culture' has no definition"),
    ("Domain,Construct,Definition\n", "no constructs"),
])
def test_bad_sheets(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CodebookError, match=message):
        read_cfir_template(path)


def test_cli_converts_sheet_to_yaml(tmp_path: Path) -> None:
    path = tmp_path / "cfir.xlsx"
    pd.DataFrame(ROWS).to_excel(path, index=False, header=False)
    result = CliRunner().invoke(cli, ["codebook", "import", str(path), "--out", str(tmp_path / "cfir.yaml")])
    assert result.exit_code == 0, result.output
    assert "5 codes (3 codable)" in result.output
    assert load_codebook(tmp_path / "cfir.yaml").get("culture").inclusion == "Norms"
