"""Names recognised by their shape rather than by a list or the model: street addresses
("41 Kedleston Road", "Flat 2, Elm Court"), organisations named with a telling last
word ("Datenwerk GmbH", "Bradford Council", "University of Leeds") and people written
as initials ("Mr T.", "J.B.", or "K." once the speaker has said "I'll call him K.").

These rank with the lists (a listed name of the same length wins) and above the model.
"""

from __future__ import annotations

import re
from typing import Iterator

from pipeline.pseudonymise.vocabulary import UPPER

__all__ = ["find_shapes", "find_lower_case_shapes", "lower_case_document", "title_cased", "ends_as_org",
           "STREET_WORDS"]

_CAP = rf"(?:{UPPER}[\w'’&.-]*|[A-Z]{{2,}})"  # a capitalised word ("St", "O'Neill", "NHS")
# Every pattern starts only where a word starts (a look-behind, not \b), so a long run
# such as "A.A.A.A..." is scanned once rather than once per letter.
# Capitalised words that start sentences or name no one: never the first word of a name.
_NOT_FIRST = frozenset("""
The A An Our Their This That These Those My Your His Her Its We I You They He She It And But Or So
If When Where What Which Who Why How Then There Here Yes No Okay Well Also Every Each Some Any All
Last Next First New Old Local Primary Secondary Main Yesterday Today Tomorrow Now Later Recently Sometimes
""".split())
STREET_WORDS = ("Road|Street|Lane|Avenue|Drive|Close|Way|Crescent|Grove|Terrace|Place|Square|Gardens|"
                 "Row|Walk|Wharf|Quay|Mews|Parade|Rise|Cottages|Court|Hill|Green|Yard")
_ORG_WORDS = ("Ltd|Limited|GmbH|LLP|plc|PLC|Inc|CIC|Trust|Council|Foundation|University|College|School|"
              "Academy|Hospital|Hospitals|ICB|Group|Association|Society|Centre|Center|Partnership|"
              "Co-op|Cooperative|Co-operative|Alliance|Network|Service|Services|Authority|Agency|Government|"
              "Church|Surgery|Practice|Clinic|Institute|Club|Collective|Federation|Union|Consortium|Pharmacy|"
              "Library|Museum|Board|Commission|Department|Police|"
              # names of services, funds and firms: "Employee Assistance Programme", "Legal Aid"
              "Fund|Programme|Aid|Advice|Ombudsman|Team|Partners|Ventures|Labs?|Studios?|Solicitors|"
              "Associates|Consulting|Consultancy|Coaches|Motors|Healthcare|Homes|Housing|Estates|Cargo|"
              "Logistics|Systems|Solutions|Technologies|Media|Initiative|Hub|Bank|Infirmary|Hospice|Nursery|"
              "Switchboard|Therapies|Therapy|Primary|Infants|High")
_CONNECT = r"(?:(?:\s+(?:of|for|&|de|du|von|van|on|upon|the)){0,2}|\s+and)"
# "Arts Council of Wales", "Illinois Department of Employment Security"
_ORG_TAIL = r"(?:\s+(?:of|for)\s+(?:the\s+)?[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+){0,3})?"
_STREET = re.compile(
    rf"(?:\b(?:Flat|Unit|Suite|Apartment|Apt)\s+\d+[A-Z]?,?\s+)?(?:\b\d+[A-Z]?,?\s+)?"
    rf"(?<![\w'’&.-])(?P<name>{_CAP}(?:\s+{_CAP}){{0,2}})\s+(?:{STREET_WORDS})\b")
_ORG = re.compile(rf"(?<![\w'’&.-])(?P<name>{_CAP}(?:{_CONNECT}\s+{_CAP}){{0,4}})\s+(?:{_ORG_WORDS})\b(?!-){_ORG_TAIL}")
_ORG_OF = re.compile(rf"\b(?:University|College|Institute|Museum|Bank|Council|Diocese|Archdiocese|Department|"
                     rf"Ministry)\s+(?:of|for)(?:\s+the)?\s+{_CAP}(?:\s+{_CAP}){{0,2}}")
# A body named for its nation: "NHS England", "Police Scotland", "Innovate UK" (not "North Wales")
_NATIONAL = re.compile(r"(?<![\w'’&.-])(?!(?:North|South|East|West|Mid|Central|Northern|Southern|Eastern|Western|New|"
                       r"Great|Rural|Urban|In|At|To|From|Across|Around|Of|And|The|All|Whole|Modern)\b)"
                       r"[A-Z][\w'’-]+\s+(?:England|Scotland|Wales|Cymru|Ireland|UK|NI)\b")
# "St Anthony's": a school, church, hospice or hospital named for a saint
_SAINTS = re.compile(r"\bSt\.?\s+[A-Z][a-z]+['’]s\b")
_TITLE_INITIAL = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?\s+[A-Z]\.(?:\s?[A-Z]\.)*")
_INITIALS = re.compile(r"(?<![\w.])[A-Z]\.(?:\s?[A-Z]\.){1,2}(?:\s[A-Z][a-z][\w'’-]+(?=\W|$))?(?![\w])")
_NOT_INITIALS = frozenset({"UK", "US", "UN", "EU", "NB", "PS", "AM", "PM", "BA", "MA", "BC", "AD", "OK", "IE", "EG"})
# "I'll call him K.", "known as J." introduce a person by an initial for the whole document
_INTRODUCED = re.compile(r"\b(?:call(?:ed|ing)?(?:\s+(?:him|her|them))?|known\s+as|refer\s+to\s+(?:him|her|them)\s+as)"
                         r"\s+(?P<initial>[A-Z])\.")


def find_shapes(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, kind) of every street address, organisation and initial found by shape."""
    yield from _streets(text)
    for match in _ORG.finditer(text):
        start = _first_word_start(match)
        if start is not None:
            yield from _split_pair(text, start, match.end())
    for pattern in (_ORG_OF, _NATIONAL, _SAINTS):
        for match in pattern.finditer(text):
            yield match.start(), match.end(), "ORG"
    yield from _initials(text)


# Last words that close a name (not "Advice", as in "Heathfield Advice and Repair Service")
_ENDS_ORG = re.compile(r"\b(?:Ltd|Limited|GmbH|LLP|plc|PLC|Inc|CIC|Trust|Council|Foundation|University|College|School|"
                       r"Academy|Hospital|Hospitals|Surgery|Practice|Clinic|Primary|High|Infants|Church|Club|Library|"
                       r"Museum|Pharmacy|Hospice|Nursery|Bank|Police)$")


def ends_as_org(name: str) -> bool:
    """Whether a name's last word is one organisations end with ("Trust", "Ltd", "Services")."""
    return re.search(rf"\b(?:{_ORG_WORDS}|Fire|Rescue|Ambulance|UTC)$", name) is not None


def _streets(text: str) -> Iterator[tuple[int, int, str]]:
    """Street addresses by their last word ("14 Calder Road"), from the first word that can start a name."""
    for match in _STREET.finditer(text):
        start = _first_word_start(match)
        if start is not None:
            yield start, match.end(), "PLACE"


def _split_pair(text: str, start: int, end: int) -> Iterator[tuple[int, int, str]]:
    """Two organisations joined by "and" ("Hollin Primary and Kestrel High") are two."""
    name = text[start:end]
    cut = name.find(" and ")
    if cut > 0 and _ENDS_ORG.search(name[:cut]):
        yield start, start + cut, "ORG"
        yield start + cut + 5, end, "ORG"
    else:
        yield start, end, "ORG"


def _first_word_start(match: re.Match[str]) -> int | None:
    """Where the name starts once leading sentence words ("The", "Our") are dropped;
    None if nothing capitalised is left before the street or organisation word."""
    words = list(re.finditer(r"\S+", match.group("name")))
    ends = [i for i, w in enumerate(words) if re.search(r"[a-z]{2}[.!?]$", w.group(0))]
    if ends:  # "... North Wales. Then the Arts Council": the name starts after the sentence's end
        words = words[ends[-1] + 1:]
    inner_the = [i for i, w in enumerate(words) if i and (w.group(0) == "The" or (
        w.group(0) == "the" and words[i - 1].group(0) not in ("of", "for", "on", "upon", "&")))]
    if inner_the:  # "Ring The Quiet Harbour Trust", "Contact the Lea Trust": the name starts after a verb
        words = words[inner_the[-1] + (words[inner_the[-1]].group(0) == "the"):]
    while words and (words[0].group(0) in _NOT_FIRST or words[0].group(0)[:1].islower()):
        words.pop(0)
    if not words:
        return None
    if match.start() < match.start("name"):  # a house or flat number before the name
        return match.start() if words[0].start() == 0 else match.start("name") + words[0].start()
    return match.start("name") + words[0].start()


def _initials(text: str) -> Iterator[tuple[int, int, str]]:
    for match in _TITLE_INITIAL.finditer(text):
        yield match.start(), match.end(), "PERSON"
    for match in _INITIALS.finditer(text):
        if re.sub(r"[\s.]", "", match.group(0)[:6]).upper()[:2] not in _NOT_INITIALS:
            yield match.start(), match.end(), "PERSON"
    for initial in {m.group("initial") for m in _INTRODUCED.finditer(text)}:
        for match in re.finditer(rf"(?<![\w.]){initial}\.(?!\w)", text):
            yield match.start(), match.end(), "PERSON"


# Function words stay lower case when an uncorrected transcript is title-cased for the
# street and organisation shapes, so a name starts after "the", "at" or "in".
_FUNCTION_WORDS = frozenset("""
the a an and or but of to in on at by for with from as is was are were be been being it its he she they we
you i me him her them us my your his our their this that these those there here who which what when where
how why not no so if then than too very just also only about into over after before up down out off again
all any both each some such can will would should could may might must do does did have has had am via
yes yeah okay ok oh well like um uh er erm mm said says say get got go goes went come comes came run runs
ran work works worked one two three four five six seven eight nine ten first last next new old big small
rang rings called calls told tells lives lived helped helps sent sends took takes gave gives made makes
wants wanted needs needed used uses uses is isn't wasn't don't didn't can't won't it's that's she's he's
""".split())
_LABEL = re.compile(r"(?m)^[^\n:]{1,40}:")
# In lower case these end everyday phrases ("a peer support group", "immigration advice")
# as often as names: only the other organisation words count there.
_WEAK_HEADS = frozenset("group advice aid service services team network programme therapy therapies".split())


def lower_case_document(text: str) -> bool:
    """Whether a text is an uncorrected automatic transcript in lower case (speaker labels
    aside): fewer than 2 in 100 of its words start with a capital."""
    words = re.findall(r"\b[^\W\d_][\w'’-]*", _LABEL.sub("", text))
    capitals = sum(w[0].isupper() and w not in ("I", "I'm", "I've", "I'll", "I'd") for w in words)
    return len(words) >= 50 and capitals < len(words) / 50


def title_cased(text: str, keep: frozenset[str] = frozenset()) -> str:
    """``text`` with every word but function words (and ``keep``) capitalised; the same length."""
    return re.sub(r"\b[a-z][\w'’-]*", lambda m: m.group(0) if m.group(0) in _FUNCTION_WORDS or m.group(0) in keep
                  else m.group(0)[0].upper() + m.group(0)[1:], text)


def find_lower_case_shapes(text: str) -> Iterator[tuple[int, int, str]]:
    """Streets and organisations by their last word in a lower-case transcript ("on
    calder road", "at the brinton medical centre"): the shapes are matched on a copy
    with every word but function words capitalised (the same length, so offsets hold)."""
    titled = title_cased(text)
    yield from _streets(titled)
    for match in _ORG.finditer(titled):
        start = _first_word_start(match)
        if start is not None and text[match.start():match.end()].split()[-1] not in _WEAK_HEADS:
            yield start, match.end(), "ORG"
