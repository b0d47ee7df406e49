"""A name said, then said again with more of it: "Rose, Rose Batey", "krishna krishna
patel", "OKSANA, OKSANA SHEVCHENKO".

Speakers introduce a person by the first name and, as if correcting themselves, repeat
it with the surname; transcribers keep both. The repetition is the evidence, so it needs
no capital: it finds names in an uncorrected lower-case transcript and in a document
typed in capitals, where the capitals rules can tell nothing. Found: the lone first
name and the first name with the word after it, as one person.

Not where the repeated word is a stop word, a number or a role ("very, very good",
"four four", "chief, Chief Donovan"), nor where the word after it ends the name as an
organisation or a street does ("Southwark, Southwark Council", "College, College Road":
the shape rules find those). Where the three words are not all capitalised (lower case
or capitals, no case to go by), one of the two must be outside the English dictionary
("grace grace kaur"; not "cask, cask number", "bad bad news"); words in mixed casing
("novus, Novus employ") are left.
"""

from __future__ import annotations

import re
from typing import Iterator

from pipeline.pseudonymise.lexicon import is_english
from pipeline.pseudonymise.names import NOT_NAMES, ROLE_WORDS, TITLE_WORDS
from pipeline.pseudonymise.ner import stop_words
from pipeline.pseudonymise.shapes import ends_as_org

__all__ = ["find_repeated_names"]

_WORD = r"[^\W\d_][\w'’-]*[^\W\d_]"
_REPEATED = re.compile(rf"(?<![\w'’-])(?P<first>{_WORD}),?[ \t]+(?P<again>(?P=first))[ \t]+(?P<last>{_WORD})(?![\w'’-])",
                       re.IGNORECASE)
_STREET_END = re.compile(r"(?i)\b(?:road|street|lane|avenue|drive|close|way|crescent|grove|terrace|place|square|"
                         r"gardens|row|walk|wharf|quay|mews|parade|rise|court|hill|green|yard|house|hall|park)$")
_NUMBERS = frozenset("""one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty
hundred thousand double triple oh zero""".split())


def find_repeated_names(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, "PERSON") of a first name and of its repetition with the word after
    it; the caller keeps only those that overlap nothing else found."""
    for match in _REPEATED.finditer(text):
        first, again, last = match.group("first"), match.group("again"), match.group("last")
        if _left(first, last) or not _cased_alike(first, again, last):
            continue
        if not all(w[:1].isupper() and not w.isupper() for w in (first, again, last)):
            if is_english(first) and is_english(_plain(last)):
                continue  # no case to go by: the dictionary decides ("cask, cask number")
        yield match.start("first"), match.end("first"), "PERSON"
        yield match.start("again"), match.start("last") + len(_plain(last)), "PERSON"


def _left(first: str, last: str) -> bool:
    """Words that are no first name, or a last word that makes the name a site."""
    low, end = first.lower(), _plain(last).lower()
    common = stop_words() | _NUMBERS | NOT_NAMES | ROLE_WORDS | TITLE_WORDS
    return (low in common or end in common or ends_as_org(_plain(last)[:1].upper() + _plain(last)[1:].lower())
            or _STREET_END.search(end) is not None)


def _cased_alike(*words: str) -> bool:
    """All capitalised, all lower case or all in capitals (not "novus, Novus employ")."""
    return (all(w.islower() for w in words) or all(w.isupper() for w in words)
            or all(w[:1].isupper() and not w.isupper() for w in words))


def _plain(word: str) -> str:
    """A word without its possessive ending ("canoe's" -> "canoe")."""
    return re.sub(r"['’]s?$", "", word)
