"""Detection rules of the fourth round (issue 19), each with a case it must find and a
case it must leave: names echoed in another casing in the same document, organisations
beside their acronym, roads, languages and platforms, listed name parts used as words,
a surname the model took for a place, and the new ID shapes. All examples are invented."""

from __future__ import annotations

import pytest

from pipeline.pseudonymise.acronyms import find_acronym_pairs, find_lower_acronym_pairs
from pipeline.pseudonymise.detect import SourceText, detect
from pipeline.pseudonymise.echoes import find_echoes
from pipeline.pseudonymise.names import KnownName, NameMatcher
from pipeline.pseudonymise.people import suffix_after, surname_after
from pipeline.pseudonymise.phrases import find_phrase_gaps
from pipeline.pseudonymise.places import find_lower_case_gaps, find_place_gaps
from pipeline.pseudonymise.rules import find_rules
from pipeline.pseudonymise.vocabulary import is_group_word
from pseudonymise_helpers import found_kinds as _found, stand_in_model as _model


# --- echoes: a name said again in another casing in the same document

@pytest.mark.parametrize("text, names, echoed", [
    # lower case where a clause starts, with a possessive, in capitals, any casing for two words
    ("Ask Quorvane about it. quorvane send a summary.", [("Quorvane", "ORG")], ["quorvane"]),
    ("It was Plimsoll Audio, and plimsoll's engineer came.", [("Plimsoll Audio", "ORG")], ["plimsoll"]),
    ("We beat Tarrowby. TARROWBY OUT, we chanted.", [("Tarrowby", "ORG")], ["TARROWBY"]),
    ("with Harbin Vets at night, then harbin vets by day", [("Harbin Vets", "ORG")], ["harbin vets"]),
    # a one-word name in lower case inside a sentence is a word; a word the document uses
    # in lower case is never an echo; a first word many names share is none
    ("We used Premier for years and the premier league too.", [("Premier", "ORG")], []),
    ("Family Action helped. family's matter most, and my family was there.", [("Family Action", "ORG")], []),
    ("North Bank Trust; north is where it is.", [("North Bank Trust", "ORG")], []),
])
def test_echoes(text: str, names: list, echoed: list) -> None:
    found = [text[s:e] for s, e, _ in find_echoes(text, names)]
    assert [f for f in found if f not in [n for n, _ in names]] == echoed


def test_echo_takes_the_entity_of_the_name_it_echoes() -> None:
    text = "The firm is Brantwick Networks, 01632 960 111. brantwick's engineer came."
    found = detect([SourceText("d", text, ((0, len(text)),))], [KnownName("Brantwick Networks", "ORG")], None)
    assert [(m.text, m.entity) for m in found if m.kind == "ORG"] == [
        ("Brantwick Networks", "brantwick networks"), ("brantwick", "brantwick networks")]


# --- organisations beside their acronym

@pytest.mark.parametrize("text, pair", [
    ("And Transport for Belmore, TfB, moved the stop.", ["TfB", "Transport for Belmore"]),
    ("So we copied B4RN, Broadband for the Rural North, over there", ["B4RN", "Broadband for the Rural North"]),
    ("the Irish Creamery Association (ICA) said", ["ICA", "Irish Creamery Association"]),
    ("the Department of Soil, Water and the Marine, DSWM, said", ["DSWM", "Department of Soil, Water and the Marine"]),
    # not a pair: initials that do not match, a role's acronym, two letters (a person's initials)
    ("the Quiet Room, QXR, is shut", []),
    ("We met the CEO, Chief Executive Officer, yes", []),
    ("Mark Owen (MO) said so", []),
])
def test_acronym_pairs(text: str, pair: list) -> None:
    assert [text[s:e] for s, e, _ in find_acronym_pairs(text)] == pair


def test_an_acronym_gets_the_code_of_its_long_form() -> None:
    docs = [SourceText("a", "And the bus. Transport for Belmore, TfB, moved the stop.", ((0, 55),)),
            SourceText("b", "We wrote to TfB again; and to the QXR.", ((0, 38),))]
    found = {(m.text, m.entity) for m in detect(docs, [], None)}
    assert {("TfB", "transport for belmore"), ("Transport for Belmore", "transport for belmore")} <= found
    assert ("QXR", "qxr") in found  # no long form: its own entity


@pytest.mark.parametrize("text, pair", [
    ("the outer isles ferry enterprise oife study said", ["oife", "outer isles ferry enterprise"]),
    ("the department for tidal energy the dfte want a register", ["dfte", "department for tidal energy"]),
    # a short word that happens to be the initials of the words before it, and a mismatch
    ("we all saw was good and the red bus was late", []),
    ("the highland ferry enterprise hie study", []),
])
def test_lower_case_acronym_pairs(text: str, pair: list) -> None:
    assert [text[s:e] for s, e, _ in find_lower_acronym_pairs(text)] == pair


# --- places

def test_roads_after_a_word_of_place() -> None:
    text = "up the M6 to Swindon; print on the A4 paper; stuck on the A5 near Towcester; the M5 3EW postcode"
    assert [text[s:e] for s, e, _ in find_place_gaps(text) if text[s:e][:1] in "AM"] == ["M6", "A5"]


def test_numbered_parts_of_a_site() -> None:
    text = "a night sister on Ward 23 before; in Lab 3.07. D Wing is for older men. in Year 9, Section 3, room 4"
    found = [text[s:e] for s, e, _ in find_place_gaps(text)]
    assert {"Ward 23", "Lab 3.07", "D Wing"} <= set(found)
    assert not {"Year 9", "Section 3", "room 4"} & set(found)


def test_lower_case_to_is_not_a_place_after_an_infinitive() -> None:
    text = ("everybody had to drive up to lochmaddy and the ferry to mallaig was off. she needed to toughen up. "
            "we want to see family. at fourteen they start. ") * 5  # long enough to be a lower-case document
    found = {text[s:e] for s, e, k in find_lower_case_gaps(text) if k == "PLACE"}
    assert {"lochmaddy", "mallaig"} <= found
    assert not found & {"drive", "toughen", "see family", "fourteen"}


# --- languages, nations, faiths and platforms are no one

def test_group_words_are_not_names() -> None:
    assert all(is_group_word(w) for w in ("Welsh", "Eritreans", "instagram", "God"))
    assert not is_group_word("Wendell") and not is_group_word("Welsh Government")
    text = "He learns Welsh with Dai Brennan and posts on Instagram."
    model = _model(("Welsh", "PERSON"), ("Dai Brennan", "PERSON"), ("Instagram", "ORG"))
    assert _found(text, [], model) == [("PERSON", "Dai Brennan")]


# --- the names list: titles, everyday words, dates

def test_a_title_in_a_speaker_label_is_not_a_name_part() -> None:
    matcher = NameMatcher([KnownName("Pastor Sunday", "PERSON", origin="speaker label")])
    assert "sunday" in matcher.forms and "pastor" not in matcher.forms


@pytest.mark.parametrize("text, found", [
    ("Tell teal I said hi.", [("PERSON", "teal")]),  # a lower-case first name at a verb
    ("A teal came in last week, and the teal left.", []),  # after an article: the duck
    ("It's a car park. Park was late. park said sorry.", [("PERSON", "Park"), ("PERSON", "park")]),  # a surname
    ("We meet every Sunday and on Sunday night. Sunday Oyelowo leads.", [("PERSON", "Sunday Oyelowo")]),
])
def test_listed_names_used_as_words(text: str, found: list) -> None:
    names = [KnownName(n, "PERSON") for n in ("Teal Hudson", "Hye-jin Park", "Sunday Oyelowo")]
    assert _found(text, names) == found


def test_a_one_word_model_name_counts_in_lower_case_only_where_a_clause_starts() -> None:
    text = "Tash drives tankers. tash was on the radio; mental tash is not a thing."
    assert _found(text, [], _model(("Tash", "PERSON"))) == [("PERSON", "Tash"), ("PERSON", "tash")]
    # the model's own lower-case finding of a surname counts where a clause starts too
    text = "Pim Achterwald fell. achterwald was fine; ask achterwald."
    model = _model(("Pim Achterwald", "PERSON"), ("achterwald", "PERSON"))
    assert _found(text, [], model) == [("PERSON", "Pim Achterwald"), ("PERSON", "achterwald")]


# --- people

def test_a_person_after_a_role_is_a_person_though_the_model_says_a_place() -> None:
    text = "A neighbour, Agnes Dunmore, put money in. Agnes, aye, like the saint."
    found = _found(text, [], _model(("Agnes Dunmore", "PLACE")))
    assert found == [("PERSON", "Agnes Dunmore"), ("PERSON", "Agnes")]


def test_a_model_span_over_a_comma_is_not_looked_for_as_one_name() -> None:
    text = "My cousin Bhavna Mistry on Kell Road, Bhavna-ben we say."
    found = _found(text, [KnownName("Bhavna Mistry", "PERSON")], _model(("Bhavna Mistry on Kell Road, Bhavna-ben", "ORG")))
    assert ("PERSON", "Bhavna-ben") in found


def test_a_one_word_model_place_after_a_person_is_the_surname() -> None:
    text = "Brother Godspower: Godspower Ikwuemesi, from Enugu. I drive."
    model = _model(("Ikwuemesi", "PLACE"), ("Enugu", "PLACE"))
    assert ("PERSON", "Godspower Ikwuemesi") in _found(text, [KnownName("Godspower", "PERSON")], model)
    assert surname_after(text, text.index(" Ikw"), text.index("Ikw"), text.index("Ikw") + 9)
    assert not surname_after(text, text.index(","), text.index("Enugu"), text.index("Enugu") + 5)  # after ", from"


def test_hyphened_honorific_belongs_to_the_name() -> None:
    text = "Bhavna-ben we say; Bhavna-bench no"
    assert suffix_after(text, 6) == 10
    assert suffix_after(text, text.index("-bench")) == text.index("-bench")


# --- names by their capitals

def test_capital_runs_with_for_and_other_languages_particles() -> None:
    for text, name in [("we use Transport for Belmore buses", "Transport for Belmore"),
                       ("she is in Macra na Ceirme now", "Macra na Ceirme"),
                       ("so the MoD reference is new", "MoD")]:
        assert name in [text[s:e] for s, e, _ in find_phrase_gaps(text)]
    assert [text[s:e] for text in ["a PhD is long"] for s, e, _ in find_phrase_gaps(text)] == []


def test_a_possessive_where_a_clause_starts_is_a_name() -> None:
    text = "Diss is a town. Brevra's licensing team rang. It's fine. What-what's that? Everyone's tired.\nBo: Kelm's van."
    assert [text[s:e] for s, e, _ in find_phrase_gaps(text)] == ["Brevra", "Kelm"]


# --- identifiers

@pytest.mark.parametrize("text, found", [
    ("herd numbers like 342/0653; south", ["342/0653"]),
    ("candidate 6814-0644, was", ["6814-0644"]),
    ("submission number was chs 0762 then", ["chs 0762"]),
    ("Mail goes to Niibin Lake, ON, P0V 2N0. Then", ["P0V 2N0"]),
    ("the number was in 2020 and numbers like 20 or 30", []),
])
def test_new_identifier_shapes(text: str, found: list) -> None:
    assert [text[s:e] for s, e, _ in find_rules(text)] == found
