from pathlib import Path

import pytest

from pipeline.codebook import load_codebook, write_codebook_yaml
from pipeline.errors import CodebookError

ROOT = Path(__file__).resolve().parents[1]


def test_yaml_codebook_loads_with_hierarchy(mini_codebook: Path) -> None:
    book = load_codebook(mini_codebook)
    assert [c.id for c in book.codable] == ["culture", "policy", "adoption", "implementation"]
    assert book.get("culture").examples == ("We always help each other out.", "Nobody questions the consultant here.")
    assert [a.id for a in book.ancestors("culture")] == ["setting"]
    assert book.exclusive_groups() == {"phase": ("adoption", "implementation")}


def test_version_is_content_hash_and_format_independent(tmp_path: Path, mini_codebook: Path) -> None:
    book = load_codebook(mini_codebook)
    rows = ["id,parent,label,definition,inclusion,exclusion,examples,codable,exclusive"]
    for c in book.codes:
        examples = " | ".join(c.examples)
        rows.append(f'{c.id},{c.parent or ""},{c.label},"{c.definition}","{c.inclusion}","{c.exclusion}","{examples}",{c.codable},{c.exclusive}')
    csv = tmp_path / "mini.csv"
    csv.write_text("\n".join(rows), encoding="utf-8")
    assert load_codebook(csv).version == book.version
    xlsx = tmp_path / "mini.xlsx"
    import pandas as pd

    pd.read_csv(csv, dtype=str, keep_default_na=False).to_excel(xlsx, index=False)
    assert load_codebook(xlsx).version == book.version
    changed = mini_codebook.read_text().replace("Shared values", "Shared beliefs")
    (tmp_path / "changed.yaml").write_text(changed)
    assert load_codebook(tmp_path / "changed.yaml").version != book.version


def test_yaml_round_trip(tmp_path: Path, mini_codebook: Path) -> None:
    book = load_codebook(mini_codebook)
    write_codebook_yaml(book, tmp_path / "copy.yaml")
    assert load_codebook(tmp_path / "copy.yaml").version == book.version


@pytest.mark.parametrize(
    "content, expected",
    [
        # two codes share an id: the second is named with its position
        ("codes:\n - {id: a, definition: x}\n - {id: a, definition: y}\n", "codes[1] (id 'a'): duplicate id 'a'"),
        # a parent that is not defined anywhere
        ("codes:\n - {id: a, parent: nope, definition: x}\n", "unknown parent 'nope'"),
        # a -> b -> a
        ("codes:\n - {id: a, parent: b, definition: x}\n - {id: b, parent: a, definition: y}\n", "parent cycle"),
        # codable codes need a definition; groups do not
        ("codes:\n - {id: g, codable: false}\n - {id: a, parent: g}\n", "codable code 'a' has no definition"),
        # an empty file
        ("", "the file is empty"),
        # a typo in a field name would silently lose data
        ("codes:\n - {id: a, definition: x, exmples: [q]}\n", "unknown field(s) exmples"),
    ],
)
def test_invalid_yaml_codebooks_name_the_problem(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CodebookError) as info:
        load_codebook(path)
    assert expected in str(info.value)
    assert str(path) in str(info.value)


def test_csv_errors_name_the_row(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("id,label,definition\na,A,def\nb,B,\na,A2,def\n", encoding="utf-8")
    with pytest.raises(CodebookError) as info:
        load_codebook(path)
    message = str(info.value)
    assert "row 3 (id 'b'): codable code 'b' has no definition" in message
    assert "row 4 (id 'a'): duplicate id 'a'" in message


@pytest.mark.parametrize("name", ["cfir2.yaml", "diffusion.yaml", "assimilation_modes.yaml", "phases.yaml", "demo_study.yaml"])
def test_shipped_codebooks_are_valid_and_complete(name: str) -> None:
    book = load_codebook(ROOT / "codebook" / name)  # a shipped codebook that went missing fails here
    for code in book.codable:
        assert code.definition and code.inclusion and code.exclusion, code.id
        assert len(code.examples) >= 2, code.id


def test_cfir_has_the_published_structure() -> None:
    book = load_codebook(ROOT / "codebook" / "cfir2.yaml")
    domains = book.children(None)
    assert len(domains) == 5
    assert not any(d.codable for d in domains)
