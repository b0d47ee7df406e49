"""Quick commands start quickly: the CLI imports heavy libraries only in the commands that use them.

Timing a subprocess is flaky on a shared machine, so these tests assert which modules get
imported (``python -X importtime`` lists every one), which is what decides start-up time:
pandas alone costs ~0.3 s, scikit-learn + scipy ~1 s, sentence-transformers ~4.5 s.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = {"pandas", "sklearn", "scipy", "matplotlib", "openpyxl", "spacy", "torch", "sentence_transformers",
         "transformers", "onnxruntime", "openvino", "pypdf", "docx", "prefect", "xlsxwriter"}


def imported_top_level(*args: str) -> set[str]:
    """Top-level packages a fresh interpreter imports to run ``python -X importtime args``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-X", "importtime", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    names = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    return {name.split(".")[0] for name in names}


def test_importing_the_cli_imports_no_heavy_library() -> None:
    # `deductive --help` and every command's option parsing run on this import alone.
    assert imported_top_level("-c", "import cli.main") & HEAVY == set()


def test_help_and_codebook_validate_import_no_heavy_library() -> None:
    assert imported_top_level("-m", "cli", "--help") & HEAVY == set()
    yaml_book = str(ROOT / "codebook" / "demo_study.yaml")
    assert imported_top_level("-m", "cli", "codebook", "validate", yaml_book) & HEAVY == set()


@pytest.fixture()
def small_study(tmp_path: Path) -> Path:
    from pipeline.embed import FakeEmbedder
    from pipeline.study import Study

    (tmp_path / "notes.txt").write_text("Staff said the new system saved time.\n\nManagers worried about cost.\n")
    with Study.create(tmp_path / "s", codebook=ROOT / "codebook" / "demo_study.yaml") as study:
        study.ingest([tmp_path / "notes.txt"], case="one")
        study.suggest(embedder=FakeEmbedder(), learned=False)
    return tmp_path / "s"


def test_status_queue_and_confirm_import_only_what_they_use(small_study: Path, tmp_path: Path) -> None:
    # status counts with SQL alone; queue writes with XlsxWriter, not openpyxl; confirm reads with
    # openpyxl; none of them embeds, fits, plots, segments or reads PDFs.
    assert imported_top_level("-m", "cli", "status", str(small_study)) & HEAVY == set()
    book = tmp_path / "queue.xlsx"
    assert imported_top_level("-m", "cli", "queue", str(small_study), "--coder", "ana", "--include-uncoded", "--out", str(book)) & HEAVY <= {"pandas", "xlsxwriter"}
    assert book.is_file()
    assert imported_top_level("-m", "cli", "confirm", str(small_study), str(book)) & HEAVY <= {"pandas", "openpyxl"}


def test_defaults_spelled_in_the_cli_match_the_library() -> None:
    import cli.audit
    import cli.summarize
    from pipeline.audit import CONSENSUS
    from pipeline.summarize.source import DEFAULT_INTERVIEWER

    assert cli.audit.CONSENSUS == CONSENSUS
    assert cli.summarize.DEFAULT_INTERVIEWER == DEFAULT_INTERVIEWER
