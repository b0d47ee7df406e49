"""Memory and refusal time of the .qdpx reader (issue 16, point 3).

Prints, for a project built here (two 4 MB transcripts with CRLF line ends, 800 codings):
the tracemalloc peak of ``read_project`` per character of text, beside the peak of the
per-character offset table the reader used before (rebuilt here as the baseline, on the
largest source of the same file); and how long a zip bomb (64 MB of zeros in a ~64 KB
file) takes to be refused.

    python benchmarks/qdpx_import_memory.py
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.interchange.qdpx_import import read_project  # noqa: E402
from pipeline.interchange.xmlutil import ExchangeError  # noqa: E402

MB = 1 << 20
USER, CODE = "00000000-0000-0000-0000-000000000000", "00000000-0000-0000-0000-000000000001"


def _text(seed: int, lines: int) -> str:
    rng = random.Random(seed)
    words = "the board agreed we help each other nurses training policy culture".split()
    return "".join(" ".join(rng.choices(words, k=12)) + ".\r\n" for _ in range(lines))


def _project(path: Path, texts: list[str], selections: int) -> None:
    parts = [f'<Project xmlns="urn:QDA-XML:project:1.0" name="bench"><Users><User guid="{USER}" name="u"/></Users>'
             f'<CodeBook><Codes><Code guid="{CODE}" name="Culture" isCodable="true"/></Codes></CodeBook><Sources>']
    for i, text in enumerate(texts):
        parts.append(f'<TextSource guid="10000000-0000-0000-0000-{i:012d}" name="s{i}.txt" '
                     f'plainTextPath="internal://10000000-0000-0000-0000-{i:012d}.txt">')
        step = len(text) // selections
        for k in range(selections):
            n = i * selections + k
            parts.append(f'<PlainTextSelection guid="20000000-0000-0000-0000-{n:012d}" startPosition="{k * step}" '
                         f'endPosition="{k * step + step // 2}"><Coding guid="30000000-0000-0000-0000-{n:012d}" '
                         f'creatingUser="{USER}"><CodeRef targetGUID="{CODE}"/></Coding></PlainTextSelection>')
        parts.append("</TextSource>")
    parts.append("</Sources></Project>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", "".join(parts))
        for i, text in enumerate(texts):
            archive.writestr(f"sources/10000000-0000-0000-0000-{i:012d}.txt", text.encode())


def _old_offset_table(raw: str) -> list[int]:
    """The reader's former rule: one Python int per character of the source."""
    out: list[str] = []
    mapping: list[int] = []
    i = 0
    while i < len(raw):
        mapping.append(len(out))
        if raw[i] == "\r":
            if i + 1 < len(raw) and raw[i + 1] == "\n":
                mapping.append(len(out))
                i += 1
            out.append("\n")
        else:
            out.append(raw[i])
        i += 1
    mapping.append(len(out))
    return mapping


def _peak(call) -> int:
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main() -> None:
    texts = [_text(seed, 52_000) for seed in (1, 2)]
    characters = sum(map(len, texts))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "large.qdpx"
        _project(path, texts, selections=400)
        largest = max(texts, key=len)
        del texts
        new = _peak(lambda: read_project(path))
        old_table = _peak(lambda: _old_offset_table(largest))
        print(f"project: {characters:,} characters in 2 sources, {path.stat().st_size / MB:.1f} MB on disk")
        print(f"read_project peak:        {new / MB:7.1f} MB = {new / characters:5.2f} bytes per character")
        print(f"baseline, old offset table of the largest source alone: {old_table / MB:7.1f} MB "
              f"= {old_table / len(largest):5.2f} bytes per character of that source")
        bomb = Path(tmp) / "bomb.qdpx"
        with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive, archive.open("project.qde", "w") as handle:
            for _ in range(64):
                handle.write(bytes(MB))
        started = time.perf_counter()
        try:
            read_project(bomb)
        except ExchangeError as exc:
            print(f"zip bomb ({bomb.stat().st_size / 1024:.0f} KB on disk, 64 MB unpacked) refused in "
                  f"{(time.perf_counter() - started) * 1000:.1f} ms: {str(exc).split(': ', 1)[1][:80]}...")


if __name__ == "__main__":
    main()
