"""Segment: cut a parsed document's blocks into coding units with spaCy.

Units: ``sentence``, ``paragraph``, ``turn`` (a whole speaker turn) and ``row`` (one
row of tabular input). Segments never cross a block, so never a speaker turn or a
document boundary. Turns and paragraphs longer than ``max_chars`` are split at sentence
boundaries; fragments shorter than ``min_chars`` ("Yeah.") are merged with a neighbour
in the same block, never dropped. Every segment's offsets index the stored normalised
text: ``text[start:end] == segment.text``.

This is the only module that imports spaCy. The default pipeline is a blank English
model with the rule-based sentencizer plus a small rule that keeps a sentence going
after abbreviations and ellipses followed by lower-case words (measured in FACTS.md:
it lifts sentence F1 on messy transcripts from about 0.82 to about 0.90).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any, Sequence

from pipeline.config import SegmentSettings
from pipeline.errors import ConfigError
from pipeline.records import Block

__all__ = ["Span", "segment_blocks", "segmentation_id", "sentence_texts", "SEGMENTER_VERSION"]

# Bump when the cutting rules change, so old and new segmentations do not share an id.
SEGMENTER_VERSION = 1
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
# Text handed to spaCy at once; well below its max_length so memory stays bounded too.
MAX_SPACY_CHARS = 100_000
_ABBREVIATIONS = {"approx.", "e.g.", "i.e.", "vs.", "cf.", "no.", "ca.", "fig.", "dept.", "st."}


@dataclass(frozen=True)
class Span:
    """A segment before it is stored: offsets plus the index of its block."""

    start: int
    end: int
    block: int


def segmentation_id(settings: SegmentSettings) -> str:
    """Stable id of a unit plus the parameters that cut it."""
    payload = json.dumps({**asdict(settings), "segmenter": SEGMENTER_VERSION}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


def segment_blocks(text: str, blocks: Sequence[Block], settings: SegmentSettings) -> list[Span]:
    """Cut each block into spans according to ``settings.unit``."""
    spans: list[Span] = []
    for index, block in enumerate(blocks):
        for start, end in _cut_block(text, block, settings):
            spans.append(Span(start, end, index))
    return spans


def sentence_texts(text: str, model: str = "blank") -> list[str]:
    """The sentences of a text, cut as ``unit = "sentence"`` would (before short ones are merged)."""
    return [text[start:end] for start, end in _sentences(text, 0, len(text), model)]


def _cut_block(text: str, block: Block, s: SegmentSettings) -> list[tuple[int, int]]:
    if s.unit == "row" or (block.kind == "row" and s.unit != "sentence"):
        return [(block.start, block.end)]
    if s.unit == "turn":
        return _limit_length(text, [(block.start, block.end)], s)
    paragraphs = _paragraphs(text, block.start, block.end)
    if s.unit == "paragraph":
        return _limit_length(text, paragraphs, s)
    sentences = [sent for p in paragraphs for sent in _sentences(text, p[0], p[1], s.spacy_model)]
    return _merge_short(text, sentences, s.min_chars)


def _paragraphs(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out, cursor = [], start
    for match in _PARAGRAPH_BREAK.finditer(text, start, end):
        out.append(_strip(text, cursor, match.start()))
        cursor = match.end()
    out.append(_strip(text, cursor, end))
    return [p for p in out if p[1] > p[0]]


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _limit_length(text: str, pieces: list[tuple[int, int]], s: SegmentSettings) -> list[tuple[int, int]]:
    """Split pieces longer than max_chars into runs of whole sentences."""
    out: list[tuple[int, int]] = []
    for start, end in pieces:
        if end - start <= s.max_chars:
            out.append((start, end))
            continue
        run_start, run_end = None, None
        for sent_start, sent_end in _sentences(text, start, end, s.spacy_model):
            if run_start is not None and sent_end - run_start > s.max_chars:
                out.append((run_start, run_end))
                run_start = None
            if run_start is None:
                run_start = sent_start
            run_end = sent_end
        if run_start is not None:
            out.append((run_start, run_end))
    return out


def _merge_short(text: str, spans: list[tuple[int, int]], min_chars: int) -> list[tuple[int, int]]:
    """Merge fragments under min_chars into the previous span (or the next one)."""
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and (end - start < min_chars or merged[-1][1] - merged[-1][0] < min_chars):
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _sentences(text: str, start: int, end: int, model: str) -> list[tuple[int, int]]:
    out = []
    for piece_start, piece_end in _pieces(text, start, end):
        doc = _nlp(model)(text[piece_start:piece_end])
        for sent in doc.sents:
            s, e = _strip(text, piece_start + sent.start_char, piece_start + sent.end_char)
            if e > s:
                out.append((s, e))
    return out


def _pieces(text: str, start: int, end: int, size: int = MAX_SPACY_CHARS) -> list[tuple[int, int]]:
    """Cut text longer than spaCy takes (its max_length, 1,000,000 characters; issue 15:
    a longer paragraph crashed ingest with E088) into pieces of at most ``size``, at the
    last line break or space before the limit (mid-word only when there is none)."""
    pieces = []
    while end - start > size:
        cut = max(text.rfind("\n", start, start + size), text.rfind(" ", start, start + size))
        cut = cut + 1 if cut > start else start + size
        pieces.append((start, cut))
        start = cut
    pieces.append((start, end))
    return pieces


@lru_cache(maxsize=4)
def _nlp(model: str) -> Any:
    import spacy
    from spacy.language import Language

    if not Language.has_factory("deductive_keep_going"):
        Language.component("deductive_keep_going", func=_keep_going)
    if model == "blank":
        nlp = spacy.blank("en")
        nlp.add_pipe("sentencizer")
    else:
        try:
            nlp = spacy.load(model, exclude=["ner", "lemmatizer", "textcat"])
        except OSError as exc:
            raise ConfigError(
                f"segment.spacy_model: spaCy pipeline '{model}' is not installed; "
                "install its package or use \"blank\""
            ) from exc
        if "parser" not in nlp.pipe_names and "senter" not in nlp.pipe_names:
            nlp.add_pipe("sentencizer")
    nlp.add_pipe("deductive_keep_going", last=True)
    return nlp


_CODE_START = re.compile(r"\[(PERSON|ORG|PLACE|EMAIL|PHONE|URL|ID)_\d{2,}\]")


def _keep_going(doc: Any) -> Any:
    """Undo sentence starts after abbreviations, and before lower-case continuations.

    A pseudonymisation code opening a sentence ("time. [PERSON_02] was great") starts it
    at its bracket: the sentencizer would leave the "[" on the previous sentence.
    """
    text = doc.text  # built on every access: once, not per sentence (quadratic on long texts)
    for token in doc[1:-1]:
        if token.text == "[" and doc[token.i + 1].is_sent_start and _CODE_START.match(text, token.idx):
            token.is_sent_start, doc[token.i + 1].is_sent_start = True, False
    for token in doc[1:]:
        if not token.is_sent_start:
            continue
        before = text[max(0, token.idx - 8):token.idx].rstrip().lower()
        after_abbreviation = any(_ends_with_word(before, a) for a in _ABBREVIATIONS)
        if after_abbreviation or token.text[:1].islower():
            token.is_sent_start = False
    return doc


def _ends_with_word(text: str, word: str) -> bool:
    return text.endswith(word) and (len(text) == len(word) or not text[-len(word) - 1].isalpha())
