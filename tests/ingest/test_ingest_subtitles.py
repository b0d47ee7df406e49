"""WebVTT and SRT transcripts."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest_checks import assert_blocks_valid
from pipeline.errors import IngestError
from pipeline.ingest.read import read_file

VTT = """WEBVTT
Kind: captions

NOTE Comments are skipped,
even over two lines.

STYLE
::cue { color: yellow }

intro
00:00:01.000 --> 00:00:03.500 align:start position:10%
<v Dr Smith>How did the <i>rollout</i> go?</v>

00:00:03.600 --> 00:00:05.000
<v Dr Smith>Tell me
everything.

00:00:05.250 --> 00:00:09.000
<v.loud Nurse Jones>It was slow &amp; painful.

01:02.000 --> 01:04.000
Nurse Jones: <00:01:03.000>But it got better.

00:01:05.000 --> 00:01:06.000
<v Dr Smith>Thanks.
"""


def _turns(doc) -> list[tuple[str | None, int | None, str | None, str]]:
    return [(b.speaker, b.turn, b.timestamp, doc.text[b.start:b.end]) for b in doc.blocks]


def test_vtt_voice_tags_merge_cues_into_turns(tmp_path: Path) -> None:
    path = tmp_path / "call.vtt"
    path.write_text(VTT, encoding="utf-8")
    [doc] = read_file(path)
    assert doc.format == "vtt" and doc.encoding == "utf-8"
    assert _turns(doc) == [
        # two cues of Dr Smith merge; tags stripped; the first cue's start is kept
        ("Dr Smith", 1, "00:00:01.000", "How did the rollout go? Tell me everything."),
        # a classed voice tag; entities unescaped; a "Name:" prefix counts as the same
        # speaker, and an mm:ss timing is written out with hours
        ("Nurse Jones", 2, "00:00:05.250", "It was slow & painful. But it got better."),
        ("Dr Smith", 3, "00:01:05.000", "Thanks."),
    ]
    assert doc.text.split("\n\n") == [
        "[00:00:01] Dr Smith: How did the rollout go? Tell me everything.",
        "[00:00:05] Nurse Jones: It was slow & painful. But it got better.",
        "[00:01:05] Dr Smith: Thanks.",
    ]
    assert {b.kind for b in doc.blocks} == {"turn"}
    assert_blocks_valid(doc)


def test_srt_numbering_and_speaker_prefix(tmp_path: Path) -> None:
    path = tmp_path / "call.srt"
    path.write_bytes(
        b"1\r\n00:00:01,000 --> 00:00:02,500\r\nInterviewer: Hello there.\r\n\r\n"
        b"2\r\n00:00:02,600 --> 00:00:04,000\r\nP1: Hi.\r\n\r\n"
        b"3\r\n00:00:04,100 --> 00:00:06,000\r\nP1: <i>Nice</i> to\r\nmeet you.\r\n"
    )
    [doc] = read_file(path)
    assert doc.format == "srt"
    assert _turns(doc) == [
        ("Interviewer", 1, "00:00:01.000", "Hello there."),
        ("P1", 2, "00:00:02.600", "Hi. Nice to meet you."),
    ]
    assert_blocks_valid(doc)


def test_cues_without_speakers_split_at_pauses(tmp_path: Path) -> None:
    path = tmp_path / "captions.srt"
    path.write_text(
        "1\n00:00:01,000 --> 00:00:02,000\nWe started\n\n"
        "2\n00:00:02,100 --> 00:00:03,000\nin May.\n\n"
        "3\n00:00:09,000 --> 00:00:10,000\nLater we stopped.\n",  # a six-second pause
        encoding="utf-8",
    )
    [doc] = read_file(path)
    assert [(b.kind, b.speaker, b.turn, doc.text[b.start:b.end]) for b in doc.blocks] == [
        ("paragraph", None, None, "We started in May."),
        ("paragraph", None, None, "Later we stopped."),
    ]
    assert doc.text.startswith("[00:00:01] We started")
    assert_blocks_valid(doc)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        # seconds without milliseconds in an SRT timing line
        ("bad.srt", "1\n00:00:01,000 --> 00:00:02,000\nHi\n\n2\n00:00:02 --> 00:00:04,000\n"
         "Yo\n", "line 6: malformed cue timing"),
        # the arrow is there but the end time is garbage
        ("bad.vtt", "WEBVTT\n\n00:00:01.000 --> soon\nHi\n", "line 3: malformed cue timing"),
        # a numbered SRT cue whose timing line is missing altogether
        ("missing.srt", "1\nHello there\n", "line 2: expected a cue timing line"),
        # blank lines and CRLF before the first cue: the number still matches the file
        ("lead.srt", "\r\n\r\n1\r\n00:00:01,000 -> 00:00:02,000\r\nHi\r\n",
         "line 4: expected a cue timing line"),
        ("empty.vtt", "WEBVTT\n\nNOTE nothing here\n", "has no subtitle cues"),
    ],
)
def test_bad_subtitles_name_the_line(tmp_path: Path, name: str, content: str,
                                     message: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(IngestError, match=message):
        read_file(path)
