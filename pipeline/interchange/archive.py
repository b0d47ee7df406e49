"""Opening a zip from outside (a .qdpx) safely: limits checked on its directory before any
member is read, the file hashed in blocks, and a damaged member turned into ExchangeError.

zipfile never returns more than a member's declared size (and checks its CRC), so the
sizes in the directory bound what reading can cost; the limits are checked on them.
"""

from __future__ import annotations

import hashlib
import zipfile
import zlib
from pathlib import Path

from pipeline.config import InterchangeSettings
from pipeline.interchange.xmlutil import ExchangeError

__all__ = ["MB", "check_zip_limits", "file_sha256", "read_member"]

MB = 1 << 20
_LIMIT_HINT = ("refused before reading it; if you trust the file, raise interchange.{key} in the study's "
               "deductive.toml")


def check_zip_limits(path: Path, members: list[zipfile.ZipInfo], limits: InterchangeSettings) -> None:
    """Refuse a zip whose directory promises too many files, too many bytes or a bomb's ratio."""
    if len(members) > limits.max_members:
        raise ExchangeError(path, f"the zip holds {len(members)} files, more than the limit of {limits.max_members}; "
                                  + _LIMIT_HINT.format(key="max_members"))
    total = sum(m.file_size for m in members)
    if total > limits.max_unpacked_mb * MB:
        raise ExchangeError(path, f"the zip unpacks to {total / MB:,.0f} MB, more than the limit of "
                                  f"{limits.max_unpacked_mb:,} MB; " + _LIMIT_HINT.format(key="max_unpacked_mb"))
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size >= MB and ratio > limits.max_ratio:
            raise ExchangeError(path, f"member {member.filename!r} unpacks {ratio:,.0f} times its packed size "
                                      f"({member.compress_size:,} to {member.file_size:,} bytes), more than the limit "
                                      f"of {limits.max_ratio} (a zip bomb?); " + _LIMIT_HINT.format(key="max_ratio"))


def file_sha256(path: Path) -> str:
    """The file's hash, read in blocks (the same value as ``sha256(path.read_bytes())``)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(MB), b""):
            digest.update(block)
    return digest.hexdigest()


def read_member(archive: zipfile.ZipFile, name: str, path: object) -> bytes:
    """A member's bytes (never more than its declared size), or ExchangeError."""
    try:
        return archive.read(name)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        raise ExchangeError(path, f"cannot unpack {name} ({exc}); the file is damaged or encrypted: "
                                  "export the project again") from exc
