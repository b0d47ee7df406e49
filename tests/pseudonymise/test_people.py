"""A person's whole name from parts found apart (pipeline/pseudonymise/people.py)."""

from __future__ import annotations

import pytest

from pipeline.pseudonymise.detect import SourceText, detect
from pipeline.pseudonymise.names import KnownName
from pipeline.pseudonymise.people import first_name_before, joined, suffix_after


@pytest.mark.parametrize("between, one_name", [
    (" ", True),
    ("\n", True),  # a name split across a line break
    (' "Bud" ', True),  # a quoted nickname inside the name
    (' "', True),  # ... or its opening quote, where the nickname itself was found
    (", ", False),  # a list of two people
    (" and ", False),
])
def test_parts_of_one_name(between: str, one_name: bool) -> None:
    text = "Linford" + between + "Hollins"
    assert joined(text, (0, 7), (7 + len(between), len(text))) is one_name


@pytest.mark.parametrize("text, found", [
    ("A paddleboarder, Tessa Okorie, sent photos.", "Tessa "),
    ("She told Tessa Okorie.", "Tessa "),
    # a sentence's first word, a title or a role is not a first name
    ("Then it rained. Ask Okorie.", None),
    ("I met Dr Okorie and Councillor Okorie.", None),
])
def test_first_name_before_a_surname(text: str, found: str | None) -> None:
    start = text.index("Okorie")
    begin = first_name_before(text, start)
    assert (None if begin is None else text[begin:start]) == found


def test_suffix() -> None:
    text = "Marcus Whitcombe Jr., forty-two; Ann Lee, Jrn"
    assert text[:suffix_after(text, 16)] == "Marcus Whitcombe Jr."
    assert suffix_after(text, 39) == 39
    assert text[:suffix_after(text, 19)] == "Marcus Whitcombe Jr."  # the suffix found, its stop not


def test_parts_found_apart_become_one_mention_of_the_listed_person() -> None:
    text = 'Ann: My counsellor is Jamar "JJ" Whitcombe, and Hoa Lin.'
    start = text.index("Hoa")
    model = lambda t, spans: [(start, start + 3, "PERSON")]  # noqa: E731
    found = detect([SourceText("a", text, ())], [KnownName("Jamar Whitcombe", "PERSON")], model)
    assert [(m.text, m.entity) for m in found] == [('Jamar "JJ" Whitcombe', "jamar whitcombe"), ("Hoa Lin", "hoa lin")]


def test_a_first_and_middle_name_joins_the_whole_name() -> None:
    from pipeline.pseudonymise.detect import link_entities
    from pipeline.pseudonymise.entities import Mention

    whole = Mention("a", 0, 18, "Ana Lúcia Ferraz", "PERSON", "model", "ana lúcia ferraz")
    part = Mention("a", 30, 39, "ANA LÚCIA", "PERSON", "model", "ana lúcia")
    other = Mention("a", 50, 59, "Ana Beira", "PERSON", "model", "ana beira")
    assert [m.entity for m in link_entities([whole, part, other])] == ["ana lúcia ferraz"] * 2 + ["ana beira"]


def test_two_places_joined_by_and_stay_two() -> None:
    text = "Ann: I cover Pellow, Trenance and Polgooth, and the Tarn Engineering and Design College."
    start = text.index("Trenance")
    model = lambda t, spans: [(start, start + 8, "PLACE")]  # noqa: E731
    found = [m.text for m in detect([SourceText("a", text, ())], [], model)]
    assert found == ["Pellow", "Trenance", "Polgooth", "Tarn Engineering and Design College"]
