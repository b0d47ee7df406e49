"""A small study with two transcripts, for the pseudonymisation tests (no model needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.study import Study

INTERVIEW_1 = """Interviewer: Can you tell me about your role?
Maria: I manage the ward at St Brigid's Hospital. I work with Dr Kwame Mensah and
Rose Okafor. MARIA GONZALEZ is my full name, but call me Mari.
Interviewer: How did the rollout go?
Maria: I hope it goes better next time. Email maria.gonzalez@stbrigids.org or ring 0113 496 0000.
"""

INTERVIEW_2 = """Interviewer: Who trained you?
Kwame: rose okafor ran the sessions. maria helped. Call me on 07700 900123.
"""


@pytest.fixture
def study(tmp_path: Path) -> Study:
    raw = tmp_path / "raw" / "SiteA"
    raw.mkdir(parents=True)
    (raw / "int1.txt").write_text(INTERVIEW_1, encoding="utf-8")
    (raw / "int2.txt").write_text(INTERVIEW_2, encoding="utf-8")
    study = Study.create(tmp_path / "study")
    report = study.ingest([tmp_path / "raw"])
    assert report.ok
    yield study
    study.close()


@pytest.fixture
def names(tmp_path: Path) -> Path:
    path = tmp_path / "keys" / "names.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("Maria Gonzalez | Mari\nRose Okafor\nKwame Mensah\n", encoding="utf-8")
    return path
