"""REFI-QDA project import: real exports, round trip, overlap rule, bad input, atomicity."""

from __future__ import annotations

import zipfile
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from cli.main import cli
from pipeline.interchange import qdpx_import
from pipeline.interchange.qdpx import export_project
from pipeline.interchange.qdpx_import import import_project, segments_for_selection
from pipeline.interchange.xmlutil import ExchangeError
from pipeline.study import Study
from refi_helpers import human_codings, refi_file, store_counts

P = "{urn:QDA-XML:project:1.0}"


def _xml_counts(path: Path) -> dict:
    """What the package holds, counted straight from its XML."""
    with zipfile.ZipFile(path) as archive:
        root = etree.fromstring(archive.read("project.qde"))
    users = {u.get("guid"): u.get("name") for u in root.iter(f"{P}User")}
    codes = {c.get("guid"): c.get("name") for c in root.iter(f"{P}Code")}
    pairs = Counter()
    for coding in root.iter(f"{P}Coding"):
        pairs[(users[coding.get("creatingUser")], coding.find(f"{P}CodeRef").get("targetGUID"))] += 1
    return {"sources": len(list(root.iter(f"{P}TextSource"))), "codes": codes, "users": users,
            "codings": sum(pairs.values()), "pairs": pairs}


@pytest.mark.parametrize("name", ["nvivo15-mac-export.qdpx", "qc-demo-export.qdpx"])
def test_real_exports_import_completely(name: str, tmp_path: Path) -> None:
    path = refi_file(name)
    expected = _xml_counts(path)
    with Study.create(tmp_path / "s") as study:
        report = import_project(study.store, path, study.settings.segment)
        assert report.sources == expected["sources"] == len(study.documents())
        book = study.codebook()
        assert report.codes == len(expected["codes"]) == len(book.codes) == 262
        assert sorted(report.users) == sorted(expected["users"].values())
        assert report.codings == expected["codings"]
        assert report.codings_mapped + len(report.unmapped) == report.codings
        # every (user, code) pair of the file is a current decision of that user on that code
        guid_to_id = _code_ids(study, expected["codes"])
        decided = {(r["coder"], r["code_id"]) for r in study.store.query(
            "SELECT coder, code_id FROM current_decisions WHERE verdict = 'added'")}
        assert decided == {(user, guid_to_id[g]) for user, g in expected["pairs"]}
        assert study.store.query("SELECT kind FROM imports")[0][0] == "qdpx"
    if expected["codings"]:
        assert report.unmapped == () and report.decisions >= report.codings_mapped


def _code_ids(study: Study, codes: dict[str, str]) -> dict[str, str]:
    """GUID -> code id through the GUIDs the import remembered."""
    rows = study.store.query("SELECT key, value FROM meta WHERE key LIKE 'refi.guid.code|%'")
    by_guid = {r["value"]: r["key"].split("|", 1)[1] for r in rows}
    assert set(by_guid) == set(codes)
    return by_guid


def test_round_trip_reproduces_codings(coded_study: Path, tmp_path: Path, project_schema) -> None:
    with Study(coded_study) as study:
        export_project(study.store, tmp_path / "p.qdpx", name="demo")
        original = human_codings(study)
        cases = study.cases().to_dict("records")
        ratings = {tuple(r) for r in study.store.query("SELECT case_name, code_id, rating FROM current_ratings")}
    with Study.create(tmp_path / "copy") as copy:
        report = import_project(copy.store, tmp_path / "p.qdpx", copy.settings.segment)
        assert report.unmapped == ()
        assert human_codings(copy) == original
        assert copy.cases().to_dict("records") == cases
        assert {tuple(r) for r in copy.store.query("SELECT case_name, code_id, rating FROM current_ratings")} == ratings
        assert report.ratings == len(ratings) == 4
        memos = {r[0] for r in copy.store.query("SELECT memo FROM decisions WHERE memo != ''")}
        assert memos == {"alice: clear case", "bob: board decision"}
        # export again: the same GUIDs come back out (remembered or deterministic)
        export_project(copy.store, tmp_path / "again.qdpx", name="demo")
    first, again = (etree.fromstring(zipfile.ZipFile(tmp_path / f).read("project.qde")) for f in ("p.qdpx", "again.qdpx"))
    guids = lambda root: sorted(e.get("guid") for e in root.iter(f"{P}TextSource", f"{P}User", f"{P}Code"))  # noqa: E731
    assert guids(first) == guids(again)


def test_import_into_study_with_codebook_joins_codes(coded_study: Path, tmp_path: Path) -> None:
    with Study(coded_study) as study:
        export_project(study.store, tmp_path / "p.qdpx", name="demo")
        before = study.codebook()
    with Study.create(tmp_path / "other", codebook=Path(before.source)) as other:
        report = import_project(other.store, tmp_path / "p.qdpx", other.settings.segment)
        assert report.codes_added == ()
        assert other.codebook().version == before.version


def test_new_codes_extend_the_codebook(study_dir: Path, tmp_path: Path) -> None:
    path = _package(tmp_path, codes='<Code guid="{g1}" name="Culture" isCodable="true"/>'
                                     '<Code guid="{g2}" name="Brand new" isCodable="true"/>')
    with Study(study_dir) as study:
        old = study.codebook()
        report = import_project(study.store, path)
        new = study.codebook()
    assert report.codes_added == ("brand_new",)
    assert [c.id for c in new.codes] == [c.id for c in old.codes] + ["brand_new"]
    assert new.version != old.version and report.codebook_version == new.version


@pytest.mark.parametrize("start, end, expected", [
    (0, 10, ["a"]),          # whole segment
    (5, 25, ["a", "b"]),     # half of a, all of b
    (6, 20, ["b"]),          # less than half of a
    (12, 14, ["b"]),         # tiny selection inside b: the segment it overlaps most
    (10, 11, []),            # only the gap between segments
    (0, 40, ["a", "b", "c"]),
])
def test_overlap_rule(start: int, end: int, expected: list[str]) -> None:
    segments = [("a", 0, 10), ("b", 11, 20), ("c", 20, 40)]
    assert segments_for_selection(start, end, segments) == expected


G = [f"00000000-0000-0000-0000-{i:012d}" for i in range(20)]


def _package(tmp_path: Path, *, codes: str = '<Code guid="{g1}" name="Culture" isCodable="true"/>',
             selections: str = '<PlainTextSelection guid="{g5}" startPosition="0" endPosition="24">'
                               '<Coding guid="{g6}" creatingUser="{g0}"><CodeRef targetGUID="{g1}"/></Coding>'
                               '</PlainTextSelection>',
             text: bytes = b"We always help each other out here.\n\nThe board agreed to buy it.\n",
             files: dict[str, bytes] | None = None, qde: str | None = None, name: str = "p.qdpx") -> Path:
    fill = {f"g{i}": g for i, g in enumerate(G)}
    body = qde or (
        '<Project xmlns="urn:QDA-XML:project:1.0" name="t"><Users><User guid="{g0}" name="carol"/></Users>'
        f'<CodeBook><Codes>{codes}</Codes></CodeBook>'
        '<Sources><TextSource guid="{g3}" name="doc.txt" plainTextPath="internal://{g3}.txt">'
        f'{selections}</TextSource></Sources></Project>')
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("project.qde", body.format(**fill))
        for member, data in (files if files is not None else {f"sources/{G[3]}.txt": text}).items():
            archive.writestr(member, data)
    return path


def test_crlf_sources_keep_their_selections(study_dir: Path, tmp_path: Path) -> None:
    raw = b"First line here.\r\n\r\nThe board agreed to buy it.\r\n"
    start = raw.decode().index("The board")  # offsets count the CRs of the raw text
    path = _package(tmp_path, text=raw, selections=(
        f'<PlainTextSelection guid="{{g5}}" startPosition="{start}" endPosition="{start + 27}">'
        '<Coding guid="{g6}" creatingUser="{g0}"><CodeRef targetGUID="{g1}"/></Coding></PlainTextSelection>'))
    with Study(study_dir) as study:
        import_project(study.store, path, study.settings.segment)
        text = study.store.query("SELECT text FROM current_documents")[0][0]
        assert "\r" not in text
        assert {c[2:] for c in human_codings(study)} == {(text.index("The board"), len(text.rstrip()), "culture")}


@pytest.mark.parametrize("make, message", [
    (lambda t: _not_zip(t), "not a zip archive"),
    (lambda t: _zip_without_qde(t), "no project.qde"),
    (lambda t: _package(t, files={}), "is missing from the zip"),
    (lambda t: _package(t, selections='<PlainTextSelection guid="{g5}" startPosition="10" endPosition="999">'
                                      '<Coding guid="{g6}"><CodeRef targetGUID="{g1}"/></Coding></PlainTextSelection>'),
     "spans 10-999, outside the text of 65 characters"),
    (lambda t: _package(t, selections='<PlainTextSelection guid="{g1}" startPosition="0" endPosition="5"/>'),
     "duplicate GUID 00000000-0000-0000-0000-000000000001"),
    (lambda t: _package(t, selections='<PlainTextSelection guid="{g5}" startPosition="0" endPosition="5">'
                                      '<Coding guid="{g6}"><CodeRef targetGUID="{g9}"/></Coding></PlainTextSelection>'),
     "refers to code 00000000-0000-0000-0000-000000000009, which is not in the CodeBook"),
    (lambda t: _package(t, qde="<Project"), "not well-formed XML"),
    (lambda t: _package(t, text=b"\xff\xfe bad bytes"), "is not UTF-8 text"),
])
def test_bad_packages_change_nothing(study_dir: Path, tmp_path: Path, make, message: str) -> None:
    path = make(tmp_path)
    before = store_counts(study_dir)
    with Study(study_dir) as study, pytest.raises(ExchangeError, match=message) as info:
        import_project(study.store, path)
    assert str(path) in str(info.value)
    assert store_counts(study_dir) == before


def _not_zip(tmp_path: Path) -> Path:
    path = tmp_path / "x.qdpx"
    path.write_bytes(b"plain text, no zip")
    return path


def _zip_without_qde(tmp_path: Path) -> Path:
    path = tmp_path / "noqde.qdpx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("sources/a.txt", "text")
    return path


def test_failure_midway_rolls_everything_back(study_dir: Path, tmp_path: Path, monkeypatch) -> None:
    path = _package(tmp_path)
    before = store_counts(study_dir)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(qdpx_import, "write_all", broken)
    with Study(study_dir) as study, pytest.raises(RuntimeError):
        import_project(study.store, path)
    assert store_counts(study_dir) == before


def test_same_file_twice_is_refused(study_dir: Path, tmp_path: Path) -> None:
    path = _package(tmp_path)
    with Study(study_dir) as study:
        first = import_project(study.store, path)
        assert (first.codings, first.decisions) == (1, 1)
        before = store_counts(study_dir)
        with pytest.raises(ExchangeError, match="already imported"):
            import_project(study.store, path)
    assert store_counts(study_dir) == before


def test_cli_import(study_dir: Path, tmp_path: Path) -> None:
    path = _package(tmp_path)
    result = CliRunner().invoke(cli, ["import", str(study_dir), str(path)])
    assert result.exit_code == 0, result.output
    assert "codings: 1 in the file, 1 mapped to segments, 1 decisions written; users: carol" in result.output
    result = CliRunner().invoke(cli, ["import", str(study_dir), str(path)])
    assert result.exit_code == 1 and "already imported" in result.output
