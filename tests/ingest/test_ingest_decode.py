"""Decoding and normalising text files."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from ingest_checks import assert_blocks_valid
from pipeline.errors import IngestError
from pipeline.ingest.decode import CP1252_WARNING, decode_bytes, normalise_text
from pipeline.ingest.read import read_file

TEXT = "Café staff said the naïve plan “worked”."


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        # a BOM written by Windows Notepad ("UTF-8 with BOM")
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
        # Word's "Unicode" export: UTF-16 LE with BOM
        (TEXT.encode("utf-16"), "utf-16"),
        (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "utf-16"),
        # UTF-16 without a BOM is recognised by where its NUL bytes sit
        (TEXT.encode("utf-16-le"), "utf-16-le"),
        (TEXT.encode("utf-16-be"), "utf-16-be"),
        (TEXT.encode("utf-8"), "utf-8"),
    ],
)
def test_unicode_encodings_decode_exactly(data: bytes, encoding: str) -> None:
    decoded = decode_bytes(data, "x.txt")
    assert decoded.encoding == encoding
    assert decoded.text.lstrip("\ufeff") == TEXT
    assert decoded.warnings == ()


def test_cp1252_fallback_is_recorded_and_warned(tmp_path: Path) -> None:
    path = tmp_path / "old.txt"
    path.write_bytes(TEXT.encode("cp1252"))
    [doc] = read_file(path)
    assert doc.text == TEXT
    assert doc.encoding == "cp1252"
    assert doc.warnings == (CP1252_WARNING,)
    assert_blocks_valid(doc)


def test_bom_is_removed_from_the_stored_text(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes(codecs.BOM_UTF8 + b"First paragraph.\r\n\r\nSecond.\r\n")
    [doc] = read_file(path)
    assert doc.text == "First paragraph.\n\nSecond."
    assert doc.encoding == "utf-8-sig"
    assert_blocks_valid(doc)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a\r\nb\rc", "a\nb\nc"),  # Windows and old Mac line endings
        ("e\u0301te\u0301", "été"),  # decomposed accents become NFC
        ("line   \nnext\t\n", "line\nnext"),  # trailing blanks go
        ("\n\n  \nbody\n\n\n", "body"),  # leading/trailing blank lines go
        ("\ufeffbody", "body"),  # a BOM left by a decoder
        ("  indented\n\n\nkept", "  indented\n\n\nkept"),  # inner layout is kept
    ],
)
def test_normalise_text(raw: str, expected: str) -> None:
    assert normalise_text(raw) == expected


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "is empty"),
        (b"  \r\n\t\n", "is empty"),  # whitespace only
        (codecs.BOM_UTF8 + b"\n\n", "is empty"),  # only a BOM
        (b"\x00\x01\x02PK\x03\x04\x00\xff\xfe\x00\x00junk", "does not look like text"),
        (bytes(range(1, 9)) * 20 + b"some words", "does not look like text"),  # control chars
        (b"caf\xe9 \x81\x8d", "re-save it as UTF-8"),  # 0x81 is undefined even in cp1252
    ],
)
def test_bad_bytes_raise(data: bytes, message: str) -> None:
    with pytest.raises(IngestError, match=message) as info:
        decode_bytes(data, "notes.txt")
    assert info.value.path == "notes.txt"
