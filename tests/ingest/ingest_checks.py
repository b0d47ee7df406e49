"""Checks shared by the ingest reader tests (imported as a plain module)."""

from __future__ import annotations

from pipeline.records import BLOCK_KINDS, ParsedDocument


def assert_blocks_valid(doc: ParsedDocument) -> None:
    """Every block is a non-empty, trimmed slice of the text; blocks are ordered and disjoint."""
    assert doc.blocks, "a parsed document has at least one block"
    assert "\r" not in doc.text and "\ufeff" not in doc.text
    previous_end = 0
    for block in doc.blocks:
        content = doc.text[block.start:block.end]
        assert block.kind in BLOCK_KINDS, block
        assert content, f"empty block {block}"
        assert content == content.strip(), f"untrimmed block {content!r}"
        assert block.start >= previous_end, f"block {block} overlaps or is out of order"
        previous_end = block.end
    turns = [b.turn for b in doc.blocks if b.kind == "turn"]
    assert turns == list(range(1, len(turns) + 1)) or all(t is None for t in turns)


def block_texts(doc: ParsedDocument) -> list[str]:
    return [doc.text[b.start:b.end] for b in doc.blocks]
