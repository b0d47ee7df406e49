"""Shared fixtures: small in-memory inputs and temporary studies.

Tests that need the data in ../shared get it through ``shared_data.shared_file`` (skipped
when missing, a failure in CI); ``pytest_runtest_makereport`` below also turns any other
skip that names ../shared into a failure in CI, so that none can slip through.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shared_data import SHARED, in_ci, shared_file  # noqa: F401 - shared_file re-exported for older tests

ROOT = Path(__file__).resolve().parents[1]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Any:
    outcome = yield
    report = outcome.get_result()
    if in_ci() and report.skipped and str(SHARED) in str(report.longrepr):
        report.outcome = "failed"
        report.longrepr = f"skipped for missing shared data in CI: {report.longrepr}"


MINI_CODEBOOK = """
name: mini
codes:
  - id: setting
    label: Setting
    codable: false
    definition: Where the work happens.
  - id: culture
    parent: setting
    label: Culture
    definition: Shared values and norms of the team.
    inclusion: Talk about how things are done here.
    exclusion: Formal rules go to policy.
    examples: ["We always help each other out.", "Nobody questions the consultant here."]
  - id: policy
    parent: setting
    label: Policy
    definition: Formal rules and guidance.
    examples: ["The national guideline says so.", "Our trust policy requires two signatures."]
  - id: phase
    label: Phase
    codable: false
    exclusive: true
    definition: Stage of the work.
  - id: adoption
    parent: phase
    label: Adoption
    definition: Deciding to take the innovation up.
    examples: ["The board agreed to buy it.", "We decided to go ahead in May."]
  - id: implementation
    parent: phase
    label: Implementation
    definition: Putting it into use.
    examples: ["We trained the nurses in June.", "Go-live was in the autumn."]
"""


@pytest.fixture
def mini_codebook(tmp_path: Path) -> Path:
    path = tmp_path / "mini.yaml"
    path.write_text(MINI_CODEBOOK, encoding="utf-8")
    return path


TRANSCRIPT = """Interview P3 - ward manager - 3 May 2024

I: Can you tell me how the programme started?

P3: It started with the board. They decided in May... and then we had to find nurses. Yeah.

I: And the training?

P3: The training was short. We meet at 10:30 every day to look at alerts.

Sometimes the dashboard is slow. Dr. Smith complained about it approx. twice a week.
"""


@pytest.fixture
def study_dir(tmp_path: Path, mini_codebook: Path) -> Path:
    from pipeline.study import Study

    root = tmp_path / "study"
    Study.create(root, codebook=mini_codebook).close()
    return root


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """Two cases as folders, one transcript and one plain document each."""
    root = tmp_path / "corpus"
    for case in ("alpha", "beta"):
        (root / case).mkdir(parents=True)
        (root / case / "interview_P3.txt").write_text(TRANSCRIPT.replace("P3", f"P3{case[0]}"), encoding="utf-8")
        (root / case / "notes.md").write_text(
            f"# Notes for {case}\n\nThe team adopted the tool in spring. Funding came from a grant.\n\n"
            "Culture matters here. People help each other.\n",
            encoding="utf-8",
        )
    (root / "cases.csv").write_text("case,country\nalpha,UK\nbeta,Norway\n", encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def soffice(tmp_path_factory: pytest.TempPathFactory):
    """Run LibreOffice headless with a throwaway profile: soffice(args, cwd) -> CompletedProcess."""
    import os
    import shutil
    import subprocess

    binary = shutil.which("soffice") or shutil.which("libreoffice")
    if binary is None:
        pytest.skip("LibreOffice (soffice) is not on PATH; install the Debian package libreoffice-calc")
    profile = tmp_path_factory.mktemp("lo-profile")

    def call(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
        env = {**os.environ, "HOME": str(profile)}
        return subprocess.run([binary, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore", *args],
                              cwd=cwd, env=env, capture_output=True, text=True, timeout=300)

    return call
