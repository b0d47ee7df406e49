"""Speaker labels, the transcript rule, and text/markdown blocks."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest_checks import assert_blocks_valid, block_texts
from pipeline.errors import ConfigError
from pipeline.ingest.read import ReadOptions, read_file
from pipeline.ingest.transcript import (
    DEFAULT_SPEAKER_PATTERN,
    build_blocks,
    compile_speaker_pattern,
    label_match,
    text_spans,
)

PATTERN = compile_speaker_pattern(DEFAULT_SPEAKER_PATTERN)


@pytest.mark.parametrize(
    ("line", "speaker", "timestamp", "content"),
    [
        ("Interviewer: How did it start?", "Interviewer", None, "How did it start?"),
        ("I: And then?", "I", None, "And then?"),  # one-letter role codes
        ("R: We waited.", "R", None, "We waited."),
        ("P3: Not really.", "P3", None, "Not really."),  # participant numbers
        ("JKG-01: Yes.", "JKG-01", None, "Yes."),  # site-coded participant ids
        ("HS-02: No.", "HS-02", None, "No."),
        ("Dr Smith: Fine.", "Dr Smith", None, "Fine."),  # up to three capitalised words
        ("Dr. Smith: Fine.", "Dr. Smith", None, "Fine."),  # abbreviation with a dot
        ("INTERVIEWER: Shouted.", "INTERVIEWER", None, "Shouted."),  # all capitals
        ("Émile Zola: Oui.", "Émile Zola", None, "Oui."),  # accented capitals
        ("[Speaker 2] Agreed.", "Speaker 2", None, "Agreed."),  # bracketed, no colon
        ("Speaker 2: Agreed.", "Speaker 2", None, "Agreed."),
        ("[00:12:31] I: So?", "I", "00:12:31", "So?"),  # bracketed timestamp first
        ("00:12:31 Interviewer: So?", "Interviewer", "00:12:31", "So?"),  # bare timestamp
        ("(00:12) R: Well.", "R", "00:12", "Well."),  # parenthesised minutes:seconds
        ("[12:31] P3: Hm.", "P3", "12:31", "Hm."),
        ("00:12:31 - Jane Doe: Hello.", "Jane Doe", "00:12:31", "Hello."),  # dash separator
        ("Speaker 1 (00:12): Rev style.", "Speaker 1", "00:12", "Rev style."),  # time after
        ("   I: indented", "I", None, "indented"),  # leading blanks are skipped
        ("Interviewer:", "Interviewer", None, ""),  # the answer may start on the next line
    ],
)
def test_speaker_labels_are_recognised(line: str, speaker: str, timestamp: str | None,
                                       content: str) -> None:
    found = label_match(PATTERN, line)
    assert found is not None
    assert found[:2] == (speaker, timestamp)
    assert line[found[2]:].strip() == content


@pytest.mark.parametrize(
    "line",
    [
        "we meet at 10:30 every day",  # a clock time in running text
        "10:30 is when we meet",  # a clock time at line start, no label after it
        "At 10:30: coffee",  # colon inside a clock time is not a label colon
        "In the morning we said: stop",  # a label is at line start only
        "the nurse: she left",  # labels are capitalised
        "Key Findings of the review: none",  # more than three capitalised words in a row
        "I:no space",  # a label colon is followed by a blank
        "Note: this is not a speaker",  # header/annotation words are not speakers
        "Date: 3 May 2023",
        "[Laughter] yes",
        "[laughs]",
        "00:12:31",  # a timestamp alone names nobody
    ],
)
def test_non_labels_are_not_recognised(line: str) -> None:
    assert label_match(PATTERN, line) is None


def _blocks(text: str) -> list[tuple[str, str | None, int | None, str | None, str]]:
    blocks = build_blocks(text, text_spans(text), PATTERN)
    return [(b.kind, b.speaker, b.turn, b.timestamp, text[b.start:b.end]) for b in blocks]


def test_transcript_turns_with_header_and_multi_paragraph_answer() -> None:
    text = (
        "Interview 7, ward manager\nRecorded on site\n\n"
        "[00:00:05] Interviewer: How did the rollout go?\n\n"
        "[00:00:09] R: Slowly at first.\n\nThen the champions took over.\n"
        "Interviewer: Thanks."
    )
    assert _blocks(text) == [
        ("paragraph", None, None, None, "Interview 7, ward manager\nRecorded on site"),
        ("turn", "Interviewer", 1, "00:00:05", "How did the rollout go?"),
        ("turn", "R", 2, "00:00:09", "Slowly at first.\n\nThen the champions took over."),
        ("turn", "Interviewer", 3, None, "Thanks."),
    ]


def test_labelled_header_fields_are_not_turns() -> None:
    # "Interviewer: JS" is used once, before JS (who speaks twice) starts: a header field
    text = ("Project: Wave 2\nInterviewer: JS\nSite: Ward 3\n\nJS: Your role?\n\n"
            "HS-02: Manager.\n\nJS: Thanks.")
    assert [(b[0], b[1], b[4]) for b in _blocks(text)] == [
        ("paragraph", None, "Project: Wave 2\nInterviewer: JS\nSite: Ward 3"),
        ("turn", "JS", "Your role?"),
        ("turn", "HS-02", "Manager."),
        ("turn", "JS", "Thanks."),
    ]


def test_one_turn_per_line_without_blank_lines() -> None:
    text = "I: One?\nR: Two.\nI: Three?\nR: Four."
    assert [b[1:3] for b in _blocks(text)] == [("I", 1), ("R", 2), ("I", 3), ("R", 4)]


def test_answer_on_the_line_after_the_label() -> None:
    text = "Interviewer:\nWhat happened?\n\nRespondent:\nNothing much.\n\nInterviewer: Ok."
    assert [(b[1], b[4]) for b in _blocks(text)] == [
        ("Interviewer", "What happened?"), ("Respondent", "Nothing much."),
        ("Interviewer", "Ok."),
    ]


def test_empty_turns_are_skipped_and_not_numbered() -> None:
    text = "I: First?\nR:\nI: Second?\nR: Yes."
    assert [(b[1], b[2], b[4]) for b in _blocks(text)] == [
        ("I", 1, "First?"), ("I", 2, "Second?"), ("R", 3, "Yes."),
    ]


@pytest.mark.parametrize(
    "text",
    [
        # a policy paper with a few "Label: ..." lines (a repeated one, too): 3 of 10
        # paragraphs is less than the third the transcript rule asks for
        "Purpose of this policy.\n\nRationale: staff must wash hands.\n\nScope is all wards."
        "\n\nAction: audit hands.\n\nManagers are responsible.\n\nRationale: fewer "
        "infections.\n\nTraining is yearly.\n\nRecords are kept.\n\nReview in 2026."
        "\n\nContact the team.",
        # numbered headings: many labels, but each speaker would speak once
        "Recommendation 1: train staff.\n\nRecommendation 2: audit yearly.\n\n"
        "Recommendation 3: publish results.",
        # a single labelled line is never a transcript
        "Interviewer: only one label here.\n\nThe rest is prose.",
    ],
)
def test_prose_with_labels_stays_prose(text: str) -> None:
    assert {b[0] for b in _blocks(text)} == {"paragraph"}


def test_a_third_of_labelled_paragraphs_makes_a_transcript() -> None:
    # the same labels as in the policy paper above, but 3 of 9 paragraphs
    text = ("Rationale: a.\n\nb.\n\nc.\n\nAction: d.\n\ne.\n\nf.\n\n"
            "Rationale: g.\n\nh.\n\ni.")
    assert [(b[0], b[1]) for b in _blocks(text)] == [
        ("turn", "Rationale"), ("turn", "Action"), ("turn", "Rationale"),
    ]


def test_two_turns_are_enough_for_a_transcript() -> None:
    assert [b[0] for b in _blocks("I: Question?\n\nR: Answer.")] == ["turn", "turn"]


def test_custom_speaker_pattern(tmp_path: Path) -> None:
    # a project whose transcripts mark speakers as ">> NAME"
    path = tmp_path / "t.txt"
    path.write_text(">> ANA hello there\n>> BEN hi\n>> ANA bye\n", encoding="utf-8")
    [doc] = read_file(path, ReadOptions(speaker_pattern=r">> (?P<speaker>[A-Z]+)"))
    assert [(b.speaker, doc.text[b.start:b.end]) for b in doc.blocks] == [
        ("ANA", "hello there"), ("BEN", "hi"), ("ANA", "bye"),
    ]
    assert_blocks_valid(doc)


@pytest.mark.parametrize("pattern", [r"(?P<speaker>[A-Z]", r"[A-Z]+:"])
def test_unusable_speaker_pattern_is_a_config_error(pattern: str) -> None:
    with pytest.raises(ConfigError, match="speaker_pattern"):
        compile_speaker_pattern(pattern)


def test_plain_text_paragraphs(tmp_path: Path) -> None:
    path = tmp_path / "report.txt"
    path.write_text("Title line\n\nFirst paragraph\nwraps here.\n\n\n  Second.  \n",
                    encoding="utf-8")
    [doc] = read_file(path)
    assert doc.format == "text"
    assert block_texts(doc) == ["Title line", "First paragraph\nwraps here.", "Second."]
    assert {b.kind for b in doc.blocks} == {"paragraph"}
    assert_blocks_valid(doc)


def test_markdown_headings_are_their_own_paragraphs(tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_text("# Context\nThe site is small.\n## Staff\nTen nurses.\n", encoding="utf-8")
    [doc] = read_file(path)
    assert doc.format == "markdown"
    assert block_texts(doc) == ["# Context", "The site is small.", "## Staff", "Ten nurses."]
    assert_blocks_valid(doc)


def test_text_transcript_file(tmp_path: Path) -> None:
    path = tmp_path / "interview.txt"
    path.write_bytes(b"Site A, interview 3\r\n\r\nI: Why?\r\nP3: Because.\r\nI: Thanks.\r\n")
    [doc] = read_file(path)
    assert [(b.kind, b.speaker, b.turn) for b in doc.blocks] == [
        ("paragraph", None, None), ("turn", "I", 1), ("turn", "P3", 2), ("turn", "I", 3),
    ]
    assert_blocks_valid(doc)
