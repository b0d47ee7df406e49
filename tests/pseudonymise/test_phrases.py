"""Names by their capitals (pipeline/pseudonymise/phrases.py), on invented examples."""

from __future__ import annotations

import pytest

from pipeline.pseudonymise.detect import SourceText, detect
from pipeline.pseudonymise.phrases import find_contact_names, find_phrase_gaps


@pytest.mark.parametrize("text, found", [
    # a capitalised run inside a sentence, with "of"/"and" inside it
    ("We worked with Lantern Owl Systems in Wexcombe.", ["Lantern Owl Systems", "Wexcombe"]),
    ("Referrals came from Friends of the Hollow and Pell Valley Carers.", ["Friends of the Hollow and Pell Valley Carers"]),
    # a sentence's first word is capitalised anyway: the run starts after it
    ("Ask Brimble Works about it.", ["Brimble Works"]),
    # an acronym in a lower-case sentence
    ("She was funded by QXTF last year.", ["QXTF"]),
    # one capitalised word inside a sentence, not before another capital
    ("The bogies go to Wabrix in the spring.", ["Wabrix"]),
    # not names: languages and nationalities, family words, platforms, dates, job titles,
    # generic abbreviations
    ("She speaks Polish and some Vietnamese, an American, rang Mum, on Facebook, on Tuesdays.", []),
    ("I told the Trust and our Board, then the Council.", []),
    ("It was Christmas Day, then New Year and Easter Monday.", []),
    ("He is our Practice Manager and the Link Worker.", []),
    ("Her NHS number and the PDF and the GP.", []),
    # a capital "The" inside a sentence belongs to a name; at a sentence's start it does not
    ("We're looking at The Paddock on Tuesday. The Paddock is big.", ["The Paddock"]),
    # speech in a run of capitals: "I" and its forms, a word broken off, single letters
    ("well I'm-- I-I mean, yes So- Do I? we got A's and B's", []),
    # a line in capitals (a heading or a shouted line) is skipped
    ("TOUR SHEET FOR BRANWELL MILLS\nwe left at nine.", []),
])
def test_capitalised_runs_and_acronyms(text: str, found: list[str]) -> None:
    assert [text[s:e] for s, e, _ in find_phrase_gaps(text)] == found


@pytest.mark.parametrize("text, found", [
    ("Housing: Tarnbeck Care and Repair, 01632 960 111.", ["Tarnbeck Care and Repair"]),
    ("Then Ollery Fresh, orders@ollery.example.com.", ["Ollery Fresh"]),
    # a day or a role before a number is not a name
    ("Wednesdays, 01632 960 112. Our Duty Manager, 01632 960 113.", []),
])
def test_names_said_before_a_contact(text: str, found: list[str]) -> None:
    contacts = [(m.start(), m.end()) for m in __import__("re").finditer(r"01632 960 \d{3}|\S+@\S+\.com", text)]
    assert [text[s:e] for s, e, _ in find_contact_names(text, contacts)] == found


def test_a_capitalised_run_only_fills_gaps() -> None:
    """A listed person is not turned into an organisation; the run finds what is left."""
    from pipeline.pseudonymise.names import KnownName

    text = "Ann: I rang Mirela Dobos with Pelham Wick Bakers yesterday."
    found = detect([SourceText("a", text, ())], [KnownName("Mirela Dobos", "PERSON")], None)
    assert [(m.text, m.kind) for m in found] == [("Mirela Dobos", "PERSON"), ("Pelham Wick Bakers", "ORG")]


def test_a_capitalised_run_replaces_a_shorter_model_finding_inside_it() -> None:
    text = "Ann: We buy from Westmoor Fresh now."
    start = text.index("Westmoor")
    model = lambda t, spans: [(start, start + len("Westmoor"), "PERSON")]  # noqa: E731
    assert [m.text for m in detect([SourceText("a", text, ())], [], model)] == ["Westmoor Fresh"]


def test_a_shorter_shape_inside_a_capitalised_run_gives_way() -> None:
    """The street shape "Tollard Hill" inside "Tollard Hill Garments": the run is the name."""
    text = "Ann: The shirts come from Tollard Hill Garments in the east."
    assert [m.text for m in detect([SourceText("a", text, ())], [], None)] == ["Tollard Hill Garments"]


@pytest.mark.parametrize("text, found", [
    # a capitalised verb before "the" is not part of the name; "of the" inside a name is
    ("Please Contact the Brindle Road Trust, 01632 960 114.", ["Brindle Road Trust"]),
    ("Carers: Friends of the Marsh, 01632 960 115.", ["Friends of the Marsh"]),
])
def test_a_contact_name_starts_after_a_verb_and_the(text: str, found: list[str]) -> None:
    contacts = [(m.start(), m.end()) for m in __import__("re").finditer(r"01632 960 \d{3}", text)]
    assert [text[s:e] for s, e, _ in find_contact_names(text, contacts)] == found


def test_one_name_gets_one_kind_across_the_study() -> None:
    """"in Brevik" is a place by position, "loved Brevik" an organisation by its capital:
    both become the place, so they share one code."""
    text = "Ann: We live in Brevik. They loved Brevik, really."
    found = detect([SourceText("a", text, ())], [], None)
    assert [(m.text, m.kind, m.entity) for m in found] == [("Brevik", "PLACE", "brevik")] * 2


def test_function_words_and_broken_words_from_the_model_are_not_names() -> None:
    """The model's "And" at a turn's start must not make every "and" a person (a real
    transcript had 1,800 of them); "Delyth and" is "Delyth"; "So-" is a word broken off."""
    text = "Ann: And then Delyth and I went. So- and more and more."
    spans = [(5, 8, "PERSON"), (text.index("Delyth"), text.index("Delyth") + 9, "PERSON"),
             (text.index("So-"), text.index("So-") + 3, "PERSON")]
    found = detect([SourceText("a", text, ())], [], lambda t, s: spans)
    assert [m.text for m in found] == ["Delyth"]
