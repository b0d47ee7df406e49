"""Names the study already knows: the researcher's names list, case names and
attributes, and speaker labels. These are always found, in any casing, as a whole name,
a single part of a person's name (first name or surname) or a listed nickname.

Names list formats (UTF-8):
    .txt  one entity a line: ``[kind:] name [| variant | variant ...]``, e.g.
          ``Maria Gonzalez | Mari`` or ``org: St Brigid's Hospital | St B's``;
          blank lines and lines starting with ``#`` are skipped.
    .csv  a ``name`` column, optional ``kind`` (person/org/place, default person) and
          ``variants`` (separated by ``|`` or ``;``).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Mapping, Sequence

from pipeline.errors import InputError
from pipeline.pseudonymise.entities import normalise
from pipeline.pseudonymise.ner import stop_words
from pipeline.pseudonymise.shapes import lower_case_document

__all__ = ["MODEL_ORIGIN", "SHAPE_ORIGIN", "KnownName", "load_names", "study_names", "NameMatcher", "COMMON_WORD_NAMES",
           "NOT_NAMES", "FUNCTION_WORDS", "MAX_NAMES_BYTES", "fold", "clause_start"]

MAX_NAMES_BYTES = 5_000_000
MODEL_ORIGIN = "found by the model elsewhere in the study"
SHAPE_ORIGIN = "found by its shape elsewhere in the study"
_FOUND_ELSEWHERE = (MODEL_ORIGIN, SHAPE_ORIGIN)
_KIND_WORDS = {"person": "PERSON", "org": "ORG", "organisation": "ORG", "organization": "ORG", "place": "PLACE"}

# Given names that are also everyday English words: found in lower case only as part of a
# longer listed name, and in title case only where the sentence does not start.
COMMON_WORD_NAMES = frozenset("""
rose hope bill will may mark grace joy faith sue pat jack rob dawn april june summer amber
ruby frank glen penny art bob don guy ray sandy victor rich drew chase lane wade brook
carol holly ivy iris lily daisy heather jade pearl crystal robin sky river hunter miles
price king young white black green brown wood hill stone may carter cook baker chance
""".split())

# Speaker labels and attribute values that name a role, not a person.
ROLE_WORDS = frozenset("""
interviewer interviewee participant respondent moderator facilitator speaker researcher
host guest unknown unidentified int iv i r p q a resp part mod fac all group both nurse
doctor manager staff patient chair chairperson chairman chairwoman minutes notetaker mum dad mam driver
volunteer caller
""".split())

# Words the model takes for a name at a turn's start ("Tell me about ..."), job titles
# it takes for an organisation ("CTO"), and the country and national bodies every
# transcript mentions ("NHS", "UK"), which identify no one: never a name on their own.
NOT_NAMES = frozenset("""
tell thank thanks yes no okay ok sure well right so hello hi bye sorry please say describe walk
gp cto ceo cfo coo hr it pa email e-mail gmail
nhs uk eu us usa un whatsapp
""".split())
# Words that are never a name, nor a name part on their own: a name the model found as
# "The Paddock" or "Friends of Ely" must not make every "The" or "of" a person, nor the
# model's "And" at a turn's start every "and".
FUNCTION_WORDS = frozenset("""
the a an and of for in on at to from with by or our my your their his her its this that
but so if as is was i i'm i've i'll i'd you we he she they it me him them us um uh oh yeah
""".split())
# Titles and forms of address: part of a listed or labelled name ("Pastor Sunday"), never a
# name on their own ("parish pastor").
TITLE_WORDS = frozenset("""
dr mr mrs ms miss mx prof professor sir dame lord lady reverend rev father sister brother imam rabbi pastor
councillor cllr sergeant sgt constable inspector judge nurse matron aunty auntie uncle nana nan mama papa
pani pan frau herr madame monsieur elder chief captain officer coach
""".split())
# A lower-case word after these is an everyday word ("the fern", "a teal", "how big"), not a name.
_BEFORE_WORD = frozenset("""
a an the this these those some any no every each how very too quite more most less be been being
""".split())
# After these a listed name that is also a day or month is the date ("every Sunday").
_BEFORE_DATE = frozenset("on every last next this each until till by since per of a that one".split())
_DATES = frozenset("""
monday tuesday wednesday thursday friday saturday sunday january february march april may june july
august september october november december
""".split())
# A lower-case word after these is a verb or a question ("will you", "may I"), not a name.
_AFTER_MODAL = frozenset("i you we he she they it be not have there this that".split())
# After these a capitalised common-word name at a sentence start is a verb: "Mark my words".
_AFTER_VERB = _AFTER_MODAL | frozenset("my your our his her their me us him them".split())
_FOLD = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ß": "ss", "ı": "i",
                       "æ": "ae", "Æ": "Ae", "œ": "oe", "Œ": "Oe"})

# Case attribute columns whose values are names, and the kind they name.
# Checked in order: "site_name" names a site, so the generic "name" comes last.
_ATTRIBUTE_KINDS = (
    ("site", "ORG"), ("organisation", "ORG"), ("organization", "ORG"), ("org", "ORG"),
    ("hospital", "ORG"), ("clinic", "ORG"), ("school", "ORG"), ("practice", "ORG"),
    ("employer", "ORG"), ("company", "ORG"), ("trust", "ORG"),
    ("place", "PLACE"), ("city", "PLACE"), ("town", "PLACE"), ("location", "PLACE"),
    ("region", "PLACE"), ("country", "PLACE"),
    ("participant", "PERSON"), ("interviewee", "PERSON"), ("name", "PERSON"),
)
_GENERIC_LABEL = re.compile(r"^(case|site|participant|p|id|int|r|s|doc|interview)[\s_-]*\d+$", re.IGNORECASE)


@dataclass(frozen=True)
class KnownName:
    """One entity the study knows by name, with the other ways it is written."""

    name: str
    kind: str
    variants: tuple[str, ...] = ()
    origin: str = "names list"
    entity: str = ""  # the key it is known by, when it differs from the normalised name


def load_names(path: Path) -> list[KnownName]:
    """Read a names list (see the module docstring); every problem is reported at once."""
    if path.suffix.lower() not in (".txt", ".csv"):
        raise InputError(f"{path}: a names list must be a .txt or .csv file (UTF-8); save it as one of those")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the names list ({exc.strerror})") from exc
    if len(raw) > MAX_NAMES_BYTES:
        raise InputError(f"{path}: the names list is larger than {MAX_NAMES_BYTES // 1_000_000} MB; is it the right file?")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: the names list is not UTF-8 text (byte {exc.start}); save it as UTF-8") from exc
    if "\0" in text:
        raise InputError(f"{path}: the names list is not a text file")
    rows = _csv_rows(path, text) if path.suffix.lower() == ".csv" else _txt_rows(text)
    names, problems = [], []
    for line, kind, name, variants in rows:
        problem = _check(kind, name, variants)
        if problem:
            problems.append(f"line {line}: {problem}")
        else:
            names.append(KnownName(name.strip(), _KIND_WORDS[kind.strip().lower() or "person"],
                                   tuple(v.strip() for v in variants if v.strip())))
    if problems:
        raise InputError(f"{path}: invalid names list; nothing was changed:\n  " + "\n  ".join(problems[:20]))
    if not names:
        raise InputError(f"{path}: the names list holds no names")
    return names


def _txt_rows(text: str) -> Iterator[tuple[int, str, str, list[str]]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        kind, _, rest = line.partition(":") if re.match(r"\s*\w+\s*:", line) else ("", "", line)
        parts = rest.split("|")
        yield number, kind, parts[0], parts[1:]


def _csv_rows(path: Path, text: str) -> Iterator[tuple[int, str, str, list[str]]]:
    reader = csv.DictReader(io.StringIO(text))
    header = {h.strip().lower(): h for h in (reader.fieldnames or []) if h}
    if "name" not in header:
        raise InputError(f"{path}: the names list needs a 'name' column (optional: kind, variants); "
                         f"found: {', '.join(header) or 'no header'}")
    for number, row in enumerate(reader, start=2):
        name = row.get(header["name"]) or ""
        if not name.strip() and not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue
        variants = re.split(r"[|;]", row.get(header.get("variants", ""), "") or "")
        yield number, row.get(header.get("kind", ""), "") or "", name, variants


def _check(kind: str, name: str, variants: Sequence[str]) -> str:
    if kind.strip() and kind.strip().lower() not in _KIND_WORDS:
        return f"unknown kind '{kind.strip()}'; use person, org or place"
    if not name.strip():
        return "empty name"
    for value in [name, *variants]:
        if value.strip() and len(value.strip()) < 2:
            return f"'{value.strip()}' is too short to look for (it would match everywhere)"
        if len(value) > 200:
            return "a name longer than 200 characters; is this the right file?"
    return ""


def fold(text: str) -> str:
    """``text`` without diacritics ("Siobhán" -> "Siobhan", "Wójcik" -> "Wojcik", "Łukasz" -> "Lukasz")."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def study_names(cases: Mapping[str, Mapping[str, str]], speakers: Iterable[str]) -> list[KnownName]:
    """Case names, name-like case attributes and speaker labels that look like names."""
    found: list[KnownName] = []
    for case, attributes in cases.items():
        if _is_name(case):
            found.append(KnownName(case, "ORG", origin="case name"))
        for column, value in attributes.items():
            kind = next((k for word, k in _ATTRIBUTE_KINDS if word in column.lower()), None)
            if kind and isinstance(value, str) and _is_name(value):
                found.append(KnownName(value, kind, origin=f"case attribute '{column}'"))
    for speaker in sorted(set(speakers)):
        if _is_name(speaker) and speaker[:1].isupper():
            found.append(KnownName(speaker, "PERSON", origin="speaker label"))
    return found


def _is_name(value: str) -> bool:
    value = value.strip()
    return (len(value) >= 2 and any(c.isalpha() for c in value) and not _GENERIC_LABEL.match(value)
            and value.lower() not in ROLE_WORDS)


class NameMatcher:
    """Finds every known name in a text, in any casing, across line breaks.

    A person's single name parts (first name, surname) and listed variants map to the
    same entity. The first name given for a form wins (so give the researcher's list
    first): a part shared by two listed people maps to the first listed, and the review
    workbook shows it for the researcher to correct.
    """

    def __init__(self, names: Sequence[KnownName]) -> None:
        self.forms: dict[str, tuple[str, str, bool]] = {}  # form -> (entity, kind, whole)
        self.shared: dict[str, list[str]] = {}  # a name part -> every listed person it belongs to
        self.origins: dict[str, str] = {}  # form -> where the name came from
        self.first_names: set[str] = set()  # the given names of each multi-word person name
        self.titled: set[str] = set()  # forms found only as written, with a capital: "miss a", "the still"
        for known in names:
            entity = known.entity or normalise(known.name, known.kind)
            for form in [known.name, *known.variants]:
                for written in dict.fromkeys((form, fold(form))):  # "Siobhan" finds a listed "Siobhán"
                    self._add_whole(written, entity, known.kind, known.origin)
            if known.kind == "PERSON":
                # given names: every word but the last ("mei" and "ling" of "Mei Ling Tan")
                self.first_names.update(part for w in (normalise(known.name), fold(normalise(known.name)))
                                        for part in w.split()[:-1])
                for part in dict.fromkeys(normalise(known.name).split() + fold(normalise(known.name)).split()):
                    # "Two" and "Many" of "Renée Two Bulls" and "Jesse Many Horses" are found
                    # inside the whole name only; given names such as Will keep their own rule
                    everyday = part in stop_words() and part not in COMMON_WORD_NAMES
                    if len(part) >= 2 and part not in FUNCTION_WORDS and part not in TITLE_WORDS and not everyday:
                        self._add(part, entity, known.kind, False, known.origin)
        alternatives = sorted(self.forms, key=len, reverse=True)
        body = "|".join(r"\s+".join(map(re.escape, form.split())) for form in alternatives)
        self.pattern = re.compile(rf"(?<![\w@.])(?:{body})(?![\w@]|\.\w)", re.IGNORECASE) if body else None

    def _add_whole(self, written: str, entity: str, kind: str, origin: str) -> None:
        """A listed name or variant. One that is a letter, an initialism or an everyday word
        once its title or article is dropped ("Miss A", "Dr. T.B.", "the Still") is kept
        with them and found only where its last word has a capital: else every "a", "TB" or
        "still" would be taken for the person."""
        key = normalise(written, kind)
        plain = " " not in key and (len(key) <= 2 or key in FUNCTION_WORDS or key in stop_words())
        literal = " ".join(written.casefold().split())
        if plain and literal != key:
            self.titled.add(literal)
            self._add(literal, entity, kind, True, origin)
        elif len(key) > 1 and key not in FUNCTION_WORDS:
            self._add(key, entity, kind, True, origin)

    def _key(self, written: str) -> str:
        """The form a match was registered under: as written for the titled forms, else normalised."""
        literal = " ".join(written.casefold().split())
        return literal if literal in self.titled else normalise(written)

    def _add(self, form: str, entity: str, kind: str, whole: bool, origin: str) -> None:
        if form and form not in self.forms:
            self.forms[form] = (entity, kind, whole)
            self.origins[form] = origin
        elif form and not whole and self.forms[form][0] != entity:
            self.shared.setdefault(form, [self.forms[form][0]]).append(entity)

    def is_whole(self, written: str) -> bool:
        """Whether ``written`` is a whole listed name (not just a first name or surname)."""
        return self.forms.get(self._key(written), ("", "", False))[2]

    def origin(self, written: str) -> str:
        return self.origins.get(self._key(written), "")

    def choose(self, form: str, present: set[str]) -> str:
        """The entity a name part means here: the one listed person sharing it whose full
        name the same document mentions, else the first listed."""
        options = [e for e in self.shared.get(form, []) if e in present]
        return options[0] if len(options) == 1 else self.forms[form][0]

    def find(self, text: str) -> Iterator[tuple[int, int, str, str, bool]]:
        """(start, end, kind, entity, certain) of each match.

        A name that is also an everyday word ("Rose", "Will", "May") is skipped in lower
        case (unless part of a longer listed name) and certain only as a speaker label;
        elsewhere it is uncertain: the caller keeps it where the document names that
        person in full (a first name alone is ambiguous; a text about Rose Okafor names
        her somewhere) or where the model agrees.
        """
        if self.pattern is None:
            return
        capitalised = not lower_case_document(text)
        for match in self.pattern.finditer(text):
            form = self._key(match.group(0))
            if form in self.titled and not match.group(0).split()[-1][:1].isupper():
                continue  # "I miss a bus", "the still room"
            if form not in self.forms or _everyday(text, match, form, self.forms[form][2] or form in self.first_names,
                                                   capitalised):
                continue
            entity, kind, _ = self.forms[form]
            certain = True
            if self.origins[form] in _FOUND_ELSEWHERE and not match.group(0)[:1].isupper():
                whole = self.forms[form][2] and (" " in form or clause_start(text, match.start()))
                named = whole or form in self.first_names
                if kind != "PERSON" or not named:
                    continue  # "physics", "grant": only people's whole or first names, not surnames that are words;
                    # a one-word name the model found ("Tash", "Health") only where a clause starts
                certain = False  # kept where the document names the person in full
            if form in COMMON_WORD_NAMES or form in stop_words():
                how = _written_as(text, match.start(), match.end())
                if how == "word":
                    continue
                certain = certain and how == "label"
            yield match.start(), match.end(), kind, entity, certain


def _everyday(text: str, match: re.Match[str], form: str, first_or_whole: bool, capitalised: bool) -> bool:
    """Whether a listed name part is used here as an everyday word: in lower case after an
    article or degree word ("the fern", "a teal", "how big"); in lower case as a surname
    alone in a text that capitalises names ("a car park" for a listed Park); or as a day
    or month after a word that dates ("every Sunday" for a listed Sunday)."""
    written = match.group(0)
    previous = re.search(r"(\w+)\W*$", text[max(0, match.start() - 20):match.start()])
    before = previous.group(1).lower() if previous else ""
    if written.islower() and " " not in form:
        return before in _BEFORE_WORD or (capitalised and not first_or_whole and not clause_start(text, match.start()))
    return form in _DATES and before in _BEFORE_DATE


def clause_start(text: str, start: int) -> bool:
    """Whether ``start`` begins a clause: the text's start, or after a stop, a colon, a semicolon or a line break."""
    return re.search(r"(?:^|[.;:!?\n])[ \t\"“]*$", text[max(0, start - 4):start]) is not None


def _written_as(text: str, start: int, end: int) -> str:
    """'label', 'name', 'sentence start' or 'word' for a common word used as a name."""
    written = text[start:end]
    before = text[max(0, start - 3):start].rstrip(" \t")
    sentence_start = not before or before.endswith(("\n", ".", "?", "!", ":", '"', "“"))
    if not written[:1].isupper():
        # "... next year. will was great": a lower-case sentence start, then not a question ("will you")
        following = re.match(r"\s+(\w+)", text[end:end + 20])
        modal = following is not None and following.group(1).lower() in _AFTER_MODAL
        return "sentence start" if sentence_start and before and not modal else "word"
    if text[end:end + 1] == ":" and (start == 0 or text[start - 1] == "\n"):
        return "label"
    if written.isupper() and len(written) > 2:
        around = text[max(0, start - 30):start] + text[end:end + 30]
        return "name" if any(c.islower() for c in around) else "word"  # emphasis, not a shouted sentence
    if sentence_start:
        following = re.match(r"\s+(\w+)", text[end:end + 20])
        return "word" if following is not None and following.group(1).lower() in _AFTER_VERB else "sentence start"
    return "name"
