"""A person's whole name from its parts: detection often finds a first name and a
surname separately (the model finds "Jamar", the list finds the surname "Whitcombe"), or
only the surname ("a paddleboarder, Tessa Okorie," where the list holds Okorie). Replacing the
parts one by one leaves the space, a quoted nickname or the unlisted first name behind.

- two person findings with only a space, a line break or a quoted nickname (or its
  quotation marks, where the nickname was found too) between them are one name
  ("Linford "Lin" Hollins");
- a capitalised word straight before a person finding, inside a sentence, is its first
  name, unless it is a title, a role or a word that starts sentences;
- a generational suffix or a hyphened honorific after it belongs to it ("Marcus
  Whitcombe Jr.", "Bhavna-ben");
- one capitalised word straight after a person, with one space between, is the surname
  even where the model took it for a place or an organisation ("Godspower Ikenna", with
  "Ikenna" a place): the model guesses unfamiliar surnames' kinds from their letters.
"""

from __future__ import annotations

import re

from pipeline.pseudonymise.vocabulary import LOWER, UPPER

__all__ = ["joined", "first_name_before", "suffix_after", "surname_after", "site_number_after"]

# Between two parts of one name: spaces (one line break at most), or a quoted nickname.
_BETWEEN = re.compile(r"[ \t]*\n?[ \t]*"  # spaces, one line break at most
                      r"|\s+[\"“'‘(][^\"”'’)\n]{1,20}[\"”'’)]\s+"  # a quoted nickname
                      r"|\s+[\"“‘(]|[\"”’)]\s+")  # the quotation marks of a nickname found as a name
_BEFORE = re.compile(rf"(?<![\w'’.-])(?P<word>{UPPER}{LOWER}[\w'’-]*)[ \t]+$")
# A generational suffix, or an honorific joined by a hyphen ("Bhavna-ben", "Tanaka-san").
_SUFFIX = re.compile(r"\s+(?:Jr|Jnr|Sr|Snr|II|III|IV)\b\.?|-(?:ben|bhai|behn|ji|jee|san|chan|kun|sama|jaan|jan)\b")
# Capitalised words that are not a first name before a surname: titles, roles, words that
# start sentences or follow "the" ("the Smith family" is fine either way).
_NOT_FIRST_NAMES = frozenset("""
The A An Our Their This That These Those My Your His Her Its We I You They He She It And But Or So If When
Where What Which Who Why How Then There Here Yes No Okay Ok Well Also Both Every Each Some Any All Not
Dr Mr Mrs Ms Miss Mx Prof Professor Sir Dame Lord Lady Reverend Rev Father Sister Brother Imam Rabbi Pastor
Councillor Cllr Sergeant Sgt Constable Inspector Judge Nurse Matron Aunty Auntie Uncle Nana Nan Mama Papa
Pani Pan Frau Herr Madame Monsieur Señor Señora Dona Don Mum Dad Mam Grandma Grandad Granny Baby Little
Young Old Big St Saint Dear Hi Hello Thanks Thank Tell Ask Call Ring Email Text Meet Contact Said Says
Doctor Captain Officer Chief Manager Director Chair Coach Teacher Head Detective Agent Governor Mayor
""".split())


def joined(text: str, first: tuple[int, int], second: tuple[int, int]) -> bool:
    """Whether two person findings, ``first`` before ``second``, are parts of one name."""
    return first[1] < second[0] and _BETWEEN.fullmatch(text, first[1], second[0]) is not None


def first_name_before(text: str, start: int) -> int | None:
    """Where an unfound first name before a surname at ``start`` begins, or None."""
    match = _BEFORE.search(text, max(0, start - 40), start)
    if match is None or match.group("word") in _NOT_FIRST_NAMES:
        return None
    before = text[max(0, match.start() - 3):match.start()].rstrip(" \t\"“'‘(")
    if not before or before[-1] in ".!?:\n":
        return None  # at a sentence's start the word may be a verb ("Ask Okorie")
    return match.start()


def suffix_after(text: str, end: int) -> int:
    """Where a name ending at ``end`` ends with its generational suffix, if it has one
    (with its full stop, also when the suffix was found with the name but the stop was not)."""
    match = _SUFFIX.match(text, end)
    if match:
        return match.end()
    return end + 1 if text[end:end + 1] == "." and re.search(r"\b(?:Jr|Jnr|Sr|Snr)$", text[:end]) else end


def surname_after(text: str, person_end: int, start: int, end: int) -> bool:
    """Whether the one-word model finding ``text[start:end]`` (not a person) is the surname
    of the person ending at ``person_end``: a single space between, a capital then lower case."""
    word = text[start:end]
    return (text[person_end:start] == " " and re.fullmatch(rf"{UPPER}{LOWER}[\w'’-]*", word) is not None
            and word not in _NOT_FIRST_NAMES)


def site_number_after(text: str, start: int, end: int) -> bool:
    """Whether the one-word name ``text[start:end]`` is followed by a short number, as a part
    of a site is ("Ward 23", "Bay 4"): a person's name is not, so a listed surname "Ward" is
    not meant there (a phone number after a name, "Hamish 01632 960667", is no such number)."""
    return (" " not in text[start:end]
            and re.match(r" \d{1,3}(?:\.\d+)?[A-Za-z]?(?![\w/-]| \d)", text[end:end + 12]) is not None)
