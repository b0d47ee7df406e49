"""Fixtures of the security tests: the hostile study (built once) and LibreOffice."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hostile_study import CODEBOOK, CODERS, Hostile, corpus_files, decide_all, run


@pytest.fixture(scope="session")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Hostile:
    base = tmp_path_factory.mktemp("hostile")
    codebook = base / "=codebook.yaml"
    codebook.write_text(CODEBOOK, encoding="utf-8")
    table, cases = corpus_files(base / "in")
    root = base / "study"
    run("init", root, "--codebook", codebook)
    run("ingest", root, table, "--cases", cases, "--text-column", "text", "--id-column", "id",
        "--case-column", "case", "--speaker-column", "speaker", "--unit", "row")
    run("suggest", root, "--model", "fake", "--threshold", "0", "--definitions-only")
    review = base / "review"
    review.mkdir()
    run("queue", root, "--coder", CODERS[0], "--with", CODERS[1], "--overlap", "1", "--include-uncoded",
        "--out", review / "queue.xlsx")
    books = sorted(review.glob("*.xlsx"))
    assert len(books) == 2, books
    shutil.copytree(review, root / "data" / "queued")  # as deductive wrote them, before the coders typed
    for i, book in enumerate(books):
        decide_all(book, i)
    run("confirm", root, *books)
    summary, audit = base / "summary", base / "audit"
    run("summarize", root, "--any-coder", "--by", "=region", "--model", "none", "--out", summary)
    run("audit", root, "--include-model", "--bootstrap", "0", "--out", audit)
    shutil.copytree(summary, root / "data" / "hostile-summary")  # every workbook deductive wrote, in one folder
    shutil.copytree(audit, root / "data" / "hostile-audit")
    return Hostile(root, summary, audit)
