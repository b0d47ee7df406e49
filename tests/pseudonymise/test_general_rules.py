"""The general detection rules added for recall: identifiers by shape (spoken numbers,
addresses without a scheme, checksummed and labelled IDs), names by shape (streets,
organisations, initials), and the names list's variants (diacritics, shared first
names, lower case at a sentence start, the model's names in lower case)."""

from __future__ import annotations

import pytest

from pipeline.pseudonymise.detect import SourceText, detect
from pipeline.pseudonymise.names import KnownName, NameMatcher, fold
from pipeline.pseudonymise.rules import find_rules, nhs_number_valid, spoken_digits
from pipeline.pseudonymise.shapes import find_shapes


@pytest.mark.parametrize("text, found", [
    ("it's oh seven seven double oh, nine hundred, six oh four.", [("PHONE", "oh seven seven double oh, nine hundred, six oh four")]),
    ("one or two of them, maybe three", []),  # too few digits for a number
    ("mail maria dot lopez at example dot org now", [("EMAIL", "maria dot lopez at example dot org")]),
    ("see example.org/checklist, or portal.example.co.uk", [("URL", "example.org/checklist"), ("URL", "portal.example.co.uk")]),
    ("we were done.It was late; timetable.pdf", []),  # a missing space or a file name is no address
    ("cell (312) 555-0142, office 312-555-0100", [("PHONE", "(312) 555-0142"), ("PHONE", "312-555-0100")]),
    ("NHS number 999 081 8363.", [("ID", "999 081 8363")]),
    ("NI QQ 12 34 56 C ok", [("ID", "QQ 12 34 56 C")]),
    ("plate WX71 KTB", [("ID", "WX71 KTB")]),
    ("the ID: BW-2291-447.", [("ID", "BW-2291-447")]),
    ("Our roll number is RN 18342K if", [("ID", "RN 18342K")]),
    ("Collar number 4471, email", [("ID", "4471")]),
    ("an ID like KDC-004512.", [("ID", "KDC-004512")]),
    ("charity 1174421, account 12 34 56 78 90 12", [("ID", "1174421"), ("ID", "12 34 56 78 90 12")]),
    ("handle @CwmTafLibs here", [("ID", "@CwmTafLibs")]),
    # not identifiers: a year, a count, money, a short case number, an illness
    ("COVID-19 in 2020, Year 9, case 2, 250,000 people, £120000", []),
])
def test_identifier_rules(text: str, found: list) -> None:
    assert [(k, text[s:e]) for s, e, k in find_rules(text)] == found


def test_nhs_check_digit_and_spoken_digits() -> None:
    assert nhs_number_valid("9990818363") and not nhs_number_valid("9990818364")
    assert spoken_digits("double oh four four, seven seven") == 6


@pytest.mark.parametrize("text, found", [
    ("I run a shop on Lordship Lane in Dulwich", [("PLACE", "Lordship Lane")]),
    ("address is Flat 2, 41 Kedleston Road, Derby", [("PLACE", "Flat 2, 41 Kedleston Road")]),
    ("A small company, Datenwerk GmbH. Their", [("ORG", "Datenwerk GmbH")]),
    ("Yesterday Bradford Council rang", [("ORG", "Bradford Council")]),  # the sentence's first word is not the name
    ("Our Trust said so", []),
    ("with the University of Leeds", [("ORG", "University of Leeds")]),
    ("I'll call him Mr T., he had", [("PERSON", "Mr T.")]),
    ("A young man I'll call K.. K. was late", [("PERSON", "K."), ("PERSON", "K.")]),
    ("The inspector was J. P. Costello.", [("PERSON", "J. P. Costello")]),
    ("in the U.K. and the U.S.", []),
])
def test_shapes(text: str, found: list) -> None:
    assert sorted((k, text[s:e]) for s, e, k in find_shapes(text)) == sorted(found)


def _found(text: str, names: list[KnownName], model=None) -> list[str]:
    return [m.text for m in detect([SourceText("d", text, ((0, len(text)),))], names, model)]


def test_diacritics_are_folded() -> None:
    assert fold("Siobhán Wójcik-Łukasz") == "Siobhan Wojcik-Lukasz"
    assert _found("Siobhan said so, and Siobhán agreed.", [KnownName("Siobhán Murphy", "PERSON")]) == ["Siobhan", "Siobhán"]


def test_shared_first_name_counts_where_either_person_is_named() -> None:
    names = [KnownName("Hope Adeyemi", "PERSON"), KnownName("Hope Mwangi", "PERSON")]
    mentions = detect([SourceText("d", "We hired Hope Mwangi. Hope is great.", ((0, 36),))], names, None)
    assert [(m.text, m.entity) for m in mentions] == [("Hope Mwangi", "hope mwangi"), ("Hope", "hope mwangi")]


def test_common_word_names_in_lower_case_and_as_verbs() -> None:
    names = [KnownName("Will Okoro", "PERSON"), KnownName("Mark Feldman", "PERSON")]
    text = "Will Okoro joined. He left next year. will was great. Will you stay? Mark my words. we will see."
    assert _found(text, names) == ["Will Okoro", "will"]


def test_model_names_are_found_in_lower_case_first_names_only() -> None:
    def model(text, spans):
        yield text.index("Sofia Grant"), text.index("Sofia Grant") + len("Sofia Grant"), "PERSON"
    text = "Sofia Grant invested. sofia asks hard questions about the grant."
    assert _found(text, [], model) == ["Sofia Grant", "sofia"]


def test_matcher_knows_given_names() -> None:
    # every word but the surname is a given name ("mei ling built it" names her)
    assert NameMatcher([KnownName("Mei Ling Tan", "PERSON")]).first_names == {"mei", "ling"}


@pytest.mark.parametrize("text, found", [
    ("the payroll letter said KX 44120 instead", [("ID", "KX 44120")]),
    ("We're in Denver, CO 80205 now", [("ID", "CO 80205")]),
    ("the sign-up code is WX-HALE-3 for members", [("ID", "WX-HALE-3")]),
    ("a DOI like 10.5555/abc2023.041.", [("ID", "10.5555/abc2023.041")]),
    ("airway bill 512-33445566 today", [("ID", "512-33445566")]),
    ("bleep 5512, any time", [("ID", "5512")]),
    # a year after capitals, a hyphenated word, a name spelled out: no identifiers
    ("the EU 2016 vote, COVID-19, and K-E-L-L-Y", []),
    # spoken web addresses: two dots, or a dot and a slash
    ("site is brightwave dot example dot org, or", [("URL", "brightwave dot example dot org")]),
    ("on tiktok dot com slash ourgroup now", [("URL", "tiktok dot com slash ourgroup")]),
    ("back in the dot com boom", []),
    # codes of slash-joined parts with letters and digits; not a date or a web path
    ("order number DfE/RX/23/0412. Then", [("ID", "DfE/RX/23/0412")]),
    ("on 12/03/2024 at example.org/a/b", [("URL", "example.org/a/b")]),
    ("with Harrow it's HT 22-4471 now; ages 10-12", [("ID", "HT 22-4471")]),
    # an uncorrected lower-case transcript: a postcode, a labelled code in lower case
    ("postcode pe4 7jx, she said, on the m5 4th lane", [("ID", "pe4 7jx")]),
    ("her plan number was dmx 2023 0412, and in 2024 we", [("ID", "dmx 2023 0412")]),
    ("the case was in 2024 then", []),
])
def test_more_identifier_shapes(text: str, found: list) -> None:
    assert [(k, text[s:e]) for s, e, k in find_rules(text)] == found


def test_role_speaker_labels_and_words_are_not_names() -> None:
    from pipeline.pseudonymise.names import study_names

    assert [n.name for n in study_names({}, ["Chair", "Driver", "Mum", "Oksana"])] == ["Oksana"]
    text = "Ann: I rang Mum. Email is best; the driver came."
    model = lambda t, spans: [(t.index(w), t.index(w) + len(w), "PERSON") for w in ("Mum", "Email", "driver")]  # noqa: E731
    assert [m.text for m in detect([SourceText("a", text, ())], [], model)] == []


def test_country_and_national_bodies_alone_are_not_names() -> None:
    """"NHS" and "UK" found by the model identify no one; "NHS Kernow" still counts."""
    text = "Ann: The NHS in the UK, and NHS Kernow."
    spans = [(text.index("NHS"), text.index("NHS") + 3, "ORG"), (text.index("UK"), text.index("UK") + 2, "PLACE"),
             (text.index("NHS Kernow"), text.index("NHS Kernow") + 10, "ORG")]
    found = detect([SourceText("a", text, ())], [], lambda t, s: spans)
    assert [m.text for m in found] == ["NHS Kernow"]
