"""Rules for identifiers that have a shape: e-mail addresses, URLs, phone numbers,
postcodes and ID numbers. Each rule is a regular expression; order matters (an e-mail
address is found before the URL or phone number inside it)."""

from __future__ import annotations

import re
from typing import Iterator

__all__ = ["RULES", "find_rules"]

RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("EMAIL", re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")),
    ("URL", re.compile(r"\b(?:https?://|www\.)[^\s<>\"')\]]+[^\s<>\"')\].,;:!?]", re.IGNORECASE)),
    # international (+44 ...), trunk-prefixed (0...) or bracketed area codes; 9-15 digits,
    # so years, counts and times do not match
    ("PHONE", re.compile(r"(?<![\w+])(?:\+\d{1,3}[\s.-]?|\(0\d{1,4}\)\s?|0)\d(?:[\s.-]?\d){7,12}\b")),
    # UK postcodes, and labelled numbers (NHS number, ID, ref, staff no.)
    ("ID", re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b")),
    ("ID", re.compile(
        r"(?i:\b(?:nhs\s+(?:no|number)|id|ref(?:erence)?|staff\s+(?:no|number)|patient\s+(?:no|number))"
        r"\.?\s*(?:is|:|#)?\s*)(?P<value>[A-Z]{0,3}\d[\d -]{4,14}\d)")),
)


def find_rules(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, kind) of every rule match, earlier rules first."""
    for kind, pattern in RULES:
        for match in pattern.finditer(text):
            group = "value" if "value" in pattern.groupindex else 0
            yield match.start(group), match.end(group), kind
