"""Names by their capitals alone, for the gaps the model and the other shapes leave:

- a run of two or more capitalised words inside a sentence ("with Lantern Owl Systems
  in", "go on Fenmoor Rail", "Friends of the Hollow"): English capitalises such a run
  mid-sentence only for a name (or a title, a month, a language: those are left out);
- one capitalised word after a lower-case word ("leased from Wabrix"), unless a
  language or nationality, a family or role word, a platform, a date or an institution
  word on its own;
- an acronym of three to eight capitals inside a lower-case sentence ("funded by QXTF",
  "the drivers join BRDU"), or of three letters with a small middle one ("the MoD"),
  unless it is one of the generic abbreviations every
  transcript uses (ID, NHS, GP, CEO, PDF ...);
- the capitalised name said just before a phone number, e-mail or web address
  ("Housing: Tarnbeck Care and Repair, 01632 ..."), also at a sentence's start.

A sentence's first word is capitalised anyway, so a run's first word is dropped there,
and a line in capitals (a heading, a shouted sentence) is skipped. These only fill gaps:
the caller drops them where anything else was found over the same words.
"""

from __future__ import annotations

import bisect
import re
from typing import Iterator

from pipeline.pseudonymise.lexicon import is_english
from pipeline.pseudonymise.orgs import COMMON_BRANDS
from pipeline.pseudonymise.vocabulary import LOWER, SPEECH_WORDS, UPPER

__all__ = ["find_phrase_gaps", "find_contact_names", "GENERIC_ACRONYMS"]

_WORD = rf"{UPPER}[\w'’&-]*"
# Words inside a name: "Friends of the Hollow", "Transport for London", and the particles of
# other languages' names ("Macra na Feirme", "Comhairle nan Eilean Siar", "Stryd y Bont").
_CONNECT = r"(?:(?:of|and|&|the|for|de|du|la|le|von|van|na|nan|y|yr|del|di|da|dos|das|der|den)[ \t]){0,2}"
_RUN = re.compile(rf"(?<![\w'’&.@/-]){_WORD}(?:[ \t]{_CONNECT}{_WORD})+")  # within one line
_ACRONYM = re.compile(r"(?<![\w'’&.@/-])(?:[A-Z](?:[A-Z]|&(?=[A-Z])){2,7}|[A-Z][a-z][A-Z])(?![\w@/'’-]|\.\w)")
# Words a run never starts with (sentence words, pronouns, greetings) nor holds (months,
# days, festivals: "Christmas Day", "Monday Club" is rare).
_NOT_FIRST = frozenset("""
The A An Our Their This That These Those My Your His Her Its We I You They He She It And But Or So If
When Where What Which Who Why How Then There Here Yes No Okay Ok Well Also Every Each Some Any All
Mr Mrs Ms Miss Mx Dr Prof Sir Dame Dear Hi Hello Thanks Thank Please Oh Ah Um Uh Just Not Only Both
Me Us Him Them I'm I'll I'd I've It's That's There's We're We'll They're You're He's She's Let's
Can Could Would Should
""".split())
_CALENDAR = frozenset("""
January February March April May June July August September October November December Jan Feb Mar Apr
Jun Jul Aug Sep Sept Oct Nov Dec Monday Tuesday Wednesday Thursday Friday Saturday Sunday Christmas
Easter Eid Ramadan Diwali Hanukkah Passover Lent Advent Halloween Year Day Eve Week Term
""".split())
# One capitalised word after a lower-case word (and a comma), not followed by another
# capitalised word (runs are handled above): "leased from Wabrix", "via Quillo and"; not a
# generic institution word ("the Trust", "our Board"), which transcripts capitalise for
# the speaker's own employer and which names no one by itself.
_SINGLE = re.compile(rf"(?<=[a-z,;] ){UPPER}{LOWER}{{2,}}(?![\w'’-]| {UPPER})")
_NOT_SINGLE = frozenset("""
Mum Dad Mam Nan Nana Gran Grandma Grandad Auntie Aunty Uncle God Lord Allah Jesus Bible Quran Koran Elder Elders
Section Chapter Part Level Stage Phase Step Form Room Ward Bay Floor Block Year Grade Class Interview Internet Web
Wi-Fi Excel Word Teams Zoom Google Facebook Instagram Twitter Apple Android Windows Mac Amazon Netflix Uber
Council Government Parliament State Court Police Church Mass Bank Post Office Tube Metro Underground
Trust Board Committee Department Team Service Practice Surgery Hospital School College University Charity
Centre Center Unit Clinic Library Union Foundation Agency Authority Ministry Panel Tribunal Network Group
Mr Mrs Ms Miss Mx Dr Prof Sir Madam Rev Reverend Father Sister Pastor Imam Rabbi Cllr Councillor
English Irish Scottish Welsh British French Dutch Thai Swiss Greek Czech
""".split())
# Words of speech in a run of capitals: "I" and its forms, a word broken off ("So-"),
# a single letter ("A's and B's").
_TALK = re.compile(r"^(?:I(?:['’]\w+)?(?:-.*)?|.*-|.*--.*|[A-Z](?:['’]?s)?)$")
_TITLES = frozenset("Mr Mrs Ms Miss Mx Dr Prof Professor Sir Dame Rev Reverend Father Sister Cllr Councillor".split())
# Job titles people capitalise ("our Practice Manager", "the Link Worker"): a role, not a name.
_ROLE_LAST = frozenset("""
Manager Worker Officer Nurse Lead Director Coordinator Co-ordinator Assistant Adviser Advisor Teacher
Head Chair Secretary Treasurer Consultant Practitioner Therapist Visitor Midwife Registrar Engineer
Analyst Administrator Supervisor Executive Clerk Inspector Commissioner Champion Navigator Coach
""".split())
# Abbreviations of roles, documents, qualifications and everyday things: they name no one.
GENERIC_ACRONYMS = frozenset("""
NHS GP GPS CEO CTO CFO COO CSO CIO HR IT ID IDS PDF URL CV TV PC OK UK USA EU UN US AM PM BST GMT UTC
FAQ CSV API AI SMS PIN PPE CCTV MOT VIP ASAP ETA FYI DIY ATM USB SIM NFC QR DNA HIV AIDS ADHD PTSD OCD ASD
ESOL ESL EAL GCSE CPD GDPR DPA DPIA NDA KPI ROI VAT PAYE MFA LGBT LGBTQ BSL DOI ORCID PHD MSC MBA BSC
SEN SEND EHCP OT CHC PCN ICU ITU A&E ENT MRI CT ECG DBS CRB NI NINO UPN URN CRN BRP CAS UKPRN ODS
TBC TBD RSVP AKA NB PS PTO ASAP FOI SAR DSAR IVF TB COVID CV NEET SENCO CIC CIO LLP LTD PLC INC NGO
HGV LGV RTA PA VA GI DC LA NYC SUV CPR AED DNR DNACPR IEP IDP SIRB REC IRB UBRN ISIR FAFSA EIN SSN
WIFI HTML PHP SQL CRM ERP SAAS IOS MAC CPU RAM VPN LAN WAN MP MSP MEP QC KC JP CBE OBE MBE
""".split())


def find_phrase_gaps(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, "ORG") of capitalised runs and acronyms inside sentences; the caller
    keeps only those that overlap nothing else it found."""
    lower_line = _LowerLines(text)
    run_starts, run_ends = [], []
    for match in _RUN.finditer(text):
        run_starts.append(match.start())
        run_ends.append(match.end())
        span = _name_in_run(text, match, lower_line)
        if span:
            yield span[0], span[1], "ORG"
    for match in _SINGLE.finditer(text):
        i = bisect.bisect_right(run_starts, match.start()) - 1
        before = text[max(0, match.start() - 30):match.start()].split()
        if (i >= 0 and match.start() < run_ends[i]) or not (before and before[-1][:1].islower()):
            continue  # part of a run ("Friends of the Hollow"), or after a capitalised word
        if _plain_single(match.group(0)) and lower_line(match.start()):
            yield match.start(), match.end(), "ORG"
    for match in _ACRONYM.finditer(text):
        if match.group(0).upper() not in GENERIC_ACRONYMS and lower_line(match.start()):
            yield match.start(), match.end(), "ORG"
    for match in _OWNER_AT_START.finditer(text):
        word = match.group("name")
        if word not in _NOT_OWNERS and _plain_single(word) and lower_line(match.start()):
            yield match.start("name"), match.end("name"), "ORG"
    for match in _WORD_AT_START.finditer(text):
        word = match.group("name")
        if _plain_single(word) and not _sentence_word(word) and not is_english(word) and lower_line(match.start()):
            yield match.start("name"), match.end("name"), "ORG"


# One capitalised word where a clause starts, not a speaker's label, not followed by another
# capitalised word (a run) nor a sentence of its own (a greeting in another language, an
# exclamation: "Diolch.", "Whoa."): a name when no English dictionary holds it ("Accenture
# did the review", "Sedex; our member code ...").
_WORD_AT_START = re.compile(rf"(?:^|(?<=[.!?;:]\s)|(?<=\n))(?P<name>{UPPER}{LOWER}{{2,}})"
                            rf"(?![\w'’-]|[:.!?]|\s+{UPPER})", re.MULTILINE)


# A capitalised word with a possessive where a clause starts ("Defra's wildlife licensing",
# "Timpson's key cutting"): the capital is the sentence's, but a possessive there is almost
# always a name's; not a pronoun's or a question word's ("It's", "What's", "Everyone's").
_OWNER_AT_START = re.compile(rf"(?:^|(?<=[.!?;:]\s)|(?<=\n))(?P<name>{UPPER}{LOWER}+)(?=['’]s\s)", re.MULTILINE)
_NOT_OWNERS = frozenset("""
Everyone Everybody Nobody Somebody Someone Anyone Anybody Nothing Something Everything Today Tomorrow Yesterday
Tonight Mom Mum Dad Mother Father Children Women Men People Year Month Week Night Let Where Who What How Why
There Here That It He She One Life Nobody's Time Money Work Home Nature Society World Everybody's
""".split())


# A capitalised run ending right before ", " (a contact's list entry: "Tarnbeck Care and Repair, 01632 ...")
_BEFORE_CONTACT = re.compile(rf"{_WORD}(?:\s{_CONNECT}{_WORD}){{0,5}},\s*$")


def find_contact_names(text: str, contacts: list[tuple[int, int]]) -> Iterator[tuple[int, int, str]]:
    """(start, end, "ORG") of the capitalised name said just before a phone number, e-mail
    or web address ("Energy: Manchester Care and Repair, 0161 496 0599"), also where it
    starts a sentence (a sentence word such as "Then" is dropped)."""
    for start, _ in contacts:
        match = _BEFORE_CONTACT.search(text, max(0, start - 80), start)
        if not match:
            continue
        words = _after_verb(list(re.finditer(r"\S+", match.group(0).rstrip(", \t"))))
        while words and (words[0].group(0) in _NOT_FIRST or not words[0].group(0)[:1].isupper()):
            words = words[1:]
        names = [w.group(0) for w in words]
        if names and not _dated(names) and names[-1] not in _ROLE_LAST and " ".join(names).lower() not in COMMON_BRANDS:
            yield match.start() + words[0].start(), match.start() + words[-1].end(), "ORG"


def _sentence_word(word: str) -> bool:
    """Whether a capitalised word is one sentences start with or no name is alone (a pronoun,
    preposition, greeting, word of speech, date, family or institution word, platform)."""
    return word in _NOT_FIRST or word in _NOT_LEAD or word in _NOT_SINGLE or word in _FAMILY or _dated([word])


def _plain_single(word: str) -> bool:
    """Whether one capitalised word inside a sentence may be a name: not a sentence word,
    a date, a platform everyone uses, a family or role word, or a language or nationality
    ("Polish", "Vietnamese", "Indian")."""
    return not (word in _NOT_FIRST or word in _NOT_SINGLE or _dated([word]) or word.lower() in COMMON_BRANDS
                or re.search(r"(?:ish|ese|ian|ean|ic|can)$", word))


def _name_in_run(text: str, match: re.Match[str], lower_line: _LowerLines) -> tuple[int, int] | None:
    """The run without its sentence-starting first word or a verb before a "the"; None
    for a title, a date or a run in a line of capitals."""
    words = list(re.finditer(r"\S+", match.group(0)))
    start = match.start()
    # "at The Paddock": a capital "The" inside a sentence belongs to the name
    named_the = words[0].group(0) == "The" and not _starts_sentence(text, start)
    trimmed = words if named_the else _after_verb(words)
    sentence_word = _starts_sentence(text, start) or words[0].group(0) in _NOT_FIRST
    if not named_the and len(trimmed) == len(words) and sentence_word:
        trimmed = words[1:]  # "Ask Brimble Works": the sentence's first word is capitalised anyway
        if _two_word_start(words):
            trimmed = words  # "Bus Éireann, or ...": two capitals and a stop at a sentence's start are one name
    while trimmed and not trimmed[0].group(0)[:1].isupper():
        trimmed = trimmed[1:]
    capitals = [w.group(0) for w in trimmed if w.group(0)[:1].isupper()]
    if len(capitals) < 2 or (trimmed[0].group(0) in _NOT_FIRST and not named_the):
        return None
    if any(w.rstrip(".") in _TITLES for w in capitals[1:]):
        return None  # "Arjun Nair and Dr Lakshmi Nair": two people, not one name
    if any(_TALK.match(w) for w in capitals):
        return None  # "I- I've", "As and Bs", "So- Do I": speech, grades, not a name
    if not lower_line(start) or _dated(capitals) or capitals[-1] in _ROLE_LAST:
        return None
    if all(w.upper() in GENERIC_ACRONYMS for w in capitals if w != "The"):
        return None
    return start + trimmed[0].start(), start + trimmed[-1].end()


def _two_word_start(words: list[re.Match[str]]) -> bool:
    """Whether a sentence-starting run of two capitalised words is a name as a whole ("Bus
    Éireann, or ...", "Vets Now in Harborne"): English starts a sentence with one capital; not
    where the first is a sentence word, a preposition or a number ("In English", "One GP"), or
    a word is a generic abbreviation ("Patient IDs"), a family word or God."""
    if len(words) != 2:
        return False
    first, second = (w.group(0).rstrip(".,;:!?") for w in words)
    head = first.split("-")[0]  # "So-so", "I-I": a word of speech said twice
    if head in _NOT_FIRST or head in _NOT_LEAD or second in _NOT_FIRST or _TALK.match(first):
        return False
    return not any(w in _FAMILY or re.sub(r"['’]?s$", "", w).upper() in GENERIC_ACRONYMS
                   or w.upper() in GENERIC_ACRONYMS for w in (first, second))


_FAMILY = frozenset("Mum Dad Mam Mom Nan Nana Gran Grandma Grandad Auntie Aunty Uncle God Lord Allah Jesus".split())
# Prepositions, numbers, greetings and words of speech that start a sentence before a name
# ("In Leeds", "One Tesco", "Yeah Bristol").
_NOT_LEAD = frozenset("""
In On At For From To With By Through Via After Before About Into Onto Near Under Over Like Unlike Without
Inside Outside Since Until Till Across Along Around Behind Beside Between Beyond During Except Towards
One Two Three Four Five Six Seven Eight Nine Ten First Second Third Last Next Another Other Most Many Sure Right
Praise Bless Dear Morning Evening Afternoon Good Happy Merry Welcome Goodbye Bye Cheers Sorry Excuse
""".split()) | SPEECH_WORDS


def _after_verb(words: list[re.Match[str]]) -> list[re.Match[str]]:
    """The words after an inner lower-case "the" that follows no "of" or "for": "Contact
    the Riverside Trust" is a verb, then a name ("Friends of the Earth" stays whole)."""
    cut = [i for i, w in enumerate(words) if i and w.group(0) == "the"
           and words[i - 1].group(0) not in ("of", "for", "&", "and", "on", "upon")]
    return words[cut[-1] + 1:] if cut else words


def _dated(words: list[str]) -> bool:
    """Whether a word is a month, day or festival, also plural or possessive ("Wednesdays")."""
    return any(w in _CALENDAR or re.sub(r"(?:['’]s|s['’]?)$", "", w) in _CALENDAR for w in words)


def _starts_sentence(text: str, start: int) -> bool:
    before = text[max(0, start - 4):start].rstrip(" \t\"“'‘(")
    return not before or before[-1] in ".!?:\n"


class _LowerLines:
    """Whether the line around a position is mostly lower case (not a heading or a
    shouted line in capitals), each line measured once and found by bisection."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.breaks = [m.start() for m in re.finditer("\n", text)]
        self.known: dict[int, bool] = {}

    def __call__(self, position: int) -> bool:
        i = bisect.bisect_left(self.breaks, position)
        if i not in self.known:
            start = self.breaks[i - 1] + 1 if i else 0
            end = self.breaks[i] if i < len(self.breaks) else len(self.text)
            letters = [c for c in self.text[start:end] if c.isalpha()]
            self.known[i] = sum(c.islower() for c in letters) >= len(letters) / 2
        return self.known[i]
