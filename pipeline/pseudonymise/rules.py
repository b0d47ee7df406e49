"""Rules for identifiers that have a shape: e-mail addresses, URLs, phone numbers,
postcodes and ID numbers, written or spoken ("oh seven seven double oh ...").

Each rule is a regular expression, some with a check on the match (an NHS number's
check digit, enough digits in a spoken number); order matters: where two rules match
the same text the longer match wins, and on a tie the earlier rule (an e-mail address
is found before the URL or phone number inside it).
"""

from __future__ import annotations

import bisect
import re
from typing import Callable

__all__ = ["RULES", "find_rules", "nhs_number_valid", "spoken_digits"]

# Top-level domains a web address written without "http" or "www" may end in (lower
# case, so "done.It was" is not an address); enough for interview talk, not exhaustive.
_TLDS = ("com|org|net|edu|gov|uk|ie|io|co|info|biz|coop|scot|wales|cymru|eu|de|fr|nl|es|it|pt|pl|"
         "au|nz|ca|us|in|ng|ke|za|news|app|dev|ai|me|tv|ly|example|test")
_DIGIT_WORDS = {"oh": 1, "zero": 1, "nought": 1, "one": 1, "two": 1, "three": 1, "four": 1, "five": 1,
                "six": 1, "seven": 1, "eight": 1, "nine": 1, "double": 1, "triple": 2, "treble": 2, "hundred": 2}
_SPOKEN = "|".join(_DIGIT_WORDS)
# Words that label the number after them as someone's identifier.
_ID_LABELS = (
    r"nhs|ni|national\s+insurance|hospital|patient|case|client|customer|member(?:ship)?|staff|employee|"
    r"student|pupil|account|reference|ref|id|licen[cs]e|certificate|registration|reg|rego|plate|passport|"
    r"visa|policy|claim|invoice|order|booking|ticket|incident|crime|tracking|serial|permit|application|"
    r"grant|charity|company|contract|payroll|record|file|code|badge|collar|pin|urn|upn|uprn|number|"
    r"bleep|pager|extension|ext|candidate|referral|submission|herd|login|username"
)


def nhs_number_valid(digits: str) -> bool:
    """The NHS number's modulus 11 check digit (ten digits)."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    check = 11 - sum(int(d) * (10 - i) for i, d in enumerate(digits[:9])) % 11
    return (0 if check == 11 else check) == int(digits[9])


def spoken_digits(text: str) -> int:
    """How many digits a spoken number stands for ("double oh" is two, "nine hundred" three)."""
    return sum(_DIGIT_WORDS[w] for w in re.findall(r"[a-z]+", text.lower()) if w in _DIGIT_WORDS)


def _enough_spoken(match: re.Match[str]) -> bool:
    return spoken_digits(match.group(0)) >= 9


def _nhs(match: re.Match[str]) -> bool:
    return nhs_number_valid(re.sub(r"\D", "", match.group(0)))


def _long_digit_groups(match: re.Match[str]) -> bool:
    return len(re.sub(r"\D", "", match.group(0))) >= 9


def _labelled(match: re.Match[str]) -> bool:
    return len(re.sub(r"\D", "", match.group("value"))) >= 3  # "case 2", "Year 9" are not identifiers


def _slash_code(match: re.Match[str]) -> bool:
    """Four or more digits, and not a web path ("example.org/a/b" is a URL)."""
    head = match.group(0).split("/")[0]
    return len(re.sub(r"\D", "", match.group(0))) >= 4 and not re.search(r"\.[a-z]{2,}$", head)


def _five_digits(match: re.Match[str]) -> bool:
    return len(re.sub(r"\D", "", match.group(0))) >= 5


def _code_shape(match: re.Match[str]) -> bool:
    return len(match.group(0)) >= 5


_Rule = tuple[str, re.Pattern[str], Callable[[re.Match[str]], bool] | None]

RULES: tuple[_Rule, ...] = (
    ("EMAIL", re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"), None),
    # spoken: "maria dot lopez at example dot org"
    ("EMAIL", re.compile(rf"(?i)(?<![\w-])[\w-]+(?:\s+dot\s+[\w-]+)*\s+at\s+[\w-]+(?:\s+dot\s+[\w-]+)*\s+dot\s+(?-i:{_TLDS})\b"), None),
    # spoken: "brightwave dot example dot org", "facebook dot com slash ourgroup" (two dots or a slash,
    # so "the dot com boom" is not one)
    ("URL", re.compile(rf"(?i)(?<![\w-])[\w-]+(?:(?:\s+dot\s+[\w-]+)+\s+dot\s+(?-i:{_TLDS})\b(?:\s+slash\s+[\w-]+)*"
                       rf"|\s+dot\s+(?-i:{_TLDS})(?:\s+slash\s+[\w-]+)+)"), None),
    ("URL", re.compile(r"\b(?:https?://|www\.)[^\s<>\"')\]]+[^\s<>\"')\].,;:!?]", re.IGNORECASE), None),
    # without a scheme: "example.org/checklist", "portal.example.co.uk"
    ("URL", re.compile(rf"(?<![\w@.-])(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+(?:{_TLDS})\b"
                       r"(?![@-]|\.\w)(?:/[^\s<>\"')\]]*[^\s<>\"')\].,;:!?])?"), None),
    # NHS numbers (3-3-4 digits with a valid check digit) before phones of the same shape
    ("ID", re.compile(r"(?<![\w.,])\d{3}[\s-]?\d{3}[\s-]?\d{4}(?![\w]|[.,]\d)"), _nhs),
    # international (+44 ...), trunk-prefixed (0...) or bracketed area codes; 9-15 digits,
    # so years, counts and times do not match
    ("PHONE", re.compile(r"(?<![\w+])(?:\+\d{1,3}[\s.-]?|\(0\d{1,4}\)\s?|0)\d(?:[\s.-]?\d){7,12}\b"), None),
    # North American: (312) 555-0142, 312-555-0100, 1 312 555 0176
    ("PHONE", re.compile(r"(?<![\w+(])(?:1[\s.-])?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}\b"), None),
    # spoken: "oh seven seven double oh, nine double oh, one nine two"
    ("PHONE", re.compile(rf"(?i)\b(?:plus\s+)?(?:{_SPOKEN})(?:[\s,-]+(?:{_SPOKEN}))+\b"), _enough_spoken),
    # UK postcodes, National Insurance numbers, number plates
    ("ID", re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b"), None),
    # ... also in an uncorrected lower-case transcript ("pe4 7jx"; not "m5 4th")
    ("ID", re.compile(r"\b[a-z]{1,2}\d[a-z\d]?\s\d(?!st|nd|rd|th)[a-z]{2}\b"), None),
    ("ID", re.compile(r"\b[A-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b"), None),
    # Canadian postal codes ("P0V 2N0")
    ("ID", re.compile(r"\b[A-Z]\d[A-Z]\s?\d[A-Z]\d\b"), None),
    ("ID", re.compile(r"\b[A-Z]{2}\d{2}\s?[A-Z]{3}\b"), None),
    # labelled: "case number WCS-77120", "ref 1187654", "NHS number is 943 476 5919", "herd numbers
    # like 342/0653"; in a lower-case transcript "submission number was chs 0762"
    ("ID", re.compile(
        rf"(?i:\b(?:{_ID_LABELS})(?:\s+(?:no|number|num|code|id|ref|reference))?s?\.?\s*(?:is|was|:|#|like)?\s*)"
        r"(?P<value>(?:[A-Z]{1,6}[ -]?|[a-z]{2,4}\s(?=\d{2,}[ -]\d{2,}|(?!(?:19|20)\d\d\b)\d{4,}\b))?"
        r"\d[A-Za-z0-9]*(?:[/. -](?=[A-Za-z]*\d)[A-Za-z0-9]+)*)"),
     _labelled),  # the lower-case letters: an uncorrected transcript's "plan number was dmx 2023 0412"
    # codes: capitals and at least three digits, maybe with - or / (KDC-004512, W91042)
    ("ID", re.compile(r"(?<![\w@./-])(?=[A-Z0-9/-]*[A-Z])(?=(?:[A-Z/-]*\d){3})[A-Z0-9]+(?:[/-][A-Z0-9]+)*"
                      r"(?![\w@-]|[./]\w)"), _code_shape),
    # six or more digits in a row, or nine or more in groups (account, charity, case numbers)
    ("ID", re.compile(r"(?<![\w£$€.,/+-])\d{6,}(?![\w%]|[.,]\d)"), None),
    ("ID", re.compile(r"(?<![\w£$€.,/+-])\d{2,5}(?:[ -]\d{2,5}){2,}(?![\w%]|[.,]\d)"), _long_digit_groups),
    # codes of three or more parts joined by slashes, with letters and digits: "DfE/RX/23/0412"
    ("ID", re.compile(r"(?<![\w/.:-])(?=[\w./-]*\d)(?=[\w./-]*[A-Za-z])[A-Za-z0-9][A-Za-z0-9.-]*(?:/[A-Za-z0-9.-]*[A-Za-z0-9]){2,}"
                      r"(?![\w/])"), _slash_code),
    # capitals, a space, then digits with a hyphen, five or more: "HT 22-4471"
    ("ID", re.compile(r"(?<![\w-])[A-Z]{1,5}\s\d{2,}[-/]\d{2,}(?![\w-])"), _five_digits),
    # capitals, a space, then 4+ digits that are not a year: "PR 88310", "UR 1048822", "IL 60609"
    ("ID", re.compile(r"(?<![\w-])[A-Z]{1,5}\s(?!(?:19|20)\d\d\b)\d{4,}(?:[-/ ]\d+)*\b"), None),
    # codes of three or more parts joined by hyphens, one with a digit: "CH-TAMAR-7", "GC-Y9-PM"
    ("ID", re.compile(r"(?<![\w-])(?=[A-Z0-9-]*\d)[A-Z0-9]{1,6}(?:-[A-Z0-9]{1,8}){2,}(?![\w-])"), None),
    # a DOI, and digits joined by one hyphen with six or more after it (an air waybill)
    ("ID", re.compile(r"\b10\.\d{4,9}/[^\s,;]+[^\s,;.]"), None),
    ("ID", re.compile(r"(?<![\w-])\d{2,5}-\d{6,}(?![\w-])"), None),
    # social media handles, also with dots inside ("@sam.rowe_art")
    ("ID", re.compile(r"(?<![\w@.])@[A-Za-z_][A-Za-z0-9_]{2,30}(?:\.[A-Za-z0-9_]+)*\b"), None),
    # a postcode in a transcript that capitalises every word ("Sy25 6Ar")
    ("ID", re.compile(r"\b[A-Z][a-z]?\d[A-Za-z\d]?\s\d[A-Z][a-z]\b"), None),
)
# A code's part beside an ID found by a rule, one space away: letters and digits mixed ("4RT" of
# "W7X 2K9 4RT", "UK0" of "UK0 791234"), or before it a prefix of capitals ("CON 82-4-1173").
_MIXED_PART = r"(?=[A-Z]*\d)(?=\d*[A-Z])[A-Z0-9]{2,8}"
_PART_BEFORE = re.compile(rf"(?<![\w@./-])(?:{_MIXED_PART}|[A-Z]{{2,6}}) $")
_LABEL = re.compile(rf"(?i:{_ID_LABELS}|no|num)")
_PART_AFTER = re.compile(rf" {_MIXED_PART}(?![\w@/-]|[.]\w)")


def find_rules(text: str) -> list[tuple[int, int, str]]:
    """(start, end, kind) of every rule match in text order, without overlaps: of two
    overlapping matches the longer is kept, on a tie the earlier rule's."""
    found = []
    for order, (kind, pattern, check) in enumerate(RULES):
        for match in pattern.finditer(text):
            if check is None or check(match):
                group = "value" if "value" in pattern.groupindex else 0
                found.append((match.start(group), match.end(group), kind, order))
    starts: list[int] = []  # the kept spans, sorted and disjoint: a neighbour check suffices
    kept: list[tuple[int, int, str]] = []
    for start, end, kind, _ in sorted(found, key=lambda f: (f[0] - f[1], f[3], f[0])):
        i = bisect.bisect_left(starts, start)
        if (i == 0 or kept[i - 1][1] <= start) and (i == len(kept) or kept[i][0] >= end):
            starts.insert(i, start)
            kept.insert(i, (start, end, kind))
    return _with_code_parts(text, kept)


def _with_code_parts(text: str, kept: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Each ID with the code parts one space before or after it (``_PART_BEFORE``/``_PART_AFTER``)
    that no other finding holds: the rule matched only part of a longer code."""
    out = list(kept)
    for i, (start, end, kind) in enumerate(out):
        if kind != "ID":
            continue
        low = out[i - 1][1] if i else 0
        high = kept[i + 1][0] if i + 1 < len(kept) else len(text)
        before = _PART_BEFORE.search(text, max(low, start - 10), start)
        if before and _LABEL.fullmatch(before.group(0).strip()):
            before = None  # "NI QQ 12 34 56 C", "REF 1187654": a label, not a part of the code
        after = _PART_AFTER.match(text, end, high)
        out[i] = (before.start() if before else start, after.end() if after else end, kind)
    return out
