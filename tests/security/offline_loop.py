"""The whole loop, command by command, in one process: run inside a network namespace by
test_no_network.py (one Python start-up instead of twenty). Prints one JSON line per command:
{"command": [...], "exit_code": n, "output": "..."}.

    python tests/security/offline_loop.py WORKDIR CODEBOOK CORPUS
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

TABLE = "id,case,text\nr1,alpha,We always help each other out here.\nr2,alpha,The board agreed to buy it in May.\n" \
        "r3,beta,Our trust policy requires two signatures.\nr4,beta,We trained the nurses in June.\n"
GOLD = "id,code\nr1,culture\nr2,adoption\nr3,policy\nr4,implementation\n"
FLOWS = ("run", "demo", "serve")


def _decide(book: Path, verdict: str) -> None:
    """Act as a coder on a queued workbook (no network involved)."""
    from openpyxl import load_workbook

    workbook = load_workbook(book)
    sheet = workbook["Queue"]
    cols = {str(c.value): c.column for c in sheet[1] if c.value is not None}
    for r in range(2, sheet.max_row + 1):
        sheet.cell(r, cols["Decision 1"]).value = verdict if r % 2 else "accept"
    workbook.save(book)


def steps(work: Path, codebook: Path, corpus: Path) -> list[list[str]]:
    study, other = work / "study", work / "other"
    return [[str(a) for a in step] for step in (
        ("init", study, "--codebook", codebook),
        ("ingest", study, corpus, "--cases", corpus / "cases.csv"),
        ("ingest", study, work / "table.csv", "--text-column", "text", "--id-column", "id", "--case-column", "case"),
        ("segment", study),
        ("status", study),
        ("codebook", "export", study, "--out", work / "book.qdc"),
        ("codebook", "import", work / "book.qdc", "--out", work / "book.yaml"),
        ("suggest", study),  # the packaged model, loaded from disk only
        ("suggestions", study, "--out", work / "suggestions.csv"),
        ("evaluate", study, "--gold", work / "gold.csv", "--gold-column", "code", "--id-column", "id"),
        ("queue", study, "--coder", "ana", "--with", "ben", "--overlap", "1", "--out", work / "q.xlsx"),
        ("confirm", study, work / "q.xlsx", work / "q-ben.xlsx"),
        ("decisions", study, "--out", work / "decisions.csv"),
        ("summarize", study, "--any-coder", "--out", work / "summary"),
        ("ratings", study, work / "summary" / "summary.xlsx"),
        ("audit", study, "--bootstrap", "0", "--out", work / "audit"),
        ("resolve", study, work / "audit" / "disagreements.xlsx"),
        ("learn", study),
        ("export", study, "--out", work / "study.qdpx"),
        ("init", other),
        ("import", other, work / "study.qdpx"),
        ("run", study, "--model", "fake"),
        ("demo", work / "demo", "--model", "fake"),
        ("serve", study, "--inbox", work / "inbox", "--model", "fake"),
    )]


def main(work: Path, codebook: Path, corpus: Path) -> None:
    from click.testing import CliRunner

    from cli.main import cli

    (work / "table.csv").write_text(TABLE, encoding="utf-8")
    (work / "gold.csv").write_text(GOLD, encoding="utf-8")
    for step in steps(work, codebook, corpus):
        if step[0] == "confirm":
            for book, verdict in zip(step[2:], ("reject", "accept")):
                _decide(Path(book), verdict)
        result = CliRunner().invoke(cli, step)
        output = result.output + (repr(result.exception) if result.exception and result.exit_code != 1 else "")
        print(json.dumps({"command": step, "exit_code": result.exit_code, "output": output[-2000:]}), flush=True)


if __name__ == "__main__":
    main(*map(Path, sys.argv[1:4]))
