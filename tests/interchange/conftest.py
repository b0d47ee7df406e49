"""Fixtures for the REFI-QDA tests: the two XSDs and a coded study."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from pipeline.study import Study
from refi_helpers import add_decisions, refi_file


@pytest.fixture(scope="session")
def project_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(refi_file("Project.xsd"))))


@pytest.fixture(scope="session")
def codebook_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(refi_file("Codebook.xsd"))))




@pytest.fixture
def coded_study(study_dir: Path, corpus: Path) -> Path:
    """Two cases, four documents, two coders with decisions (memos, a rejection), ratings."""
    with Study(study_dir) as study:
        study.ingest([corpus])
        segs = study.segments()
        ids = list(segs["segment_id"])
        add_decisions(study, "alice", [
            (ids[0], "culture", "accepted", "clear case"),
            (ids[0], "adoption", "added", ""),
            (ids[1], "policy", "accepted", ""),
            (ids[2], "policy", "rejected", ""),
            (ids[3], None, "none", ""),
            (ids[-1], "implementation", "added", ""),
        ])
        add_decisions(study, "bob", [
            (ids[0], "culture", "accepted", ""),
            (ids[5], "adoption", "accepted", "board decision"),
        ])
        version = study.codebook().version
        with study.store.transaction() as conn:
            for case, code, rating in [("alpha", "culture", "+2"), ("beta", "culture", "-1"),
                                       ("alpha", "policy", "X"), ("beta", "policy", "0")]:
                conn.execute("INSERT INTO ratings(case_name, code_id, codebook_version, rating) VALUES (?,?,?,?)",
                             (case, code, version, rating))
    return study_dir
