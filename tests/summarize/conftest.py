"""Fixtures: the two-case corpus ingested, and coded by 'alice' (see summary_helpers.CODING).

Each is built once per session and copied for every test (ingest costs far more than a copy).
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest
from summary_helpers import record_decisions

from pipeline.study import Study

# The top-level conftest's codebook and transcript (a plain import would find this file).
_spec = importlib.util.spec_from_file_location("_root_conftest", Path(__file__).resolve().parents[1] / "conftest.py")
ROOT_CONFTEST = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ROOT_CONFTEST)


@pytest.fixture(scope="session")
def _templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("summary-templates")
    codebook = base / "mini.yaml"
    codebook.write_text(ROOT_CONFTEST.MINI_CODEBOOK, encoding="utf-8")
    corpus = _corpus(base / "corpus")
    ingested = base / "ingested"
    with Study.create(ingested, codebook=codebook) as study:
        study.ingest([corpus], cases=corpus / "cases.csv")
    coded = base / "coded"
    shutil.copytree(ingested, coded)
    with Study(coded) as study:
        record_decisions(study, "alice")
    return {"ingested": ingested, "coded": coded}


def _corpus(root: Path) -> Path:
    TRANSCRIPT = ROOT_CONFTEST.TRANSCRIPT
    for case in ("alpha", "beta"):
        (root / case).mkdir(parents=True)
        (root / case / "interview_P3.txt").write_text(TRANSCRIPT.replace("P3", f"P3{case[0]}"), encoding="utf-8")
        (root / case / "notes.md").write_text(
            f"# Notes for {case}\n\nThe team adopted the tool in spring. Funding came from a grant.\n\n"
            "Culture matters here. People help each other.\n", encoding="utf-8")
    (root / "cases.csv").write_text("case,country\nalpha,UK\nbeta,Norway\n", encoding="utf-8")
    return root


@pytest.fixture
def ingested(_templates: dict[str, Path], tmp_path: Path) -> Path:
    return Path(shutil.copytree(_templates["ingested"], tmp_path / "study"))


@pytest.fixture
def coded_study(_templates: dict[str, Path], tmp_path: Path) -> Path:
    return Path(shutil.copytree(_templates["coded"], tmp_path / "study"))
