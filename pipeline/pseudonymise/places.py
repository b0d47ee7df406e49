"""Places, and people, found by the words around them rather than by the model:

- a capitalised name after a word that locates someone ("in Eastbrook", "from Ardmore",
  "near Little Hatherby", "at Kelso"), not a month, weekday or festival;
- the parts of a postal address before its postcode ("Hollin House, Mill Lane,
  Tadbury, TD4 7QX": each part between commas);
- a flat, unit or suite with the building it is in ("Unit 9, Lark Rise Business Park");
- a person named after their role or relation ("her husband Ion", "the youth worker is
  Summer Hosking", "whose carer, Sioned,", "our SENCo is Mr Rhys ap Gwynedd"), or after a
  title ("Dr Martyn Price", "Reverend Ama Owusu", "Pani Halina").

All but the units only fill gaps: where anything else was found over the same words, that
finding stands (the model's "Brookfield Junior School" is not cut to "Brookfield Junior").
"""

from __future__ import annotations

import re
from typing import Iterator

from pipeline.pseudonymise.lexicon import is_english
from pipeline.pseudonymise.phrases import GENERIC_ACRONYMS
from pipeline.pseudonymise.shapes import title_cased
from pipeline.pseudonymise.vocabulary import LOWER, SPEECH_WORDS, UPPER, is_group_word

__all__ = ["find_place_gaps", "find_person_gaps", "find_lower_case_gaps", "find_units", "find_places_after"]

_WORD = rf"{UPPER}[\w'’-]*"
_NAME = rf"{_WORD}(?:[\s-]+(?:(?:upon|on|y|im|under|le|la|de)\s+)?{_WORD}){{0,2}}"
# "in Ardmore", "In Kaddo", "to Ashby, Pellow and Trenance": each item of the list counts
_LOCATED = re.compile(rf"\b(?:[Ii]n|near|from|outside|around|at|to|via|towards|between|covers?|covering)\s+"
                      rf"(?P<name>{_NAME}(?:(?:\s*,\s*|\s+(?:and|or)\s+){_NAME})*)")
_NOT_PLACES = frozenset("""
January February March April May June July August September October November December
Monday Tuesday Wednesday Thursday Friday Saturday Sunday Christmas Easter Ramadan Eid Diwali
Hanukkah Passover Lent Advent Spring Summer Autumn Winter Year First Last Least Most All Times
The A An My Our Your His Her Their This That I It Total Fact Person English I'm I'll I'd I've
Yes No Okay Ok Well So And But Or Then Thanks Thank Please Sorry Right Sure Both Either
Mr Mrs Ms Miss Mx Dr Prof Professor Sir Dame Rev Reverend Father Sister Pastor Imam Rabbi Cllr Councillor Aunty
""".split())
_NOT_NAMES = frozenset("The A An My Our Your His Her Their This That I It He She We They You Monday Tuesday Wednesday Thursday Friday".split())
_POSTCODE = r"[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b"
_ADDRESS = re.compile(rf"(?P<parts>(?:[A-Z0-9][\w'’-]*(?:\s+(?:upon|on|y|im|of|the|[A-Z0-9][\w'’-]*))*,\s+){{1,4}})"
                      rf"{_POSTCODE}")
# "Unit 9, Lark Rise Business Park", "Flat 3/1, 88 Dixon Avenue"; a building by its number
# or letter ("Building 260", "Building C") is an address on a campus or an estate
_UNIT = re.compile(rf"\b(?:Flat|Unit|Suite|Apartment|Apt|Room)\s+\d+(?:/\d+)?[A-Z]?,?\s+(?:\d+[A-Z]?\s+)?"
                   rf"{_WORD}(?:\s+{_WORD}){{0,3}}|\bBuilding\s+(?:\d+[A-Z]?|[A-Z])\b")


_ROLES = (r"founder|manager|worker|nurse|officer|co-?ordinator|director|lead|teacher|rep|contact|husband|wife|"
          r"partner|son|daughter|mother|father|mum|dad|sister|brother|carer|doctor|adviser|advisor|solicitor|"
          r"chair|secretary|treasurer|organiser|organizer|volunteer|colleague|friend|neighbour|neighbor|boss|"
          r"supervisor|tutor|mentor|student|grandson|granddaughter|grandmother|grandfather|nan|aunt|uncle|"
          r"cousin|niece|nephew|boyfriend|girlfriend|fianc[eé]e?|tenant|landlord|client|patient|caller|driver|"
          r"clerk|SENCo|head|headteacher|principal|registrar|consultant|inspector|engineer|reporter|member")
_PARTICLES = r"ap|de|van|von|bin|bint|al|da|di|le|la|ní|ó|mac"
_ROLE_NAME = re.compile(
    rf"\b(?:{_ROLES})(?:,|\s+(?:is|was|called|named))?\s+"
    rf"(?:(?:Dr|Mr|Mrs|Ms|Miss|Mx|Nurse|Reverend|Rev)\.?\s+)?(?P<name>{_WORD}(?:\s+(?:(?:{_PARTICLES})\s+)?{_WORD}){{0,2}})")


# the role after the name, set off by commas: "Heather, her daughter, takes ...", "Owen, our
# treasurer, said"; a relation's possessive ("my", "her", "the") shows a person is meant (not
# after "of" or "the": "the Clerk of Works, the head mason" is a role)
_NAME_ROLE = re.compile(rf"(?<![\w'’-])(?<!\bof )(?<!\bthe )(?<!\bThe )(?P<name>{_WORD}(?:\s+{_WORD})?),\s+(?:my|his|her|our|their|your|the)\s+"
                        rf"(?:{_ROLES})\b")


_TITLED = re.compile(
    r"\b(?:Dr|Mr|Mrs|Ms|Miss|Mx|Prof|Professor|Reverend|Rev|Father|Imam|Rabbi|Pastor|Councillor|Cllr|Sergeant|"
    r"Sgt|Constable|Judge|Sir|Dame|Aunty|Auntie|Uncle|Pani|Pan|Frau|Herr|Madame|Monsieur|Nurse|Matron)\.?\s+"
    rf"(?P<name>{_WORD}(?:\s+(?:(?:{_PARTICLES})\s+)?{_WORD}){{0,2}})")


def find_person_gaps(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, "PERSON") of a capitalised name straight after a role or relation;
    the caller keeps only those that overlap nothing else it found."""
    spans = set()
    for match in [*_ROLE_NAME.finditer(text), *_TITLED.finditer(text), *_NAME_ROLE.finditer(text)]:
        first = match.group("name").split()[0]
        if first in SPEECH_WORDS or (match.re is _NAME_ROLE and first in _NOT_PLACES):
            continue  # "Yeah, my doctor", "Well, my husband": a word of speech before the role
        if first not in _NOT_NAMES and not (first.isupper() and len(first) <= 3):  # "client ID"
            spans.add((match.start("name"), match.end("name")))  # a title stays: "Dr [PERSON_02]"
    for start, end in sorted(spans):
        yield start, end, "PERSON"


_ROLE_WORDS = frozenset(re.findall(r"[a-z]+", _ROLES))
# What "in", "at" or "from" is followed by in everyday talk ("in touch", "at home", "from
# work"): in a lower-case transcript these are not places.
_NOT_PLACES_LOWER = frozenset("""
touch time person general fact between hospital bed work school college church care prison debt private public
english polish french spanish portuguese arabic urdu welsh town city charge mind total advance future past
home night nights morning mornings evening evenings weekend weekends week weeks month months year years day days
least most first last all full front back line place case order particular short terms trouble pain tears
person people office lunch dinner breakfast class bed therapy court group meetings meeting english
one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen
eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand
""".split())


# In a lower-case transcript "to" is often the infinitive ("had to drive", "needed to toughen",
# "for her to fly"): no place after a word that takes one, nor an everyday verb after "to".
_BEFORE_INFINITIVE = frozenset("""
had have has having need needs needed want wants wanted going got able used try tries tried trying like likes
liked love loved hate would wish decide decided start started begin began help helps helped allowed asked told
expected seem seems seemed plan planned hope hoped tend tends her him them us me everyone everybody someone
anyone people kids children time ought supposed about enough order
""".split())
_EVERYDAY_VERBS = frozenset("""
be do go get make see know say pay sit drive fly take come give keep help find put think tell work use try leave
call ask feel let stay speak talk write read live move pick look start stop change bring buy sell send run walk
wait meet learn show hear play eat sleep sort deal cope explain check fill sign book visit wear hide
""".split())


def find_lower_case_gaps(text: str) -> Iterator[tuple[int, int, str]]:
    """People after a role or title and places after a word that locates, in an
    uncorrected lower-case transcript ("her daughter tesni", "dr ilse maren", "a miner
    in wrexford"): the rules run on a copy with the other words capitalised. Only the
    first place after the word counts ("in leeds, nights" is no list of places)."""
    yield from find_person_gaps(title_cased(text, keep=_ROLE_WORDS))
    titled = title_cased(text)
    for match in _LOCATED.finditer(titled):
        item = re.match(_NAME, match.group("name"))
        first = item.group(0).split()[0] if item else ""
        before = text[max(0, match.start() - 20):match.start()].split()
        if match.group(0)[:3].lower() == "to " and (first.lower() in _EVERYDAY_VERBS
                                                   or (before and before[-1].lower() in _BEFORE_INFINITIVE)):
            continue
        if first and first not in _NOT_PLACES and first.lower() not in _NOT_PLACES_LOWER:
            yield match.start("name"), match.start("name") + item.end(), "PLACE"
    yield from _unknown_words(text)


# A lower-case word of three or more letters, maybe with a possessive; not a speaker's label.
_LOWER_WORD = re.compile(rf"(?<![\w'’@./:-]){LOWER}(?:{LOWER}|['’-]){{2,}}(?![\w@/:-]|\.\w)")


def _unknown_words(text: str) -> Iterator[tuple[int, int, str]]:
    """In an uncorrected lower-case transcript, runs of words no English dictionary holds
    ("i ride for deliveroo", "you know yaseen aslam"): with no capitals to go by, a word
    outside the language is a name far more often than not."""
    run: list[tuple[int, int]] = []
    for match in _LOWER_WORD.finditer(text):
        word = re.sub(r"['’]s?$", "", match.group(0))
        if is_english(word) or word.upper() in GENERIC_ACRONYMS or is_group_word(word) or len(word) < 3:
            continue
        end = match.start() + len(word)
        if run and text[run[-1][1]:match.start()] == " ":
            run[-1] = (run[-1][0], end)
        else:
            run.append((match.start(), end))
    for start, end in run:
        yield start, end, "ORG"


def find_units(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, "PLACE") of "Unit 4, Carlisle Business Centre" and the like."""
    for match in _UNIT.finditer(text):
        yield match.start(), match.end(), "PLACE"


# ", Ashby." after a name: the town or district it is in ("Hollin School, Ashby.")
_AFTER_NAME = re.compile(rf",\s+(?P<name>{_NAME})(?=\s*(?:[.;:)]|,\s|$))")


def find_places_after(text: str, ends: list[int]) -> Iterator[tuple[int, int, str]]:
    """(start, end, "PLACE") of a capitalised name said after a comma straight after an
    organisation or place (``ends`` are where those end), closing its clause."""
    for end in ends:
        match = _AFTER_NAME.match(text, end)
        if match and match.group("name").split()[0] not in _NOT_PLACES:
            yield match.start("name"), match.end("name"), "PLACE"


# A motorway or A road after a word of place ("up the M6", "on the A5 near Towcester"): where
# people travel, so where they are; not a paper size ("on the A4 sheet").
_ROAD = re.compile(r"\b(?:[Oo]n|up|down|along|off|onto|via|across|from|near|by|of|to|[Aa]cross|[Tt]ake|took)\s+the\s+"
                   r"(?P<road>[MA]\d{1,4}(?:\([MT]\))?)(?![\w/-]|\s+(?:\d|paper|sheet|size|envelope|page|format|form))")


# A numbered or lettered part of a site ("Ward 23", "Lab 3.07", "D Wing", "Stop 24"): with the
# site it names where someone works, lives or was held.
_SITE_PART = re.compile(r"\b(?:(?:Ward|Wing|Lab|Laboratory|Room|Stop|Bay|Gate|Platform|Workshop|Studio|Block|Pod|"
                        r"Landing)\s+\d+(?:\.\d+)?[A-Z]?|[A-Z]\s+(?:Wing|Block))(?![\w/-]|\.\d)")


def find_place_gaps(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, "PLACE") of places by their position; the caller keeps only those
    that overlap nothing else it found."""
    for match in [*_ROAD.finditer(text), *_SITE_PART.finditer(text)]:
        group = "road" if match.re is _ROAD else 0
        yield match.start(group), match.end(group), "PLACE"
    for match in _LOCATED.finditer(text):
        for item in re.finditer(rf"{_NAME}", match.group("name")):
            words = item.group(0).split()
            if words[0] in _NOT_PLACES or words[0].rstrip("s") in _NOT_PLACES or any(c.isdigit() for c in words[0]):
                break  # "to Ashby, Monday ..." or "..., TD4 7QX": the list has ended
            yield match.start("name") + item.start(), match.start("name") + item.end(), "PLACE"
    for match in _ADDRESS.finditer(text):
        offset = match.start("parts")
        for part in re.finditer(r"[^,]+", match.group("parts")):
            name = part.group(0).strip()
            if name and name.split()[0] not in _NOT_PLACES:
                start = offset + part.start() + (len(part.group(0)) - len(part.group(0).lstrip()))
                yield start, start + len(name), "PLACE"
