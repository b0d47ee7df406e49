"""Names lists: the formats that work, and every wrong one with a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import InputError
from pipeline.pseudonymise.names import KnownName, NameMatcher, load_names, study_names


def _write(tmp_path: Path, name: str, content: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def test_txt_names_with_kinds_and_variants(tmp_path: Path) -> None:
    path = _write(tmp_path, "names.txt", "# staff\nMaria Gonzalez | Mari | Mia\n\norg: St Brigid's Hospital | St B's\nplace: Ennis\n")
    names = load_names(path)
    assert names == [
        KnownName("Maria Gonzalez", "PERSON", ("Mari", "Mia")),
        KnownName("St Brigid's Hospital", "ORG", ("St B's",)),
        KnownName("Ennis", "PLACE"),
    ]


def test_csv_names(tmp_path: Path) -> None:
    path = _write(tmp_path, "names.csv", "Name,Kind,Variants\nSiobhán Murphy,person,Shiv;Siobhan\nScoil Bhríde,org,\n")
    assert load_names(path) == [KnownName("Siobhán Murphy", "PERSON", ("Shiv", "Siobhan")), KnownName("Scoil Bhríde", "ORG")]


@pytest.mark.parametrize("name, content, message", [
    # a spreadsheet saved under its own format, not as CSV
    ("names.xlsx", b"PK\x03\x04", "must be a .txt or .csv"),
    # a CSV without the name column
    ("names.csv", "person,nickname\nMaria,Mari\n", "needs a 'name' column"),
    # an unknown kind is a typo, not a new kind
    ("names.txt", "persn: Maria Gonzalez\n", "line 1: unknown kind 'persn'"),
    # a one-letter variant would replace that letter everywhere
    ("names.txt", "Maria Gonzalez | M\nRose\n", "line 1: 'M' is too short"),
    # Latin-1 bytes: the researcher must save as UTF-8
    ("names.txt", "Siobh\xe1n Murphy\n".encode("latin-1"), "not UTF-8"),
    # only comments: nothing to look for is a mistake
    ("names.txt", "# nobody\n\n", "holds no names"),
    # a binary file renamed .txt
    ("names.txt", b"abc\x00def", "not a text file"),
])
def test_wrong_names_lists_are_refused(tmp_path: Path, name: str, content, message: str) -> None:
    with pytest.raises(InputError, match=message):
        load_names(_write(tmp_path, name, content))


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = _write(tmp_path, "names.txt", "place: \nfoo: Bar\nMaria | x\n")
    with pytest.raises(InputError) as caught:
        load_names(path)
    assert all(f"line {n}:" in str(caught.value) for n in (1, 2, 3))


def test_study_names_keep_roles_and_generic_labels_out() -> None:
    found = study_names(
        {"Riverside Clinic": {"site_name": "Riverside", "phase": "adoption"}, "Case 3": {}},
        ["Interviewer", "P1", "Maria", "Maria", "R"],
    )
    assert [(k.name, k.kind) for k in found] == [("Riverside Clinic", "ORG"), ("Riverside", "ORG"), ("Maria", "PERSON")]


@pytest.mark.parametrize("text, expected", [
    # any casing, the full name, a first name, a surname and a nickname are one person
    ("MARIA GONZALEZ and maria and Gonzalez and Mari", ["MARIA GONZALEZ", "maria", "Gonzalez", "Mari"]),
    # a name split across a line break in the transcript
    ("I met Maria\nGonzalez there", ["Maria\nGonzalez"]),
    # inside an e-mail address the rule, not the list, finds it
    ("maria.gonzalez@x.org", []),
    # "hope" the word is never a name in lower case; "Hope" mid-sentence is a candidate
    ("I hope so. Ask Hope tomorrow", [("Hope", False)]),
    # as a speaker label a common-word name is certain
    ("Hope: yes", [("Hope", True)]),
])
def test_matcher(text: str, expected: list) -> None:
    matcher = NameMatcher([KnownName("Maria Gonzalez", "PERSON", ("Mari",)), KnownName("Hope Adeyemi", "PERSON")])
    found = [(text[s:e], certain) for s, e, _, _, certain in matcher.find(text)]
    if expected and isinstance(expected[0], str):
        assert [t for t, _ in found] == expected
    else:
        assert found == expected


def test_shared_first_name_goes_to_the_person_named_in_the_document() -> None:
    from pipeline.pseudonymise.detect import SourceText, detect

    names = [KnownName("Grace Wu", "PERSON"), KnownName("Grace Kamara", "PERSON")]
    mentions = detect([SourceText("d", "Grace Kamara came. Later Grace left.", ())], names, None)
    assert {m.entity for m in mentions} == {"grace kamara"}


def test_function_words_of_a_found_name_are_not_name_parts() -> None:
    # a name found as "The Paddock" (the model sometimes calls a venue a person) must not make
    # every "The" a person; its real word still counts
    matcher = NameMatcher([KnownName("The Paddock", "PERSON"), KnownName("Friends of Ely", "PERSON")])
    text = "The hall is big. Paddock gates. Friends of Ely met. Most of them came."
    found = [text[s:e] for s, e, _, _, _ in matcher.find(text)]
    assert found == ["Paddock", "Friends of Ely"]


@pytest.mark.parametrize("known, text, expected", [
    # a nickname that is a title and an initial: the initial alone is every "a"
    (KnownName("Nadia Rahman", "PERSON", ("Miss A",)), "Ask Miss A about a form. I miss a bus.", ["Miss A"]),
    # initials after a title: "TB" alone is the illness
    (KnownName("Kofi Boateng", "PERSON", ("Dr. K.B.",)), "Dr. K.B. said KB is down.", ["Dr. K.B."]),
    # an organisation known as "the" and an everyday word
    (KnownName("Glenrock Distillery", "ORG", ("the Still",)), "We met at the Still. It is still cold in the still room.",
     ["the Still"]),
])
def test_a_listed_form_that_is_an_everyday_word_without_its_title_is_found_only_as_written(
        known: KnownName, text: str, expected: list) -> None:
    matcher = NameMatcher([known])
    assert [text[s:e] for s, e, _, _, _ in matcher.find(text)] == expected


def test_a_name_part_that_is_an_everyday_word_is_found_only_inside_the_whole_name() -> None:
    matcher = NameMatcher([KnownName("Odette Two Rivers", "PERSON"), KnownName("Will Sandoval", "PERSON")])
    text = "Odette Two Rivers came with two friends. Two of them met Odette and Will."
    found = [text[s:e] for s, e, _, _, _ in matcher.find(text)]
    assert found == ["Odette Two Rivers", "Odette", "Will"]
