import pytest

from pipeline.config import SegmentSettings
from pipeline.records import Block
from pipeline.segment import segment_blocks, segmentation_id

TEXT = "P3: It started with the board. They decided in May... and then we had to find nurses. Yeah.\n\nSecond paragraph of the same turn, approx. two lines long. Ok."
TURN = Block(start=4, end=len(TEXT), kind="turn", speaker="P3", turn=1)


def cut(unit: str, text: str = TEXT, blocks=(TURN,), **kw) -> list[str]:
    spans = segment_blocks(text, list(blocks), SegmentSettings(unit=unit, **kw))
    return [text[s.start:s.end] for s in spans]


@pytest.mark.parametrize(
    "unit, expected",
    [
        # "Yeah." is under min_chars: merged into the sentence before it, not dropped;
        # "May... and" continues the sentence; "approx. two" too.
        ("sentence", ["It started with the board.",
                      "They decided in May... and then we had to find nurses. Yeah.",
                      "Second paragraph of the same turn, approx. two lines long. Ok."]),
        ("paragraph", ["It started with the board. They decided in May... and then we had to find nurses. Yeah.",
                       "Second paragraph of the same turn, approx. two lines long. Ok."]),
        # the whole turn, paragraphs included, without the speaker label
        ("turn", [TEXT[4:]]),
    ],
)
def test_units(unit: str, expected: list[str]) -> None:
    assert cut(unit) == expected


def test_segments_never_cross_blocks() -> None:
    text = "I: Hi.\nP: Yes. Ok."
    blocks = [Block(3, 6, "turn", "I", 1), Block(10, 18, "turn", "P", 2)]
    spans = segment_blocks(text, blocks, SegmentSettings(unit="sentence", min_chars=15))
    # Both turns are short, but a fragment is only merged within its own turn.
    assert [(text[s.start:s.end], s.block) for s in spans] == [("Hi.", 0), ("Yes. Ok.", 1)]


def test_long_turn_is_split_at_sentences_under_max_chars() -> None:
    sentence = "This is one sentence of moderate length about the dashboard. "
    text = sentence * 40
    block = Block(0, len(text.rstrip()), "turn", "P", 1)
    pieces = cut("turn", text.rstrip(), [block], max_chars=300)
    assert len(pieces) > 5
    assert all(len(p) <= 300 for p in pieces)
    assert " ".join(pieces) == text.rstrip()


def test_rows_stay_whole_unless_sentences_are_asked_for() -> None:
    text = "First answer. It has two sentences.\nSecond."
    rows = [Block(0, 35, "row", external_id="1"), Block(36, 43, "row", external_id="2")]
    assert cut("row", text, rows) == ["First answer. It has two sentences.", "Second."]
    assert cut("paragraph", text, rows) == ["First answer. It has two sentences.", "Second."]
    assert cut("sentence", text, rows, min_chars=5) == ["First answer.", "It has two sentences.", "Second."]


def test_segmentation_id_depends_on_parameters() -> None:
    assert segmentation_id(SegmentSettings()) == segmentation_id(SegmentSettings())
    assert segmentation_id(SegmentSettings(unit="turn")) != segmentation_id(SegmentSettings())
    assert segmentation_id(SegmentSettings(min_chars=3)) != segmentation_id(SegmentSettings())
