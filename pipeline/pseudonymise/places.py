"""Places found by where they stand rather than by the model:

- a capitalised name after a word that locates someone ("in Eastbrook", "from Ardmore",
  "near Little Hatherby", "at Kelso"), not a month, weekday or festival;
- the parts of a postal address before its postcode ("Hollin House, Mill Lane,
  Tadbury, TD4 7QX": each part between commas);
- a flat, unit or suite with the building it is in ("Unit 9, Lark Rise Business Park").

The first two only fill gaps: where anything else was found over the same words, that
finding stands (the model's "Brookfield Junior School" is not cut to "Brookfield Junior").
"""

from __future__ import annotations

import re
from typing import Iterator

__all__ = ["find_place_gaps", "find_units"]

_WORD = r"[A-Z][\w'’-]*"
_NAME = rf"{_WORD}(?:[\s-]+(?:(?:upon|on|y|im|under|le|la|de)\s+)?{_WORD}){{0,2}}"
_LOCATED = re.compile(rf"\b(?:in|near|from|outside|around|at)\s+(?P<name>{_NAME})")
_NOT_PLACES = frozenset("""
January February March April May June July August September October November December
Monday Tuesday Wednesday Thursday Friday Saturday Sunday Christmas Easter Ramadan Eid Diwali
Hanukkah Passover Lent Advent Spring Summer Autumn Winter Year First Last Least Most All Times
The A An My Our Your His Her Their This That I It Total Fact Person English
""".split())
_POSTCODE = r"[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b"
_ADDRESS = re.compile(rf"(?P<parts>(?:[A-Z0-9][\w'’-]*(?:\s+(?:upon|on|y|im|of|the|[A-Z0-9][\w'’-]*))*,\s+){{1,4}})"
                      rf"{_POSTCODE}")
_UNIT = re.compile(rf"\b(?:Flat|Unit|Suite|Apartment|Apt|Room)\s+\d+[A-Z]?,?\s+{_WORD}(?:\s+{_WORD}){{0,3}}")


def find_units(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, "PLACE") of "Unit 4, Carlisle Business Centre" and the like."""
    for match in _UNIT.finditer(text):
        yield match.start(), match.end(), "PLACE"


def find_place_gaps(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, "PLACE") of places by their position; the caller keeps only those
    that overlap nothing else it found."""
    for match in _LOCATED.finditer(text):
        words = match.group("name").split()
        if words[0] not in _NOT_PLACES:
            yield match.start("name"), match.end("name"), "PLACE"
    for match in _ADDRESS.finditer(text):
        offset = match.start("parts")
        for part in re.finditer(r"[^,]+", match.group("parts")):
            name = part.group(0).strip()
            if name and name.split()[0] not in _NOT_PLACES:
                start = offset + part.start() + (len(part.group(0)) - len(part.group(0).lstrip()))
                yield start, start + len(name), "PLACE"
