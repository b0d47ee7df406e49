"""A name found once in a document is said again in that document in other ways, which
the model and the shape rules miss because they look at capitals: in lower case where a
clause starts ("Vets Now cover nights. vets now send us a summary", "PayPoint ...;
paypoint's helpdesk"), with a possessive ("Lumo Fibre ... lumo's customers"), or in
capitals ("BRIGHTWATER OUT"). These echoes are the same entity.

An organisation is also echoed by the first word of its name ("Swaledale Networks ...
swaledale's NOC", "Bensham Family Practice ... bensham had forty letters"), unless that
word is a place found in the document or a word many names start with ("North", "Royal").

Kept narrow on purpose, because a one-word name may also be a word ("Premier", "Epic"):
a one-word name or first word counts again in another casing only at a clause's start,
with a possessive, or in capitals (a name with a capital inside, "SignWorks", anywhere: run
together in lower case it is no English word), and never where the document writes that word in
lower case inside a sentence as well ("the family's case" for "Family Action": the
document shows it is a word); a name of two or more words in any casing. Only organisations
and places the document itself names with a capital are echoed, and only where nothing
else was found.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Iterator, Sequence

from pipeline.pseudonymise.entities import Mention
from pipeline.pseudonymise.names import FUNCTION_WORDS, NOT_NAMES, ROLE_WORDS
from pipeline.pseudonymise.spans import DisjointSpans
from pipeline.pseudonymise.vocabulary import is_group_word

__all__ = ["add_echoes", "find_echoes"]

# Words many organisations' names start with: alone they name none of them.
_COMMON_FIRST = frozenset("""
north south east west northern southern eastern western central royal national british english scottish welsh
irish new old great little st saint city county greater united general first community citizens young
""".split())
_CLAUSE_START = re.compile(r"(?:^|[.;:!?]\s+|\n\s*)(?:(?:the|The)\s+)?$")
_POSSESSIVE = re.compile(r"['’]s?(?!\w)")


def find_echoes(text: str, names: Sequence[tuple[str, str]]) -> Iterator[tuple[int, int, str]]:
    """(start, end, name) of each other mention of one of ``names`` ((as written in
    ``text``, capitalised; kind)) that is an echo by the rules above."""
    forms: dict[str, tuple[str, str]] = {}  # lower case -> (the name it echoes, as the name writes it)
    places = {" ".join(n.lower().split()) for n, kind in names if kind == "PLACE"}
    for name, kind in names:
        form = re.sub(r"^(?:the|The)\s+|['’]s?$", "", " ".join(name.split()))
        if _echoable(form):
            forms.setdefault(form.lower(), (name, form))
        first = re.sub(r"['’]s?$", "", form.split()[0]) if " " in form else ""
        if kind == "ORG" and _echoable(first) and first.lower() not in places | _COMMON_FIRST:
            forms.setdefault(first.lower(), (name, first))
    words = _words_in_sentences(text) if forms else set()
    forms = {k: v for k, v in forms.items() if " " in k or k not in words or _camel(v[1])}
    if not forms:
        return
    body = "|".join(r"\s+".join(map(re.escape, f.split())) for f in sorted(forms, key=len, reverse=True))
    for match in re.finditer(rf"(?<![\w@./-])(?:{body})(?![\w@/-]|\.\w)", text, re.IGNORECASE):
        written = match.group(0)
        name, as_named = forms[" ".join(written.lower().split())]
        if (" " in written or written.isupper() or written == as_named or _camel(as_named)
                or _said_again(text, match.start(), match.end())):
            yield match.start(), match.end(), name


def _camel(form: str) -> bool:
    """Whether a one-word name has a capital inside it and small letters ("SignWorks",
    "MomConnect"): run together in lower case ("signworks") it is still no English word,
    so it is an echo anywhere; an acronym ("NICE") is not, its lower case is a word."""
    return " " not in form and any(c.isupper() for c in form[1:]) and any(c.islower() for c in form)


def _echoable(form: str) -> bool:
    key = form.lower()
    return (len(key) >= 3 and form[:1].isupper() and any(c.isalpha() for c in form) and key not in NOT_NAMES
            and key not in ROLE_WORDS and key not in FUNCTION_WORDS and not is_group_word(form))


# A lower-case word after a lower-case word other than "the" (which may start an echo: ". the
# rspca were good"): the words a document uses as words, read once per document.
_IN_SENTENCE = re.compile(r"(?<=[a-z,] )(?<!the )[^\W\d_A-Z][\w'’-]*(?![\w'’@/-]|\.\w)")


def _words_in_sentences(text: str) -> set[str]:
    """The lower-case words ``text`` writes inside its sentences, without a possessive."""
    return set(_IN_SENTENCE.findall(text))


def _said_again(text: str, start: int, end: int) -> bool:
    """Whether a one-word name in another casing starts a clause or has a possessive."""
    return (_POSSESSIVE.match(text, end) is not None
            or _CLAUSE_START.search(text, max(0, start - 8), start) is not None)


def add_echoes(kept: list[Mention], text: str) -> list[Mention]:
    """``kept`` with the echoes of its organisations and places (same entity, found "pattern")."""
    found = {m.text: m for m in kept if m.kind in ("ORG", "PLACE") and m.source != "rule"}
    if not found:
        return kept
    spans = DisjointSpans(kept)
    for start, end, name in find_echoes(text, [(written, m.kind) for written, m in found.items()]):
        if not spans.overlapping(start, end):
            spans.put(replace(found[name], start=start, end=end, text=text[start:end], source="pattern"))
    return spans.items
