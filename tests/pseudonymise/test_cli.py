"""The pseudonymise and reidentify commands: one clear line and exit code 1 on bad input."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from cli.main import cli
from pipeline.study import Study


def test_commands_round_trip(study: Study, names: Path, tmp_path: Path) -> None:
    root = str(study.root)
    study.close()
    runner = CliRunner()
    key = tmp_path / "keys" / "k.json"
    result = runner.invoke(cli, ["pseudonymise", root, "--key", str(key), "--names", str(names), "--no-model"])
    assert result.exit_code == 0, result.output
    assert "PERSON" in result.output and "k-review.xlsx" in result.output
    result = runner.invoke(cli, ["pseudonymise", root, "--apply", str(key.parent / "k-review.xlsx"), "--key", str(key)])
    assert result.exit_code == 0 and "pseudonymised 2 document(s)" in result.output
    report = tmp_path / "keys" / "r.txt"
    report.write_text("[PERSON_01] said so", encoding="utf-8")
    out = tmp_path / "keys" / "r2.txt"
    result = runner.invoke(cli, ["reidentify", root, "--key", str(key), "--in", str(report), "--out", str(out)])
    assert result.exit_code == 0 and out.read_text(encoding="utf-8").endswith(" said so")
    assert "[PERSON_01]" not in out.read_text(encoding="utf-8")


def test_bad_input_gets_one_clear_line(study: Study, names: Path, tmp_path: Path) -> None:
    root = str(study.root)
    study.close()
    runner = CliRunner()
    result = runner.invoke(cli, ["pseudonymise", root, "--key", str(Path(root) / "k.json"), "--no-model"])
    assert result.exit_code == 1 and "must not be written inside the study folder" in result.output
    result = runner.invoke(cli, ["pseudonymise", root, "--no-model"])
    assert result.exit_code == 2 and "--key" in result.output
    result = runner.invoke(cli, ["ingest", root, str(tmp_path / "raw"), "--pseudonymise"])
    assert result.exit_code == 2 and "--key" in result.output
