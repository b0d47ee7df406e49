"""An organisation named with its acronym beside it: "Transport for London, TfL",
"Positive Action in Housing, PAIH", "B4RN, Broadband for the Rural North", "the Irish
Farmers' Association (IFA)". A speaker spells out an acronym for the listener; when the
initials of the capitalised words next to it give the acronym's letters, both are the
name of one body. The long form needs no telling last word ("Council", "Trust") and the
acronym need not be all capitals, so the other shape rules miss both.

Both are returned as organisations; detection then looks for them (and the acronym in
capitals) across the study as it does for every organisation found by its shape, and
``link_acronyms`` gives an acronym the code of its long form.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Iterator, Sequence

from pipeline.pseudonymise.entities import Mention
from pipeline.pseudonymise.phrases import GENERIC_ACRONYMS

__all__ = ["find_acronym_pairs", "find_lower_acronym_pairs", "link_acronyms"]

# Two or more capitals among up to eight letters (three or more letters) and digits ("TfL", "DfE", "B4RN", "PAIH").
_ACRONYM = re.compile(r"(?<![\w'’&.@/-])[A-Z][A-Za-z0-9&]{1,7}(?![\w'’&@/-]|\.\w)")
_TOKEN = re.compile(r"[^\W_][\w'’&-]*")
# Words an acronym leaves out; "for" may be a digit ("B4RN").
_MINOR = frozenset("of for and & the in at on to de du na nan y an a".split())
_SEPARATOR = re.compile(r"\s*(?:,|\(|\)|-|–|—)?\s*(?:the\s+|The\s+)?")
_BETWEEN_WORDS = re.compile(r"(?:,\s*|\s+)")
_MAX_WORDS = 9


def find_acronym_pairs(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, "ORG") of each acronym whose long form is said right before or after
    it, and of that long form."""
    for match in _ACRONYM.finditer(text):
        acronym = match.group(0)
        letters = re.sub(r"[^a-z]", "", acronym.lower())
        if sum(c.isupper() for c in acronym) < 2 or len(letters) < 3 or acronym.upper() in GENERIC_ACRONYMS:
            continue  # two letters are a person's initials as often ("Mark Owen (MO)"); "CEO" names a role
        long = _long_before(text, match.start(), letters) or _long_after(text, match.end(), letters)
        if long:
            yield match.start(), match.end(), "ORG"
            yield long[0], long[1], "ORG"


def _long_before(text: str, start: int, letters: str) -> tuple[int, int] | None:
    """The name ending just before the acronym at ``start`` whose initials are ``letters``."""
    window = text[max(0, start - 150):start]
    cut = re.search(r"(?:\s*,\s*|\s*\(\s*|\s+[-–—]\s+)(?:the\s+)?$", window)
    if not cut:
        return None
    offset = start - len(window)
    words = _words(window[:cut.start()], offset, from_end=True)
    for n in range(2, min(len(words), _MAX_WORDS) + 1):
        if _matches(words[-n:], letters):
            return words[-n][0], words[-1][1]
    return None


def _long_after(text: str, end: int, letters: str) -> tuple[int, int] | None:
    """The name starting just after the acronym ending at ``end`` whose initials are ``letters``."""
    gap = re.match(r"(?:\s*,\s*|\s*\(\s*|\s+[-–—]\s+)(?:the\s+)?", text[end:end + 10])
    if not gap:
        return None
    window_start = end + gap.end()
    words = _words(text[window_start:window_start + 150], window_start, from_end=False)
    for n in range(2, min(len(words), _MAX_WORDS) + 1):
        if _matches(words[:n], letters):
            return words[0][0], words[n - 1][1]
    return None


def _words(segment: str, offset: int, from_end: bool) -> list[tuple[int, int, str]]:
    """The words of ``segment`` next to the acronym, up to the first break that is not a
    space or a comma (a full stop, a bracket, a line end)."""
    tokens = list(_TOKEN.finditer(segment))
    if from_end:
        tokens.reverse()
    run: list[re.Match[str]] = []
    for token in tokens:
        if run:
            gap = segment[token.end():run[-1].start()] if from_end else segment[run[-1].end():token.start()]
            if not _BETWEEN_WORDS.fullmatch(gap):
                break
        run.append(token)
        if len(run) > _MAX_WORDS:
            break
    if from_end:
        run.reverse()
    return [(offset + t.start(), offset + t.end(), t.group(0)) for t in run]


def _matches(words: list[tuple[int, int, str]], letters: str) -> bool:
    """Whether capitalised ``words`` (minor words allowed inside) have ``letters`` as initials."""
    names = [w for _, _, w in words]
    if not (names[0][:1].isupper() and names[-1][:1].isupper()):
        return False
    major = [w for w in names if w.lower() not in _MINOR]
    if len(major) < 2 or not all(w[:1].isupper() or w[:1].isdigit() for w in major):
        return False
    initials = "".join(w[0].lower() for w in major)
    every = "".join(w[0].lower() for w in names)
    return letters in (initials, every)


# Short words that are initials of the words before them by chance ("we all saw was").
_NOT_ACRONYMS = frozenset("""
was are all any can did got had has not now our out see she too two use way who why yes you new old one ago yet
its him her them his hers they then than that this what when with will would could should been being here there
also just like well very much many more most some such only even back down over into onto from have make made
""".split())
_LOWER_TOKEN = re.compile(r"(?<![\w'’@./-])[a-z]{3,6}(?![\w'’@/-]|\.\w)")
_LOWER_GAP = re.compile(r"(?:\s*,\s*|\s+(?:the\s+|that's\s+|that\s+is\s+)?)$")


def find_lower_acronym_pairs(text: str) -> Iterator[tuple[int, int, str]]:
    """In an uncorrected lower-case transcript: (start, end, "ORG") of a lower-case
    acronym said right after its long form ("highlands and islands enterprise hie", "the
    department for education the dfe"), and of that long form (three or more letters; the
    long form of two words only where its minor words count too: "dfe")."""
    for match in _LOWER_TOKEN.finditer(text):
        letters = match.group(0)
        if letters in _NOT_ACRONYMS:
            continue
        window = text[max(0, match.start() - 150):match.start()]
        gap = _LOWER_GAP.search(window)
        if not gap:
            continue
        offset = match.start() - len(window)
        words = _words(window[:gap.start()], offset, from_end=True)
        for n in range(2, min(len(words), _MAX_WORDS) + 1):
            if _lower_matches(words[-n:], letters):
                yield match.start(), match.end(), "ORG"
                yield words[-n][0], words[-1][1], "ORG"
                break


def _lower_matches(words: list[tuple[int, int, str]], letters: str) -> bool:
    names = [w.lower() for _, _, w in words]
    if names[0] in _MINOR or names[-1] in _MINOR:
        return False
    major = [w for w in names if w not in _MINOR]
    return (len(major) >= 2 and "".join(w[0] for w in major) == letters) or "".join(w[0] for w in names) == letters


def _initials(name: str) -> set[str]:
    """The initials an acronym of ``name`` may have: of its major words, and of all its words."""
    words = [w.lower() for w in re.findall(r"[^\W_][\w'’&-]*", name)]
    major = [w for w in words if w not in _MINOR]
    return {"".join(w[0] for w in major), "".join(w[0] for w in words)} if len(major) >= 2 else set()


def link_acronyms(mentions: Sequence[Mention]) -> list[Mention]:
    """An organisation's acronym ("TfL", "hie") gets the entity, so the code, of its long
    form found anywhere in the study ("Transport for London"), as a reader would."""
    long_forms: dict[str, str] = {}
    for m in mentions:
        if m.kind == "ORG" and " " in m.text.strip():
            for key in _initials(m.text):
                long_forms.setdefault(key, m.entity)
    linked = []
    for m in mentions:
        key = re.sub(r"[^a-z]", "", m.text.lower())
        if m.kind == "ORG" and " " not in m.text.strip() and len(key) >= 3 and key in long_forms:
            m = replace(m, entity=long_forms[key])
        linked.append(m)
    return linked
