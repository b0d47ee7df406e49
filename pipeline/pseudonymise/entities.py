"""The records of pseudonymisation: kinds, mentions, entities and their codes.

A *mention* is one place in one document where an identifier was found (or added by
the researcher); an *entity* is the person, place, organisation, address or number that
mentions refer to. Every entity gets one code for the whole study (``[PERSON_03]``), so
"Maria Gonzalez", "Maria", "MARIA" and the nickname "Mari" all become the same code.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = [
    "KINDS",
    "MODEL_KINDS",
    "SOURCES",
    "CODE_RE",
    "Mention",
    "make_code",
    "parse_code",
    "normalise",
]

# PERSON, ORG and PLACE come from the model and the lists; the others from rules.
KINDS = ("PERSON", "ORG", "PLACE", "EMAIL", "PHONE", "URL", "ID")
MODEL_KINDS = ("PERSON", "ORG", "PLACE")
SOURCES = ("list", "rule", "pattern", "model", "added")

CODE_RE = re.compile(r"\[(PERSON|ORG|PLACE|EMAIL|PHONE|URL|ID)_(\d{2,})\]")

_TITLES = {"dr", "mr", "mrs", "ms", "miss", "prof", "professor", "sir", "dame", "nurse", "sister", "father", "rev"}


@dataclass(frozen=True)
class Mention:
    """``text[start:end]`` of one document, found by ``source``, of ``kind``.

    ``entity`` is the normalised key the entity is known by (the list entry's canonical
    name, an e-mail address in lower case, a phone number's digits); ``code`` is filled
    in once entities are numbered.
    """

    document_id: str
    start: int
    end: int
    text: str
    kind: str
    source: str
    entity: str
    code: str = ""


def make_code(kind: str, number: int) -> str:
    return f"[{kind}_{number:02d}]"


def parse_code(value: str) -> tuple[str, int] | None:
    match = CODE_RE.fullmatch(value.strip())
    return None if match is None else (match.group(1), int(match.group(2)))


def normalise(text: str, kind: str = "PERSON") -> str:
    """The key an entity is known by: case, accents kept apart from spacing and titles.

    Casefolded, whitespace collapsed, a trailing possessive and leading titles dropped;
    e-mails compare in lower case, phone numbers and IDs by their digits and letters.
    """
    text = unicodedata.normalize("NFC", text)
    if kind in ("PHONE", "ID"):
        return re.sub(r"[^0-9A-Za-z]", "", text).upper()
    if kind in ("EMAIL", "URL"):
        return text.strip().lower().rstrip("/.")
    words = re.sub(r"['’]s$", "", " ".join(text.split())).casefold().replace(".", "").split()
    while len(words) > 1 and words[0] in _TITLES:
        words = words[1:]
    if kind == "ORG" and words and words[0] == "the":
        words = words[1:]
    return " ".join(words)
