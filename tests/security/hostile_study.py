"""The hostile study (the fixture is in conftest.py): every name and text a user or another
tool controls starts like a formula (=, +, -, @, tab, CR), holds a vertical tab or a
<script>; built once through the command line (fake embedder), with two coders' workbooks
confirmed, a summary and an audit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner
from openpyxl import load_workbook

from cli.main import cli

LINK = '=HYPERLINK("http://evil.example/","x")'
SCRIPT = "<script>alert('xss')</script>"

CODEBOOK = r'''
name: "=HYPERLINK(\"http://evil.example/\",\"book\")"
codes:
  - id: grp
    label: "@SUM(1+1)*cmd|' /C calc'!A0"
    codable: false
    definition: "+Work context <script>alert('xss')</script>"
  - id: link
    parent: grp
    label: "=HYPERLINK(\"http://evil.example/\",\"x\")"
    definition: "Team culture and shared values."
    inclusion: "-2+3 how things are done here"
    exclusion: "\tTAB formal rules"
    examples: ["=1+1 we always help each other", "@we help"]
  - id: plus
    parent: grp
    label: "+SUM(1,2)"
    definition: "\rRules, policy and guidance."
    examples: ["The policy requires two signatures."]
  - id: minus
    label: "-1+1"
    definition: "Deciding to adopt: the board agreed to buy it."
  - id: tabbed
    label: "\tTabbed <b>bold</b>"
    definition: "Training and go-live."
'''

ROWS = [  # (id, case, speaker, text)
    ("1", LINK, "=Interviewer", "=HYPERLINK(\"http://evil.example/\",\"click\") we always help each other here."),
    ("2", LINK, "+P1", "+1 the board agreed to buy it in May."),
    ("3", "+case", "-P2", "-2 the policy requires two signatures for everything."),
    ("4", "+case", "@P3", "@SUM(1,1) we trained the nurses in June."),
    ("5", "@case", "\tP4", "\tA tab starts this answer about shared values."),
    ("6", "@case", "\rP5", "\rA carriage return starts this answer about rules."),
    ("7", "-case", "P6", "A vertical\vtab inside a sentence about the team culture."),
    ("8", "-case", "P7", f"{SCRIPT} the dashboard is slow and the board agreed."),
]
CODERS = ('=HYPERLINK("http://evil.example/","coder")', "@ben")
MEMOS = ("=1+1", "+memo", "-memo", "@memo", "\tmemo", "\rmemo", SCRIPT)  # a coder cannot type a vertical tab


@dataclass(frozen=True)
class Hostile:
    root: Path
    summary: Path  # folder
    audit: Path  # folder

    def workbooks(self) -> list[Path]:
        return sorted(self.root.rglob("*.xlsx"))


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def corpus_files(folder: Path) -> tuple[Path, Path]:
    import csv

    folder.mkdir(parents=True)
    table = folder / "=cmd+evil.csv"
    with table.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "case", "speaker", "text"])
        writer.writerows(ROWS)
    cases = folder / "cases.csv"
    with cases.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["case", "=region", "@size"])
        writer.writerows([(LINK, "+north", "=1"), ("+case", "-south", "@2"), ("@case", "+north", "-3"),
                          ("-case", "-south", "\t4")])
    return table, cases


def decide_all(book: Path, coder_index: int) -> None:
    """Act as a coder: a decision on every row (the coders disagree on some) and a hostile memo."""
    workbook = load_workbook(book)
    sheet = workbook["Queue"]
    cols = {str(c.value): c.column for c in sheet[1] if c.value is not None}
    for r in range(2, sheet.max_row + 1):
        verdict = "accept" if (r + coder_index) % 3 else "reject"
        sheet.cell(r, cols["Decision 1"]).value = verdict
        memo = sheet.cell(r, cols["Memo"])
        memo.value, memo.data_type = MEMOS[(r + coder_index) % len(MEMOS)], "s"  # typed as text, as '=1+1
    workbook.save(book)


def shared(*parts: str) -> Path:
    """A file of ../shared beside the repository: skipped on a bare clone, a failure in CI."""
    import os

    import pytest

    path = Path(__file__).resolve().parents[2].parent.joinpath("shared", *parts)
    if not path.exists():
        message = f"needs {path} (the shared data beside the repository)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path
