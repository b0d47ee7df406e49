"""REFI-QDA project export: schema-valid, exact offsets, users, cases, ratings, determinism."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from cli.main import cli
from pipeline.embed import FakeEmbedder
from pipeline.errors import StudyError
from pipeline.interchange.qdpx import export_project
from pipeline.study import Study

NS = {"p": "urn:QDA-XML:project:1.0"}
CONTAINERS = ("Users", "CodeBook", "Codes", "Variables", "Cases", "Sources", "Notes", "Links", "Sets", "Graphs")


def _export(study_dir: Path, out: Path, **options) -> tuple[etree._ElementTree, zipfile.ZipFile]:
    with Study(study_dir) as study:
        export_project(study.store, out, name="demo", **options)
    archive = zipfile.ZipFile(out)
    return etree.ElementTree(etree.fromstring(archive.read("project.qde"))), archive


def _xp(tree, path: str):
    return tree.xpath(path, namespaces=NS)


def test_export_is_valid_and_offsets_are_exact(coded_study: Path, tmp_path: Path, project_schema) -> None:
    tree, archive = _export(coded_study, tmp_path / "p.qdpx")
    assert project_schema.validate(tree), project_schema.error_log
    names = archive.namelist()
    assert names[0] == "project.qde" and all(n == "project.qde" or n.startswith("sources/") for n in names)
    with Study(coded_study) as study:
        docs = study.store.query("SELECT source_key, text FROM current_documents")
        texts = {r["source_key"]: r["text"] for r in docs}
        segments = {(r["source_key"], r["start"], r["end"]): r["text"] for r in study.segments().to_dict("records")}
    sources = _xp(tree, "//p:TextSource")
    assert len(sources) == len(texts) == len(names) - 1
    for source in sources:
        raw = archive.read("sources/" + source.get("plainTextPath").removeprefix("internal://"))
        assert not raw.startswith(b"\xef\xbb\xbf") and b"\r" not in raw
        text = raw.decode("utf-8")
        assert text == texts[source.get("name")]
        for sel in source.findall("p:PlainTextSelection", NS):
            start, end = int(sel.get("startPosition")), int(sel.get("endPosition"))
            assert text[start:end] == segments[(source.get("name"), start, end)]


def test_codings_users_and_memos(coded_study: Path, tmp_path: Path) -> None:
    tree, _ = _export(coded_study, tmp_path / "p.qdpx")
    users = {u.get("guid"): u.get("name") for u in _xp(tree, "//p:User")}
    assert sorted(users.values()) == ["alice", "bob"]
    codes = {c.get("guid"): c.get("name") for c in _xp(tree, "//p:Code")}
    codings = sorted((users[c.get("creatingUser")], codes[c.find("p:CodeRef", NS).get("targetGUID")])
                     for c in _xp(tree, "//p:Coding"))
    # accepted and added only: alice's rejection and 'no code applies' are not codings
    assert codings == [("alice", "Adoption"), ("alice", "Culture"), ("alice", "Implementation"), ("alice", "Policy"),
                       ("bob", "Adoption"), ("bob", "Culture")]
    shared = [s for s in _xp(tree, "//p:PlainTextSelection") if len(s.findall("p:Coding", NS)) == 3]
    assert len(shared) == 1  # one selection per segment, one Coding per coder and code
    assert shared[0].get("creatingUser") is None  # two coders: no single creator
    assert shared[0].findtext("p:Description", namespaces=NS) == "alice: clear case"


def test_cases_variables_and_ratings(coded_study: Path, tmp_path: Path) -> None:
    tree, _ = _export(coded_study, tmp_path / "p.qdpx")
    variables = {v.get("guid"): (v.get("name"), v.get("typeOfVariable")) for v in _xp(tree, "//p:Variable")}
    assert sorted(variables.values()) == [("country", "Text"), ("rating:culture", "Integer"),
                                          ("rating:policy", "Integer"), ("rating_mixed:policy", "Boolean")]
    values = {}
    for case in _xp(tree, "//p:Case"):
        for value in case.findall("p:VariableValue", NS):
            name = variables[value.find("p:VariableRef", NS).get("targetGUID")][0]
            values[(case.get("name"), name)] = value[1].text
        assert len(case.findall("p:SourceRef", NS)) == 2
    assert values == {("alpha", "country"): "UK", ("beta", "country"): "Norway",
                      ("alpha", "rating:culture"): "2", ("beta", "rating:culture"): "-1",
                      ("alpha", "rating_mixed:policy"): "true", ("beta", "rating:policy"): "0"}


def test_coders_filter_and_model_users(coded_study: Path, tmp_path: Path, project_schema) -> None:
    with Study(coded_study) as study:
        study.suggest(embedder=FakeEmbedder())
        shown = study.store.query("SELECT COUNT(*) FROM suggestions WHERE suggested = 1 AND code_id IS NOT NULL")[0][0]
    tree, _ = _export(coded_study, tmp_path / "p.qdpx", coders=["bob"], include_model=True)
    assert project_schema.validate(tree), project_schema.error_log
    users = {u.get("guid"): u.get("name") for u in _xp(tree, "//p:User")}
    assert users.values().__len__() == 2 and "bob" in users.values()
    model = next(g for g, n in users.items() if n.startswith("model: fake-v1"))
    model_codings = 0
    for sel in _xp(tree, "//p:PlainTextSelection"):
        creators = {c.get("creatingUser") for c in sel.findall("p:Coding", NS)}
        assert len(creators) == 1  # model and human codings never share a selection
        model_codings += len(sel.findall("p:Coding", NS)) if creators == {model} else 0
    assert model_codings == shown > 0


def test_same_study_exports_byte_identical(coded_study: Path, tmp_path: Path) -> None:
    _export(coded_study, tmp_path / "a.qdpx")
    _export(coded_study, tmp_path / "b.qdpx")
    assert (tmp_path / "a.qdpx").read_bytes() == (tmp_path / "b.qdpx").read_bytes()


def test_no_empty_containers(study_dir: Path, corpus: Path, tmp_path: Path, project_schema) -> None:
    """A study without coders, ratings or case attributes: those containers are left out."""
    with Study(study_dir) as study:
        study.ingest([corpus / "alpha"], case="solo")
    tree, _ = _export(study_dir, tmp_path / "p.qdpx")
    assert project_schema.validate(tree), project_schema.error_log
    assert not _xp(tree, "//p:Users") and not _xp(tree, "//p:Variables")
    for element in tree.iter():
        if etree.QName(element).localname in CONTAINERS:
            assert len(element), f"empty <{etree.QName(element).localname}>"


def test_nothing_to_export(study_dir: Path, tmp_path: Path) -> None:
    with Study(study_dir) as study, pytest.raises(StudyError, match="no documents"):
        export_project(study.store, tmp_path / "p.qdpx", name="x")
    assert not (tmp_path / "p.qdpx").exists()


def test_cli_export(coded_study: Path, tmp_path: Path) -> None:
    out = tmp_path / "cli.qdpx"
    result = CliRunner().invoke(cli, ["export", str(coded_study), "--format", "qdpx", "--out", str(out),
                                      "--coders", "alice,bob"])
    assert result.exit_code == 0, result.output
    assert "6 human codings" in result.output and "users: alice, bob" in result.output
    assert zipfile.is_zipfile(out)
