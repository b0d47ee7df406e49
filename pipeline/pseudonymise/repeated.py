"""A name said, then said again with more of it: "Edwina, Edwina Trask", "tobiah tobiah
merrow", "WIESLAWA, WIESLAWA KRASNOW".

Speakers introduce a person by the first name and, as if correcting themselves, repeat
it with the surname; transcribers keep both. The repetition is the evidence, so it needs
no capital: it finds names in an uncorrected lower-case transcript and in a document
typed in capitals, where the capitals rules can tell nothing. Found: the lone first
name and the first name with the word after it, as one person.

Not where the repeated word is a stop word, a number or a role ("very, very good",
"four four", "tutor, Tutor Kinsella"), nor where the word after it ends the name as an
organisation or a street does ("Hexley, Hexley Council", "Corran, Corran Road":
the shape rules find those). Where the three words are not all capitalised (lower case
or capitals, no case to go by), one of the two must be outside the English dictionary
("tobiah tobiah merrow"; not "form, form number", "bad bad news"); words in mixed casing
("dovetail, Dovetail Maple") are left.

A short form a person gives right after their full name: "Bartholomew Quince, Bart, I keep
the books", "Henrietta Loveday. Hetty.", "Mary Kate (MK) said ...".

People introduce themselves, and others, by the full name and then the name they go by;
from then on the transcript uses the short form, often as the speaker label. The short
form is taken as that person's wherever the document writes it with its capital, like a
nickname from a names list. A short form counts only where it is plainly one: a single
capitalised word straight after a person found, set off by a comma or a full stop (or in
brackets), that is shorter than the first name and starts with its first two letters
(`Bart` of `Bartholomew`, `Hetty` of `Henrietta`), or is the name's initials in capitals
(`MK` of `Mary Kate`); never a stop word, role or title ("Henrietta Loveday, Chair, ..." is
not a short form; "Rosa Vance, Ro" is).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Iterator

from pipeline.pseudonymise.entities import Mention
from pipeline.pseudonymise.lexicon import is_english
from pipeline.pseudonymise.names import NOT_NAMES, ROLE_WORDS, TITLE_WORDS
from pipeline.pseudonymise.ner import stop_words
from pipeline.pseudonymise.shapes import STREET_WORDS, ends_as_org
from pipeline.pseudonymise.spans import DisjointSpans
from pipeline.pseudonymise.vocabulary import LOWER, UPPER

__all__ = ["find_repeated_names", "add_short_forms"]

_WORD = r"[^\W\d_][\w'’-]*[^\W\d_]"
_REPEATED = re.compile(rf"(?<![\w'’-])(?P<first>{_WORD}),?[ \t]+(?P<again>(?P=first))[ \t]+(?P<last>{_WORD})(?![\w'’-])",
                       re.IGNORECASE)
# the words streets end with, and buildings and parks ("Corran House", "Corran Park")
_STREET_END = re.compile(rf"(?i)\b(?:{STREET_WORDS}|House|Hall|Park)$")
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
                continue  # no case to go by: the dictionary decides ("form, form number")
        yield match.start("first"), match.end("first"), "PERSON"
        yield match.start("again"), match.start("last") + len(_plain(last)), "PERSON"


def _left(first: str, last: str) -> bool:
    """Words that are no first name, or a last word that makes the name a site."""
    low, end = first.lower(), _plain(last).lower()
    common = stop_words() | _NUMBERS | NOT_NAMES | ROLE_WORDS | TITLE_WORDS
    return (low in common or end in common or ends_as_org(_plain(last)[:1].upper() + _plain(last)[1:].lower())
            or _STREET_END.search(end) is not None)


def _cased_alike(*words: str) -> bool:
    """All capitalised, all lower case or all in capitals (not "dovetail, Dovetail Maple")."""
    return (all(w.islower() for w in words) or all(w.isupper() for w in words)
            or all(w[:1].isupper() and not w.isupper() for w in words))


def _plain(word: str) -> str:
    """A word without its possessive ending ("canoe's" -> "canoe")."""
    return re.sub(r"['’]s?$", "", word)

# ", Bart," / ", Hetty." / ". Hetty." / " (MK)" straight after the name
_AFTER = re.compile(rf"(?:[,.][ \t]+(?P<word>{UPPER}{LOWER}{{1,7}})(?=[,.;:)]|[ \t]*$|[ \t]*\n)"
                    rf"|[ \t]+\((?P<initials>[A-Z]{{2,3}})\))")


def add_short_forms(kept: list[Mention], text: str) -> list[Mention]:
    """``kept`` with every capitalised occurrence of a person's introduced short form
    added as that person, where nothing else was found or only a guess of another kind."""
    forms: dict[str, Mention] = {}
    for m in kept:
        if m.kind == "PERSON" and (short := _short_form(m, text)):
            forms.setdefault(short, m)
    if not forms:
        return kept
    spans = DisjointSpans(kept)
    pattern = re.compile(rf"(?<![\w'’-])(?:{'|'.join(map(re.escape, sorted(forms, key=len, reverse=True)))})(?![\w’-])")
    for match in pattern.finditer(text):
        if all(_guess(m, match.start(), match.end()) for m in spans.overlapping(match.start(), match.end())):
            person = forms[match.group(0)]
            spans.put(replace(person, start=match.start(), end=match.end(), text=match.group(0), source="pattern"))
    return spans.items


def _short_form(person: Mention, text: str) -> str | None:
    """The short form said right after ``person``'s name, if there is one."""
    match = _AFTER.match(text, person.end)
    parts = re.findall(r"[^\W\d_]+", person.text)
    if not match or not parts:
        return None
    if match.group("initials"):
        initials = "".join(p[0] for p in parts if p[0].isupper())
        return match.group("initials") if len(parts) >= 2 and match.group("initials") == initials[:3] else None
    word, first = match.group("word"), parts[0]
    low = word.lower()
    if low in stop_words() or low in NOT_NAMES or low in ROLE_WORDS or low in TITLE_WORDS:
        return None
    return word if len(word) < len(first) and low[:2] == first[:2].lower() and low != first.lower() else None


def _guess(found: Mention, start: int, end: int) -> bool:
    """Whether a finding of exactly the short form is only a guess at its kind (the
    capitals rules' or the model's "Bart" as an organisation), which the introduction settles."""
    return found.start == start and found.end == end and found.source in ("pattern", "model") and found.kind != "PERSON"
