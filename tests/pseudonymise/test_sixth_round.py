"""Detection rules of the sixth round (issue 19), each with a case it must find and a case
it must leave. All examples are invented."""

from __future__ import annotations

import re

import pytest

from pipeline.pseudonymise.detect import SourceText, detect
from pipeline.pseudonymise.repeated import find_repeated_names


def _found(text: str, model=None) -> list[tuple[str, str]]:
    return [(m.kind, m.text) for m in detect([SourceText("d", text, ((0, len(text)),))], [], model)]


def _repeated(text: str) -> list[str]:
    return [text[s:e] for s, e, _ in find_repeated_names(text)]


# --- a name said, then said again with its surname

@pytest.mark.parametrize("text, names", [
    ("the lad who fixed it was tomasz tomasz wierzbicki from the depot", ["tomasz", "tomasz wierzbicki"]),
    ("one of the mums, ilka, ilka vantongeren, runs the rota", ["ilka", "ilka vantongeren"]),
    ("OUR TREASURER BRONAGH, BRONAGH QUILTY, SENT IT", ["BRONAGH", "BRONAGH QUILTY"]),
    ("My cousin Clemency, Clemency Nwosuike, lives there.", ["Clemency", "Clemency Nwosuike"]),
    ("and joss joss tregunna's van was late", ["joss", "joss tregunna"]),
])
def test_a_repeated_first_name_with_a_surname_is_a_person(text, names):
    assert _repeated(text) == names


@pytest.mark.parametrize("text", [
    "it was very, very cold on the pier",  # a stop word repeated
    "the number was four four seven two",  # a number
    "that was bad bad luck for the farm",  # both English words and no case to go by
    "we drove to Hexley, Hexley Council had closed the road",  # an organisation's head after it
    "the yard at Corran, Corran Road was flooded",  # a street
    "the tutor, Tutor Kinsella, marked it",  # a role
    "we said dovetail, Dovetail Maple in mixed case",  # mixed casing
    "a long long time ago",  # English words in lower case
])
def test_a_repetition_that_names_no_one_is_left(text):
    assert _repeated(text) == []


def test_a_repeated_name_is_found_in_a_lower_case_transcript_where_nothing_else_was():
    text = ("interviewer: who else helped\nspeaker: the driver that night was dunhin dunhin prothwyn he "
            "stayed till the end and we all thanked him for it because the road was closed and nobody "
            "else could get through to the farm that week or the one after it")
    found = _found(text)
    start = text.index("dunhin")
    people = [(text.index(t), text.index(t) + len(t)) for k, t in found if k == "PERSON"]
    assert any(s <= start and start + len("dunhin dunhin prothwyn") <= e for s, e in people)  # both said
    assert not any(t in ("farm", "road", "driver") for _, t in found)


# --- a short form given right after the full name

def _with_model(text: str, *people: str) -> list[tuple[str, str]]:
    def model(t, spans):
        for name in people:
            start = t.find(name)
            while start >= 0:
                yield start, start + len(name), "PERSON"
                start = t.find(name, start + 1)
    return _found(text, model)


@pytest.mark.parametrize("text, person, short", [
    ("Moderator: Who are you?\nBart: Bartholomew Quince, Bart, I keep the books.\nModerator: And?\n"
     "Bart: The books balance. We asked Bart.", "Bartholomew Quince", "Bart"),
    ("Present: Henrietta Loveday. Hetty. She chaired. Then we heard Hetty read the accounts.", "Henrietta Loveday", "Hetty"),
    ("Item 3. Mary Kate (MK) reported the loan. MK will write to the bank.", "Mary Kate", "MK"),
])
def test_a_short_form_after_the_full_name_is_that_person_everywhere_in_the_document(text, person, short):
    found = _with_model(text, person)
    assert found.count(("PERSON", short)) == len(re.findall(rf"\b{short}\b", text))
    assert ("PERSON", person) in found


@pytest.mark.parametrize("text, person, word", [
    ("Present: Henrietta Loveday, Chair, opened the meeting. The Chair said no.", "Henrietta Loveday", "Chair"),
    ("I met Bartholomew Quince, Then we left. Then it rained.", "Bartholomew Quince", "Then"),  # a stop word
    ("We thanked Bartholomew Quince, Sam, and the others. Sam left early.", "Bartholomew Quince", "Sam"),  # not his
    ("Mary Kate (BBC) reported the loan. The BBC ran it.", "Mary Kate", "BBC"),  # not her initials
])
def test_a_word_after_a_name_that_is_no_short_form_of_it_is_left(text, person, word):
    assert ("PERSON", word) not in _with_model(text, person)



# --- a form of address alone names no one

def _model_of(*found: tuple[str, str]):
    def model(text, spans):
        for written, kind in found:
            for match in re.finditer(rf"(?<!\w){re.escape(written)}(?!\w)", text):
                yield match.start(), match.end(), kind
    return model


def test_a_title_or_relation_word_the_model_takes_alone_is_no_name():
    text = ("Dr. Quarshie: We opened in May.\nInterviewer: Who helps?\nDr. Quarshie: Auntie cooks for us, "
            "and thank Auntie for the rice.")
    found = _found(text, _model_of(("Dr", "ORG"), ("Auntie", "PERSON"), ("Quarshie", "PERSON")))
    assert not any(t in ("Dr", "Dr.", "Auntie") for _, t in found)
    assert ("PERSON", "Quarshie") in found  # the name after the title is still found


def test_a_name_with_its_title_is_still_found():
    text = "We saw Auntie Ekuwa and Dr Hallgrim-Mbeki at the clinic on Tuesday."
    found = _found(text, _model_of(("Auntie Ekuwa", "PERSON"), ("Dr Hallgrim-Mbeki", "PERSON")))
    assert any("Ekuwa" in t for k, t in found if k == "PERSON")
    assert any("Hallgrim-Mbeki" in t for k, t in found if k == "PERSON")


# --- two English words run together: not a name split into a word and a rare short entry

@pytest.mark.parametrize("word", ["hotline", "lifejackets", "timesheets", "foodbank", "payslips", "webchat"])
def test_two_english_words_run_together_are_english(word):
    from pipeline.pseudonymise.lexicon import is_english
    assert is_english(word)


@pytest.mark.parametrize("word", ["tophin", "carnos", "fenhin", "dunhin"])
def test_a_name_that_splits_only_into_a_rare_short_entry_is_no_english_word(word):
    from pipeline.pseudonymise.lexicon import is_english
    assert not is_english(word)


# --- an acronym written with a small letter between capitals

@pytest.mark.parametrize("text, name", [
    ("We were inspected by the OfQ last spring.", "OfQ"),
    ("Her certificate came from the GWiZ scheme.", "GWiZ"),
    ("the KaNT sent the grant letter", "KaNT"),
])
def test_a_mixed_case_acronym_is_an_organisation(text, name):
    from pipeline.pseudonymise.orgs import find_orgs
    assert [text[s:e] for s, e, _ in find_orgs(text, set())] == [name]


@pytest.mark.parametrize("text", [
    "She has a PhD and an MSc.", "Give your DoB and the WiFi code.", "Ask McKay about it.",
    "I bought an iPad.", "Her HbA1c was high.",
])
def test_degrees_everyday_abbreviations_and_names_are_no_mixed_case_acronym(text):
    from pipeline.pseudonymise.orgs import find_orgs
    assert list(find_orgs(text, set())) == []
