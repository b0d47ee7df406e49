"""REFI-QDA codebooks (.qdc): description parsing, import, deterministic export, CLI."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from cli.main import cli
from pipeline.codebook import Code, Codebook, load_codebook
from pipeline.interchange.codebooks import export_codebook, import_codebook
from pipeline.interchange.guids import GuidBook, guid
from pipeline.interchange.qdc import (DescriptionParts, codebook_to_qdc, format_description, parse_description,
                                      read_qdc, slug)
from pipeline.interchange.xmlutil import ExchangeError
from pipeline.study import Study
from refi_helpers import refi_file


@pytest.mark.parametrize("text, expected", [
    ("Plain words about culture.", DescriptionParts(definition="Plain words about culture.")),
    ("", DescriptionParts()),
    ("Definition: Shared values.\nInclusion: how things are done\nExclusion: formal rules\nExamples:\n- We help.\n* Nobody asks.",
     DescriptionParts("Shared values.", "how things are done", "formal rules", ("We help.", "Nobody asks."))),
    ("Shared values.\n\nInclusion criteria: talk of norms\nExample(s): one | two",
     DescriptionParts("Shared values.", "talk of norms", "", ("one", "two"))),
    ("## When to use\nnorms\n## When not to use\nrules\n**Example:** 1. first",
     DescriptionParts("", "norms", "rules", ("first",))),
    ("Description: spans\ntwo lines\nID: my.code", DescriptionParts(definition="spans two lines", id="my.code")),
    ("The inclusion of staff: everyone.", DescriptionParts(definition="The inclusion of staff: everyone.")),
])
def test_parse_description(text: str, expected: DescriptionParts) -> None:
    assert parse_description(text) == expected


@pytest.mark.parametrize("code", [
    Code("culture", "Culture", definition="Shared values."),
    Code("culture", "Culture", definition="Shared values.", inclusion="norms", exclusion="rules", examples=("a", "b c")),
    Code("c1", "Culture", definition="Shared values.", examples=("only an example",)),
    Code("grp", "Group", codable=False),
])
def test_format_then_parse_round_trips(code: Code) -> None:
    parts = parse_description(format_description(code))
    assert (parts.definition, parts.inclusion, parts.exclusion, parts.examples) == \
        (code.definition, code.inclusion, code.exclusion, code.examples)
    assert parts.id == ("" if slug(code.label) == code.id else code.id)


def test_a_name_standing_in_as_definition_is_not_exported() -> None:
    assert format_description(Code("access", "Access", definition="Access")) == ""
    assert format_description(Code("access", "Access", definition="Access", inclusion="doors")) == \
        "Definition: Access\nInclusion: doors"


def _qdc(tmp_path: Path, body: str, name: str = "book.qdc") -> Path:
    path = tmp_path / name
    path.write_text(f'<?xml version="1.0" encoding="utf-8"?>\n<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="x">'
                    f'<Codes>{body}</Codes></CodeBook>', encoding="utf-8")
    return path


G = [f"00000000-0000-0000-0000-{i:012d}" for i in range(10)]


def test_import_hierarchy_codable_and_descriptions(tmp_path: Path) -> None:
    path = _qdc(tmp_path, f"""
      <Code guid="{G[1]}" name="Inner Setting" isCodable="false"><Description>Where it happens.</Description>
        <Code guid="{G[2]}" name="Culture" isCodable="true">
          <Description>Definition: Shared values.&#10;Exclusion: rules&#10;Examples:&#10;- We help.</Description>
          <Code guid="{G[3]}" name="Sub culture" isCodable="true"><Description>Smaller.</Description></Code>
        </Code>
        <Code guid="{G[4]}" name="Culture" isCodable="1"/>
      </Code>
      <Code guid="{G[5]}" name="Culture" isCodable="true"><Description>Top-level namesake.</Description></Code>""")
    result = read_qdc(path)
    book = result.codebook
    assert [(c.id, c.parent, c.codable) for c in book.codes] == [
        ("inner_setting", None, False), ("culture", "inner_setting", True), ("sub_culture", "culture", True),
        ("inner_setting.culture", "inner_setting", True), ("culture_2", None, True)]
    culture = book.get("culture")
    assert (culture.definition, culture.exclusion, culture.examples) == ("Shared values.", "rules", ("We help.",))
    assert book.get("inner_setting.culture").definition == "Culture"  # no description: the name stands in
    assert any("no description" in w for w in result.warnings)
    assert result.guids["sub_culture"] == G[3]


def test_export_validates_and_is_byte_identical(study_dir: Path, tmp_path: Path, codebook_schema) -> None:
    with Study(study_dir) as study:
        _, first = export_codebook(study, tmp_path / "a.qdc")
        _, second = export_codebook(study, tmp_path / "b.qdc")
        book = study.codebook()
    assert first.read_bytes() == second.read_bytes()
    tree = etree.parse(str(first))
    assert codebook_schema.validate(tree), codebook_schema.error_log
    ns = {"c": "urn:QDA-XML:codebook:1.0"}
    assert tree.xpath("count(//c:Code)", namespaces=ns) == len(book.codes)
    culture = tree.xpath("//c:Code[@name='Setting']/c:Code[@name='Culture']", namespaces=ns)[0]
    assert culture.get("guid") == guid("code", "culture")
    assert not first.read_bytes().startswith(b"\xef\xbb\xbf") and b"\r" not in first.read_bytes()


def test_export_import_reproduces_the_codebook(study_dir: Path, tmp_path: Path) -> None:
    with Study(study_dir) as study:
        original = study.codebook()
        _, path = export_codebook(study, tmp_path / "mini.qdc")
    back = read_qdc(path).codebook
    strip = lambda b: [(c.id, c.parent, c.label, c.definition, c.inclusion, c.exclusion, c.examples, c.codable)
                       for c in b.codes]  # noqa: E731
    assert strip(back) == strip(original)


def test_ids_that_are_not_the_label_slug_survive(tmp_path: Path) -> None:
    book = Codebook("b", (Code("IS.1", "Inner setting", definition="d"), Code("x", "Child", parent="IS.1", definition="e")))
    path = tmp_path / "b.qdc"
    path.write_bytes(codebook_to_qdc(book, GuidBook()))
    assert [(c.id, c.parent) for c in read_qdc(path).codebook.codes] == [("IS.1", None), ("x", "IS.1")]


@pytest.mark.parametrize("content, message", [
    (b"not xml at all", "not well-formed XML"),
    (b'<Project xmlns="urn:QDA-XML:project:1.0" name="p"/>', "not <CodeBook>"),
    (b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes/></CodeBook>', "the codebook is empty"),
    (b'<CodeBook><Codes><Code guid="%s" name="a" isCodable="true"/></Codes></CodeBook>' % G[1].encode(), "namespace none"),
    (('<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code guid="%s" name="a" isCodable="true"/>'
      '<Code guid="%s" name="b" isCodable="true"/></Codes></CodeBook>' % (G[1], G[1].upper())).encode(), "duplicate GUID"),
    (b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code guid="%s" name="" isCodable="true"/></Codes></CodeBook>'
     % G[1].encode(), "without a name"),
])
def test_bad_qdc_files(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.qdc"
    path.write_bytes(content)
    with pytest.raises(ExchangeError, match=message) as info:
        read_qdc(path)
    assert str(path) in str(info.value)


def test_real_project_codebook_as_qdc(tmp_path: Path, codebook_schema) -> None:
    """The NVivo export's codebook, re-wrapped as a .qdc: 262 codes, names repeated under other parents."""
    with zipfile.ZipFile(refi_file("nvivo15-mac-export.qdpx")) as archive:
        project = etree.fromstring(archive.read("project.qde"))
    codes = project.find("{urn:QDA-XML:project:1.0}CodeBook/{urn:QDA-XML:project:1.0}Codes")
    expected = len(codes.findall(".//{urn:QDA-XML:project:1.0}Code"))
    book = etree.Element("{urn:QDA-XML:codebook:1.0}CodeBook", nsmap={None: "urn:QDA-XML:codebook:1.0"})
    book.append(etree.fromstring(etree.tostring(codes).replace(b"urn:QDA-XML:project:1.0", b"urn:QDA-XML:codebook:1.0")))
    path = tmp_path / "nvivo.qdc"
    path.write_bytes(etree.tostring(book))
    assert codebook_schema.validate(etree.parse(str(path)))
    result = import_codebook(path, out=tmp_path / "nvivo.yaml")
    assert len(result.codebook.codes) == expected == 262
    assert len(load_codebook(tmp_path / "nvivo.yaml").codes) == expected


def test_cli_import_to_yaml_and_study_then_export(study_dir: Path, tmp_path: Path) -> None:
    path = _qdc(tmp_path, f'<Code guid="{G[1]}" name="Access" isCodable="true"><Description>Definition: Getting in.'
                          f'&#10;Inclusion: doors</Description></Code>')
    runner = CliRunner()
    result = runner.invoke(cli, ["codebook", "import", str(path), "--out", str(tmp_path / "out.yaml"),
                                 "--study", str(study_dir)])
    assert result.exit_code == 0, result.output
    assert load_codebook(tmp_path / "out.yaml").get("access").inclusion == "doors"
    with Study(study_dir) as study:
        assert [c.id for c in study.codebook().codes] == ["access"]
    # the imported GUID is remembered: exporting the study's codebook keeps it
    result = runner.invoke(cli, ["codebook", "export", str(study_dir), "--out", str(tmp_path / "back.qdc")])
    assert result.exit_code == 0, result.output
    assert f'guid="{G[1]}"' in (tmp_path / "back.qdc").read_text(encoding="utf-8")
    # neither --out nor --study: a usage error, nothing written
    result = runner.invoke(cli, ["codebook", "import", str(path)])
    assert result.exit_code == 2 and "--out" in result.output
