"""Bytes to normalised text: encoding detection, Unicode NFC, LF line endings.

Encodings are tried in a fixed order, never guessed statistically, so the same file
always decodes the same way: a UTF-8 or UTF-16 byte-order mark wins; then UTF-16 without
a mark (recognised by its NUL bytes); then strict UTF-8; then cp1252, the usual encoding
of text saved by older Windows programs, with a warning because it can be wrong.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import IngestError

__all__ = [
    "CP1252_WARNING",
    "DecodedText",
    "decode_bytes",
    "normalise_text",
    "read_decoded",
    "read_text",
]

CP1252_WARNING = "decoded as cp1252 (not valid UTF-8): check special characters"

# Control characters other than tab, LF, VT, FF and CR: rare in real text.
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f]")
# Above this share of other control characters a file is treated as binary.
_MAX_CONTROL_SHARE = 0.01
_TRAILING_SPACE = re.compile(r"[^\S\n]+$", re.MULTILINE)


@dataclass(frozen=True)
class DecodedText:
    """Decoded text, the encoding that was used and any warnings about it."""

    text: str
    encoding: str
    warnings: tuple[str, ...] = ()


def decode_bytes(data: bytes, path: Path | str) -> DecodedText:
    """Decode ``data`` (see the module docstring for the order); no normalisation.

    Raises IngestError for empty input, binary data and bytes that no supported
    encoding can decode.
    """
    if not data.strip():
        raise IngestError(path, "is empty: there is no text to ingest")
    if data.startswith(codecs.BOM_UTF8):
        return _decode_checked(data, "utf-8-sig", path)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode_checked(data, "utf-16", path)
    if b"\x00" in data:
        encoding = _bomless_utf16(data)
        if encoding is None:
            raise _binary_error(path)
        return _decode_checked(data, encoding, path)
    try:
        return _checked(data.decode("utf-8"), "utf-8", path)
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise IngestError(
            path,
            f"cannot be decoded (byte 0x{data[exc.start]:02x} at offset {exc.start} is "
            "neither UTF-8 nor cp1252): open it in an editor and re-save it as UTF-8",
        ) from exc
    return _checked(text, "cp1252", path, (CP1252_WARNING,))


def normalise_text(text: str) -> str:
    """NFC, LF line endings, no BOM, no trailing spaces, no leading/trailing blank lines."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = text.lstrip("\ufeff")
    text = _TRAILING_SPACE.sub("", text)
    return text.strip("\n")


def read_decoded(path: Path) -> DecodedText:
    """Read and decode a file without normalising it (line numbers stay as in the file)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(path, f"cannot be read ({exc.strerror or exc})") from exc
    return decode_bytes(data, path)


def read_text(path: Path) -> DecodedText:
    """Read a text file and return its decoded, normalised content."""
    decoded = read_decoded(path)
    text = normalise_text(decoded.text)
    if not text.strip():
        raise IngestError(path, "is empty: there is no text to ingest")
    return DecodedText(text, decoded.encoding, decoded.warnings)


def _decode_checked(data: bytes, encoding: str, path: Path | str) -> DecodedText:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise IngestError(
            path,
            f"looks like {encoding.upper()} but cannot be decoded as such "
            f"(offset {exc.start}): open it in an editor and re-save it as UTF-8",
        ) from exc
    return _checked(text, encoding, path)


def _checked(
    text: str, encoding: str, path: Path | str, warnings: tuple[str, ...] = ()
) -> DecodedText:
    """Reject decoded text that is really binary data, or that is only whitespace."""
    if not text.lstrip("\ufeff").strip():
        raise IngestError(path, "is empty: there is no text to ingest")
    controls = len(_CONTROLS.findall(text))
    if "\x00" in text or controls > _MAX_CONTROL_SHARE * len(text):
        raise _binary_error(path)
    return DecodedText(text, encoding, warnings)


def _bomless_utf16(data: bytes) -> str | None:
    """Return "utf-16-le"/"utf-16-be" if the NUL bytes sit where UTF-16 puts them.

    Text in Latin script saved as UTF-16 has a NUL in (nearly) every other byte; binary
    data has NULs scattered anywhere.
    """
    if len(data) % 2:
        return None
    pairs = len(data) // 2
    even_nuls = data[0::2].count(0)
    odd_nuls = data[1::2].count(0)
    if odd_nuls >= 0.6 * pairs and even_nuls == 0:
        return "utf-16-le"
    if even_nuls >= 0.6 * pairs and odd_nuls == 0:
        return "utf-16-be"
    return None


def _binary_error(path: Path | str) -> IngestError:
    return IngestError(
        path,
        "does not look like text (it contains NUL bytes or control characters): "
        "check that it is a plain-text file, or convert it to UTF-8 text first",
    )
