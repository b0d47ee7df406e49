"""Files from other tools are data: bounded, never resolved, never extracted (issue 16, points 3 and 5).

- .qdpx limits: a zip bomb, too many members or too many bytes are refused before
  anything is read, with the file and the setting named; real exports pass the defaults;
- memory: reading a legitimately large project stays linear and small (tracemalloc);
- no XXE: an external entity naming a local file (or a loopback URL) is never resolved;
- no zip-slip: members named ../x are never written anywhere; exports name members by GUID.
"""

from __future__ import annotations

import random
import socket
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from hostile_study import run, shared
from pipeline.config import InterchangeSettings
from pipeline.interchange import qdpx_import
from pipeline.interchange.archive import MB, check_zip_limits
from pipeline.interchange.qdpx import export_project
from pipeline.interchange.qdpx_import import import_project, read_project
from pipeline.interchange.xmlutil import ExchangeError
from pipeline.study import Study

G = [f"00000000-0000-0000-0000-{i:012d}" for i in range(10)]
SECRET = "TOP-SECRET-7f3a91 participant home address"


def _project(path: Path, sources: dict[str, str], selections: int = 0, doctype: str = "", memo: str = "",
             extra: dict[str, bytes] | None = None) -> Path:
    """A small valid .qdpx: one code, one user, text sources with ``selections`` codings each."""
    parts = [f'{doctype}<Project xmlns="urn:QDA-XML:project:1.0" name="t">'
             f'<Users><User guid="{G[0]}" name="carol"/></Users>'
             f'<CodeBook><Codes><Code guid="{G[1]}" name="Culture" isCodable="true"/></Codes></CodeBook><Sources>']
    guid = 1000
    for source, text in sources.items():
        source_guid = f"10000000-0000-0000-0000-{guid:012d}"
        parts.append(f'<TextSource guid="{source_guid}" name="{source}" plainTextPath="internal://{source_guid}.txt">')
        step = max(len(text) // max(selections, 1), 1)
        for k in range(selections):
            guid += 2
            parts.append(f'<PlainTextSelection guid="20000000-0000-0000-0000-{guid:012d}" startPosition="{k * step}" '
                         f'endPosition="{k * step + step // 2}"><Description>{memo}</Description>'
                         f'<Coding guid="30000000-0000-0000-0000-{guid:012d}" '
                         f'creatingUser="{G[0]}"><CodeRef targetGUID="{G[1]}"/></Coding></PlainTextSelection>')
        parts.append("</TextSource>")
        guid += 1
    parts.append("</Sources></Project>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", "".join(parts))
        for i, text in enumerate(sources.values()):
            archive.writestr(f"sources/10000000-0000-0000-0000-{1000 + i * (2 * selections + 1):012d}.txt",
                             text.encode("utf-8"))
        for member, data in (extra or {}).items():
            archive.writestr(member, data)
    return path


def _bomb(path: Path, member: str = "sources/bomb.txt", megabytes: int = 64) -> Path:
    """A valid project plus one member of zeros: ~64 MB unpacked from ~64 KB on disk."""
    _project(path, {"doc.txt": "We always help each other out here.\n"})
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive, archive.open(member, "w") as handle:
        for _ in range(megabytes):
            handle.write(bytes(MB))
    return path


# --- limits ---------------------------------------------------------------------------


def test_a_zip_bomb_is_refused_quickly_before_reading(tmp_path: Path, monkeypatch) -> None:
    path = _bomb(tmp_path / "bomb.qdpx")
    assert path.stat().st_size < 200_000  # small on disk
    read: list[str] = []
    monkeypatch.setattr(qdpx_import, "read_member", lambda archive, name, where: read.append(name))
    started = time.perf_counter()
    with pytest.raises(ExchangeError) as info:
        read_project(path)
    assert time.perf_counter() - started < 1.0
    message = str(info.value)
    assert str(path) in message and "sources/bomb.txt" in message and "interchange.max_ratio" in message
    assert read == []  # refused on the zip's directory: not one member was unpacked


def test_a_bomb_named_project_qde_is_refused_too(tmp_path: Path) -> None:
    path = tmp_path / "qde-bomb.qdpx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive, archive.open("project.qde", "w") as handle:
        handle.write(b"<Project>" + b" " * (32 * MB))
    with pytest.raises(ExchangeError, match="'project.qde' unpacks"):
        read_project(path)


@pytest.mark.parametrize("limits, sources, setting", [
    (InterchangeSettings(max_members=3), {f"d{i}.txt": "text" for i in range(3)}, "max_members"),  # 4 members
    (InterchangeSettings(max_unpacked_mb=1), {"big.txt": "".join(random.Random(0).choices("abcdefgh \n", k=2 * MB))},
     "max_unpacked_mb"),
])
def test_too_many_members_or_bytes_are_refused(tmp_path: Path, limits, sources, setting: str) -> None:
    path = _project(tmp_path / "p.qdpx", sources)
    with pytest.raises(ExchangeError, match=f"interchange.{setting}"):
        read_project(path, limits)
    read_project(path)  # the defaults take it


def test_limits_come_from_deductive_toml_and_the_cli_names_file_and_setting(study_dir: Path, tmp_path: Path) -> None:
    path = _project(tmp_path / "p.qdpx", {"a.txt": "one", "b.txt": "two"})
    settings = study_dir / "deductive.toml"
    settings.write_text(settings.read_text(encoding="utf-8").replace("max_members = 10000", "max_members = 2"),
                        encoding="utf-8")
    from click.testing import CliRunner

    from cli.main import cli

    result = CliRunner().invoke(cli, ["import", str(study_dir), str(path)])
    assert result.exit_code == 1
    assert str(path) in result.output and "3 files, more than the limit of 2" in result.output
    assert "interchange.max_members" in result.output


@pytest.mark.parametrize("name", ["nvivo15-mac-export.qdpx", "qc-demo-export.qdpx"])
def test_real_exports_pass_the_default_limits_with_room(name: str) -> None:
    with zipfile.ZipFile(shared("refi", name)) as archive:
        members = archive.infolist()
    defaults = InterchangeSettings()
    check_zip_limits(Path(name), members, defaults)
    assert max(m.file_size / max(m.compress_size, 1) for m in members) < defaults.max_ratio / 10


# --- memory ---------------------------------------------------------------------------


def test_reading_a_large_project_takes_a_few_bytes_per_character(tmp_path: Path) -> None:
    """Two sources of 4 MB each (CRLF line ends, 400 codings each): the per-character offset
    table of the old reader cost ~36 bytes a character of the largest source; the bound is 10."""
    rng = random.Random(1)
    words = "the board agreed we help each other nurses training policy culture".split()
    line = lambda: " ".join(rng.choices(words, k=12)) + ".\r\n"  # noqa: E731
    sources = {f"interview-{i}.txt": "".join(line() for _ in range(52_000)) for i in range(2)}
    characters = sum(len(t) for t in sources.values())
    path = _project(tmp_path / "large.qdpx", sources, selections=400)
    del sources
    tracemalloc.start()
    try:
        project = read_project(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert project.codings == 2 * 400 and characters > 7 * MB
    assert peak / characters < 10, f"{peak / characters:.1f} bytes per character"
    print(f"read_project peak: {peak / characters:.2f} bytes per character of {characters:,}")


@pytest.mark.parametrize("seed", range(5))
def test_line_end_offsets_match_a_character_by_character_reference(seed: int) -> None:
    rng = random.Random(seed)
    raw = "".join(rng.choice(["a", "b", "\r\n", "\r", "\n", " "]) for _ in range(500))
    text, crlf = qdpx_import._normalise(raw)
    expected, out = [], 0  # the old reader's rule: the LF of a CRLF lands where the CR did
    i = 0
    while i < len(raw):
        expected.append(out)
        if raw[i] == "\r" and raw[i + 1:i + 2] == "\n":
            expected.append(out)
            i += 1
        out += 1
        i += 1
    expected.append(out)
    assert "\r" not in text and len(text) == out
    assert [qdpx_import._text_offset(k, crlf) for k in range(len(raw) + 1)] == expected


# --- XXE --------------------------------------------------------------------------------


@pytest.fixture
def listener():
    """A loopback TCP port that records whether anything connected to it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.setblocking(False)

    def connected() -> bool:
        try:
            server.accept()[0].close()
            return True
        except BlockingIOError:
            return False

    yield server.getsockname()[1], connected
    server.close()


def _leaks(study_dir: Path) -> bool:
    data = b"".join(p.read_bytes() for p in study_dir.rglob("*") if p.is_file())
    return SECRET.encode() in data


def _entities(secret: Path, port: int) -> str:
    return (f'<!DOCTYPE Project [<!ENTITY xxe SYSTEM "file://{secret}">'
            f'<!ENTITY net SYSTEM "http://127.0.0.1:{port}/entity">'
            f'<!ENTITY % remote SYSTEM "http://127.0.0.1:{port}/dtd"> %remote;]>')


def test_external_entities_in_a_project_are_never_resolved(study_dir: Path, tmp_path: Path, listener) -> None:
    port, connected = listener
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET, encoding="utf-8")
    path = _project(tmp_path / "xxe.qdpx", {"doc.txt": "We help each other out here, always."}, selections=1,
                    doctype=_entities(secret, port), memo="&xxe;&net;")
    with Study(study_dir) as study:
        try:
            report = import_project(study.store, path)
            outcome = repr(report)
        except ExchangeError as exc:  # refusing entity declarations outright is fine too
            outcome = str(exc)
    assert SECRET not in outcome
    assert not _leaks(study_dir)
    assert not connected()


def test_external_entities_in_a_codebook_are_never_resolved(study_dir: Path, tmp_path: Path, listener) -> None:
    port, connected = listener
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET, encoding="utf-8")
    qdc = tmp_path / "xxe.qdc"
    qdc.write_text(_entities(secret, port).replace("Project", "CodeBook") +
                   '<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
                   f'<Code guid="{G[1]}" name="Culture" isCodable="true"><Description>&xxe;&net;</Description></Code>'
                   '</Codes></CodeBook>', encoding="utf-8")
    from click.testing import CliRunner

    from cli.main import cli

    result = CliRunner().invoke(cli, ["codebook", "import", str(qdc), "--study", str(study_dir),
                                      "--out", str(tmp_path / "book.yaml")])
    written = tmp_path / "book.yaml"
    assert SECRET not in result.output and not _leaks(study_dir)
    assert not written.exists() or SECRET not in written.read_text(encoding="utf-8")
    assert not connected()


# --- zip-slip ---------------------------------------------------------------------------


@pytest.mark.parametrize("member", ["../escaped.txt", "../../escaped.txt", "/tmp/escaped-abs.txt",
                                    "sources/../../escaped.txt"])
def test_members_with_paths_outside_are_never_written(study_dir: Path, tmp_path: Path, member: str,
                                                      monkeypatch) -> None:
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    path = _project(work / "slip.qdpx", {"doc.txt": "We help each other."}, extra={member: b"PAYLOAD-SLIP"})
    before = {p for p in Path("/tmp").glob("escaped*")}
    with Study(study_dir) as study:
        import_project(study.store, path)
    written = [p for p in tmp_path.rglob("*escaped*")] + [p for p in Path("/tmp").glob("escaped*") if p not in before]
    assert written == []


def test_exported_members_are_named_by_guid_not_by_document_names(hostile, tmp_path: Path) -> None:
    out = tmp_path / "export.qdpx"
    with Study(hostile.root) as study:
        export_project(study.store, out, name="=evil/../name")
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
    assert "project.qde" in names
    for name in names:
        assert ".." not in name and not name.startswith("/") and (name == "project.qde" or name.startswith("sources/"))
