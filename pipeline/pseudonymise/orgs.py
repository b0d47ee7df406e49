"""Organisations found by how a transcript introduces them rather than by a telling last
word (shapes.py has those):

- the name of a web or e-mail address said beside it ("Kooth, kooth.com",
  "Calder Carers, info@caldercarers.org", "the Property Ombudsman, tpos.co.uk": the
  words, run together or as initials, are a label of the address's host);
- a brand-like word with a capital inside it ("BrightDesk", "LOGbook", "PetAir Cargo");
- an introduction by what it is: "an app called Tidely", "the charity Orla's Fund",
  "Brightwell, a small consultancy", "Kestrel Digital, the firm that ...";
- an acronym whose letters are the initials of an organisation found in the study
  ("the Northern Advice and Liaison Service ... NALS").

These are shapes a researcher's transcripts have in general: an organisation is named,
then its web address, or it is said what it is. They rank as patterns (below the rules,
with the lists, above the model).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Iterable, Iterator

from pipeline.pseudonymise.entities import Mention

__all__ = ["find_orgs", "acronym_of", "host_labels", "find_repeats", "with_article", "COMMON_BRANDS"]

# Host labels that name no one: the www, mail and portal parts, domain endings, and the
# reserved example domains.
_GENERIC_LABELS = frozenset("""
www www2 mail email e-mail web online app apps portal my login secure sites site shop store blog news m
com org net edu gov ac co uk ie io info biz coop scot wales cymru eu de fr nl es it pt pl au nz ca us in
ng ke za app dev ai me tv ly nhs sch police mod example test localhost
""".split())
# Host labels that are everyday words for a part of a website ("forms.", "rota."): an
# organisation wrongly found under such a name must not make every "forms" a name.
_WORD_LABELS = frozenset("""
data forms form upload tickets donate give dashboard training support help booking bookings jobs careers
members account pay map docs files calendar events learn learning shop news health care council library
portal survey research intranet staff students contact info admin office team services service community
home school college hub network rota press consent chat wiki vault union track timetable scholarships
referrals planning petitions housing claims archive catalogue desk
""".split())
# A capitalised word, number-word ("13YARN") or "&"; words that start a sentence are
# allowed: the match against an address decides.
_WORD = r"[A-Z0-9][\w'’&+-]*"
_RUN = re.compile(rf"(?<![\w@./-]){_WORD}(?:\s+(?:(?:of|and|&|the|for|on|in|de)\s+)?{_WORD}){{0,6}}")
_MINOR = frozenset("of and & the for on in de".split())
# Widely used platforms and degrees: they identify no one.
COMMON_BRANDS = frozenset("""
whatsapp youtube linkedin facebook instagram twitter google gmail outlook zoom skype signal telegram snapchat
reddit discord powerpoint facetime paypal tiktok github javascript playstation
sharepoint onedrive onenote macbook chatgpt phd mphil dphil bsc msc ma ba covid
""".split())
# Surname prefixes that put a capital inside a person's name ("McIntyre", "DeLuca").
_NAME_PREFIX = re.compile(r"^(?:Mc|Mac|Fitz|De|Di|Da|Du|La|Le|Van|Von|St|O)[A-Z]")
_CAMEL = re.compile(r"(?<![\w@./'’-])(?:[A-Z][a-z]+(?:[A-Z][a-z]{2,})+|[A-Z]{2,}[a-z]{2,})\w*(?![\w@/-]|\.\w)")
# A short acronym written with a small letter between capitals ("DfE", "GPhC", "TRiM",
# "MiDAS"): bodies and schemes spell their initials so (of, for, the in lower case); a word
# of 3-6 letters with two capitals or more, not a degree ("PhD") nor a name prefix ("McK").
_MIXED = re.compile(r"(?<![\w@./'’-])(?=[A-Za-z]{3,6}(?![\w@/-]|\.\w))[A-Z][A-Za-z]*[a-z][A-Z][A-Za-z]*")
# Everyday abbreviations written so: they name no one.
_GENERIC_MIXED = frozenset("phd dphil mphil msc bsc wifi mot dob qol iot bme sme".split())
_CAP_AFTER = re.compile(r"(?:\s+(?!(?:The|A|An|And|But|Or|So|In|On|At|To|For)\b)[A-Z][\w'’&-]+){0,2}")
# What an organisation is said to be.
_ORG_NOUNS = (r"charity|company|firm|brand|start-?up|app|platform|service|helpline|network|group|agency|"
              r"provider|supplier|consultancy|organi[sz]ation|business|website|scheme|union|bank|shop|"
              r"caf[eé]|studio|society|club|co-?op|cooperative|co-operative|collective|social\s+enterprise|"
              r"registrar|insurer|landlord|funder|regulator|portal|software|subscription|retailer|"
              r"manufacturer|chain|practice|trust|foundation|project|programme|program|initiative|"
              r"publisher|broadcaster|newspaper|label|partnership")
_FUNCTION = frozenset("""
a an the at in on of for from with and or to by who which that she he they it is was are were
my our your his her their this these those as but not nurse worker manager officer
""".split())
_NAME = rf"(?P<name>{_WORD}(?:\s+(?:(?:of|and|&|the|for)\s+)?{_WORD}){{0,4}})"
_CALLED = re.compile(rf"\b(?i:a|an|the|our|their)\s+(?:[a-z-]+\s+){{0,2}}(?:{_ORG_NOUNS})\s+"
                     rf"(?:(?:called|named|known\s+as)\s+)?{_NAME}")
_APPOSITION = re.compile(rf"{_NAME}\s*,\s+(?:a|an|the)\s+(?P<between>(?:[\w-]+\s+){{0,3}}?)"
                         rf"(?:{_ORG_NOUNS})(?=\s*[,.;:)]|\s+(?:that|which|who|in|for|from|based|run|with|of|on)\b)")
# "the Parkwise app", "the NHS App": a capitalised name before "app" (kept when "App" is capitalised)
_APP = re.compile(rf"(?<![\w'’&.-])(?P<name>{_WORD}(?:\s+{_WORD}){{0,3}}?)(?:\s+app\b|(?P<app>\s+App\b))")
_SENTENCE_WORDS = frozenset("""
The A An Our Their This That These Those My Your His Her Its We I You They He She It And But Or So If When
Where What Which Who Why How Then There Here Yes No Okay Well Also Every Each Some Any All Interviewer Interview
""".split())


def host_labels(addresses: Iterable[str]) -> set[str]:
    """The telling labels of the hosts of e-mail and web addresses ("kooth" of
    "https://www.kooth.com/chat", "caldercarers" of "info@caldercarers.org.uk")."""
    labels: set[str] = set()
    for address in addresses:
        host = re.sub(r"^(?:[a-z]+://)?(?:[^@/\s]*@)?", "", address.strip().lower()).split("/")[0].split("?")[0]
        for label in host.split("."):
            if len(label) >= 3 and label not in _GENERIC_LABELS:
                labels.add(label)
                labels.add(label.replace("-", ""))
    return labels


def acronym_of(name: str) -> str:
    """The initials of a name of two or more words, minor words skipped
    ("Patient Advice and Liaison Service" -> "PALS"); "" for one word."""
    words = [w for w in re.split(r"[\s,]+", name) if w and w.lower() not in _MINOR and w[:1].isalnum()]
    return "".join(w[0] for w in words).upper() if len(words) >= 2 else ""


def find_orgs(text: str, labels: set[str]) -> Iterator[tuple[int, int, str]]:
    """(start, end, "ORG") of every organisation introduced by one of the shapes above;
    ``labels`` are the host labels of the addresses said in the same document."""
    if labels:
        yield from _named_by_address(text, labels)
    for match in _CAMEL.finditer(text):
        word = match.group(0)
        if word.lower() not in COMMON_BRANDS and not _NAME_PREFIX.match(word):
            tail = _CAP_AFTER.match(text, match.end())
            yield match.start(), tail.end() if tail else match.end(), "ORG"
    for match in _MIXED.finditer(text):
        if match.group(0).lower() not in COMMON_BRANDS | _GENERIC_MIXED and not _NAME_PREFIX.match(match.group(0)):
            yield match.start(), match.end(), "ORG"
    for match in _APP.finditer(text):
        span = _trimmed(match)
        if span and match.group("name").lower() not in COMMON_BRANDS:
            yield span[0], match.end() if match.group("app") else span[1], "ORG"
    for pattern in (_CALLED, _APPOSITION):
        for match in pattern.finditer(text):
            if pattern is _APPOSITION and set(match.group("between").split()) & _FUNCTION:
                continue  # "Maria, the nurse at the practice": a person, then a place
            span = _trimmed(match)
            if span and span[1] - span[0] >= 3 and match.group("name").lower() not in COMMON_BRANDS:
                yield span[0], span[1], "ORG"


def _trimmed(match: re.Match[str]) -> tuple[int, int] | None:
    """The name without words that start sentences ("The", "Our") at its front."""
    words = list(re.finditer(r"\S+", match.group("name")))
    while words and words[0].group(0) in _SENTENCE_WORDS:
        words.pop(0)
    if not words:
        return None
    offset = match.start("name")
    return offset + words[0].start(), offset + words[-1].end()


def _named_by_address(text: str, labels: set[str]) -> Iterator[tuple[int, int, str]]:
    """Runs of capitalised words whose first words, run together or as initials, are a
    host label; the whole run is the name ("PetAir Cargo" beside petair.com)."""
    for run in _RUN.finditer(text):
        words = list(re.finditer(r"\S+", run.group(0)))
        for first in range(len(words)):
            word = words[first].group(0)
            if word != "The" and (word in _SENTENCE_WORDS or word.lower() in _MINOR):
                continue  # "The" may start a name run together ("The Silver Line", thesilverline.org)
            last = _matching_end(words, first, labels)
            if last is not None:
                while last + 1 < len(words) and words[last + 1].group(0).lower() not in _MINOR:
                    last += 1  # the capitalised words straight after belong to the name
                end = words[last].end()
                yield run.start() + words[first].start(), run.start() + _strip_possessive(run.group(0), end), "ORG"
                break


def _matching_end(words: list[re.Match[str]], first: int, labels: set[str]) -> int | None:
    """The index of the last word of the longest stretch from ``first`` that names a label."""
    best = None
    for last in range(first, min(len(words), first + 7)):
        part = [w.group(0) for w in words[first:last + 1]]
        if part[-1].lower() in _MINOR or part == ["The"]:
            continue
        joined = re.sub(r"[^0-9a-z]", "", "".join(part).lower().replace("&", "and"))
        initials = acronym_of(" ".join(part)).lower()
        if (len(joined) >= 3 and joined in labels) or (len(initials) >= 3 and initials in labels):
            best = last
    return best


def _strip_possessive(run: str, end: int) -> int:
    """Where the run ends without a trailing possessive or punctuation."""
    tail = re.search(r"(?:['’]s?|[.,:;-])+$", run[:end])
    return end - len(tail.group(0)) if tail else end


def find_repeats(text: str, names: Iterable[str], labels: set[str]) -> Iterator[tuple[int, int, str]]:
    """(start, end, name) of every other mention, in any casing, of an organisation found
    in this text whose name (or its first word) is the host label of an address said in
    the same text: "Tolvane Living ... tolvane.example.com ... tolvane managers".
    The address shows the name is a name, so its lower-case repeats are too."""
    forms: dict[str, str] = {}
    for name in names:
        words = re.sub(r"^(?:the|The)\s+|['’]s?$", "", name).split()
        for form in (" ".join(words), words[0] if words else ""):
            joined = re.sub(r"[^0-9a-z]", "", form.lower().replace("&", "and"))
            if len(joined) >= 4 and joined in labels and joined not in COMMON_BRANDS and joined not in _WORD_LABELS:
                forms.setdefault(form.lower(), name)
    if not forms:
        return
    body = "|".join(r"\s+".join(map(re.escape, form.split())) for form in sorted(forms, key=len, reverse=True))
    for match in re.finditer(rf"(?<![\w@./-])(?:{body})(?![\w@/-]|\.\w)", text, re.IGNORECASE):
        yield match.start(), match.end(), forms[" ".join(match.group(0).lower().split())]


def with_article(found: list[Mention], text: str) -> list[Mention]:
    """An organisation written with a capital "The" before it ("The Silver Line") keeps it."""
    out = []
    for m in found:
        if m.kind == "ORG" and m.start >= 4 and text[m.start - 4:m.start] == "The " and not m.text.startswith("The"):
            m = replace(m, start=m.start - 4, text=text[m.start - 4:m.end])
        out.append(m)
    return out
