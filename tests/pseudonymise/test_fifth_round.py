"""Detection rules of the fifth round (issue 19), each with a case it must find and a case
it must leave. All examples are invented."""

from __future__ import annotations

import pytest

from pipeline.pseudonymise.detect import SourceText, detect
from pipeline.pseudonymise.entities import Mention
from pipeline.pseudonymise.joins import join_pieces
from pipeline.pseudonymise.names import KnownName
from pseudonymise_helpers import found_kinds as _found, stand_in_model as _model


def _pieces(text: str, *found: tuple[str, str, str]) -> list[str]:
    """join_pieces over (written, kind, source) findings placed at their first occurrence."""
    mentions = []
    for written, kind, source in found:
        start = text.index(written)
        mentions.append(Mention("d", start, start + len(written), written, kind, source, written.lower()))
    return [m.text for m in join_pieces(mentions, text)]


# --- a name found in pieces is made whole

@pytest.mark.parametrize("text, found, whole", [
    # two findings one space apart
    ("We met at Tobar Lanish last May.", [("Tobar", "PERSON", "model"), ("Lanish", "ORG", "model")],
     ["Tobar Lanish"]),
    # across a particle of another language
    ("The grant came from Cumann na Feorainn in spring.",
     [("Cumann", "PERSON", "model"), ("Feorainn", "ORG", "model")], ["Cumann na Feorainn"]),
    ("They camp by Allt a' Bhraigh each year.", [("Allt", "PLACE", "model"), ("Bhraigh", "PERSON", "model")],
     ["Allt a' Bhraigh"]),
    # across an eclipsed Irish word after a particle found with the first piece
    ("She wrote to Bord na gCainteoirí Óga twice.",
     [("Bord na", "ORG", "model"), ("Óga", "PERSON", "model")], ["Bord na gCainteoirí Óga"]),
    # a finding led by a particle takes the capitalised word before it
    ("Then Comhlacht na Mara paid for it.", [("na Mara", "PERSON", "model")], ["Comhlacht na Mara"]),
    # a capitalised article inside a sentence, and a particle and a name after a finding
    ("We stayed in An Baile Thiar that summer.", [("Baile Thiar", "ORG", "pattern")], ["An Baile Thiar"]),
    ("She lives in Port an Dúin now.", [("Port", "PLACE", "model")], ["Port an Dúin"]),
    ("The boat sank off Carraig an Róin.", [("Róin", "ORG", "model")], ["Carraig an Róin"]),
])
def test_pieces_joined(text, found, whole):
    assert _pieces(text, *found) == whole


@pytest.mark.parametrize("text, found, kept", [
    # English "and" or "of" between two names keeps them two
    ("We drove from Leeds and Bradford.", [("Leeds", "PLACE", "model"), ("Bradford", "PLACE", "model")],
     ["Leeds", "Bradford"]),
    # a comma, two spaces or a line break between findings
    ("Ask Corrin, Tavish about it.", [("Corrin", "PERSON", "model"), ("Tavish", "PERSON", "model")],
     ["Corrin", "Tavish"]),
    ("Ask Corrin\nTavish about it.", [("Corrin", "PERSON", "model"), ("Tavish", "PERSON", "model")],
     ["Corrin", "Tavish"]),
    # an English "an" before an acronym is no particle of a name
    ("I gave Corrin an NHS leaflet.", [("Corrin", "PERSON", "model")], ["Corrin"]),
    # a rule's finding (an e-mail address) is never joined to a name
    ("Write to Corrin corrin@example.org today.",
     [("Corrin", "PERSON", "model"), ("corrin@example.org", "EMAIL", "rule")], ["Corrin", "corrin@example.org"]),
    # a capitalised article at a sentence's start belongs to the sentence
    ("Well. An Baile Thiar was full.", [("Baile Thiar", "ORG", "pattern")], ["Baile Thiar"]),
])
def test_pieces_left_apart(text, found, kept):
    assert _pieces(text, *found) == kept


def test_listed_person_joined_with_a_model_finding_beside_it_is_one_person():
    text = "On the team sheet: DARA QUILLEN, then the subs."
    found = detect([SourceText("d", text, ((0, len(text)),))], [KnownName("Dara", "PERSON")],
                   _model(("QUILLEN", "ORG")))
    assert [(m.text, m.kind, m.entity) for m in found] == [("DARA QUILLEN", "PERSON", "dara quillen")]


# --- an ID with the code parts beside it, handles with dots, title-case postcodes

@pytest.mark.parametrize("text, code", [
    ("The permit reads QT4 8HW 2LP, stamped.", "QT4 8HW 2LP"),  # a third mixed part after a postcode shape
    ("Tag number starts ZE3 448120 on the left ear.", "ZE3 448120"),  # a mixed part before digits
    ("Their file was MOR 61-2-5508 in the end.", "MOR 61-2-5508"),  # a prefix of capitals
    ("Logged as PRISM K41-7730 that night.", "PRISM K41-7730"),
    ("Follow her as @tamsin.draws_daily for updates.", "@tamsin.draws_daily"),
    ("We Live Near Llanfor, Postcode Ll23 7Dx, Since May.", "Ll23 7Dx"),
])
def test_code_parts_and_handles_found_whole(text, code):
    from pipeline.pseudonymise.rules import find_rules

    assert code in [text[s:e] for s, e, k in find_rules(text) if k == "ID"]


@pytest.mark.parametrize("text", [
    "We Met In The Year 2019 And Again In 2021.",  # no postcode in title case without its shape
    "Write to tamsin@mail.example.org today.",  # an e-mail is no handle
    "She scored 112 in the GCSE mock.",  # a number of three digits with capitals beside it
    "Take the A1 or M6 north.",
])
def test_code_parts_not_invented(text):
    from pipeline.pseudonymise.rules import find_rules

    assert [text[s:e] for s, e, k in find_rules(text) if k == "ID"] == []


def test_a_label_in_capitals_is_not_taken_as_a_code_part():
    from pipeline.pseudonymise.rules import find_rules

    text = "Her REF W86-3321 came late."
    assert [text[s:e] for s, e, k in find_rules(text) if k == "ID"] == ["W86-3321"]


# --- two capitalised words starting a sentence are one name

@pytest.mark.parametrize("text, name", [
    ("Where now? Ferry Lanark, or the coach.", "Ferry Lanark"),
    ("We asked around. Hollins Rescue cover the nights for us.", "Hollins Rescue"),
    ("It was cold. Tarrow Community. That was the group.", "Tarrow Community"),
])
def test_two_capitalised_words_at_a_sentence_start_found(text, name):
    from pipeline.pseudonymise.phrases import find_phrase_gaps

    assert name in [text[s:e] for s, e, _ in find_phrase_gaps(text)]


@pytest.mark.parametrize("text", [
    "It rained. In English we call it drizzle.",  # a preposition, then a language
    "We had two. One GP was lovely.",  # a number, then an abbreviation
    "Keep them safe. Patient IDs go in the folder.",  # a generic abbreviation in the plural
    "Thank you. Praise God for that.",  # God
    "Yes. So Mum rang the office.",  # a sentence word, a family word
    "Okay. So-so Dana's idea helped.",  # a word of speech said twice
    "Right. Yeah Bristol was fine.",  # a word of speech
])
def test_sentence_start_pairs_that_are_no_name_left(text):
    from pipeline.pseudonymise.phrases import find_phrase_gaps

    assert [text[s:e] for s, e, _ in find_phrase_gaps(text)] == []


# --- a name with a capital inside, echoed in lower case anywhere in the document

def test_camel_case_name_echoed_in_lower_case_inside_a_sentence():
    from pipeline.pseudonymise.echoes import find_echoes

    text = "We book through TalkBridge, and talkbridge send someone."
    assert "talkbridge" in [text[s:e] for s, e, _ in find_echoes(text, [("TalkBridge", "ORG")])]


def test_plain_name_or_acronym_not_echoed_in_lower_case_inside_a_sentence():
    from pipeline.pseudonymise.echoes import find_echoes

    text = "We use Harbour for rota work, and the harbour is busy. NICE said it was nice."
    found = [text[s:e] for s, e, _ in find_echoes(text, [("Harbour", "ORG"), ("NICE", "ORG")])]
    assert "harbour" not in found and "nice" not in found


# --- a person named before their role, set off by commas

@pytest.mark.parametrize("text, name", [
    ("Anwen, her niece, keeps the books.", "Anwen"),
    ("Then Tobias Reyne, our treasurer, resigned.", "Tobias Reyne"),
    ("We asked Rhian, the manager of the site.", "Rhian"),
])
def test_name_before_its_role_found(text, name):
    from pipeline.pseudonymise.places import find_person_gaps

    assert name in [text[s:e] for s, e, _ in find_person_gaps(text)]


@pytest.mark.parametrize("text", [
    "We asked the Clerk of Works, the head mason, to look.",  # a role, not a name
    "Leeds, my home town, is cheaper.",  # no role after the comma
    "My daughter, her teacher, and I went.",  # a role word is no name
    "Yeah, my doctor sent me.",  # words of speech before a role (seen on real counselling transcripts)
    "Um, then-- Well, my husband and I went.",
])
def test_name_before_its_role_not_invented(text):
    from pipeline.pseudonymise.places import find_person_gaps

    assert [text[s:e] for s, e, _ in find_person_gaps(text)] == []


# --- capitals of other Latin alphabets are capitals

@pytest.mark.parametrize("text, name", [
    ("We went on to Ōtāwhiti after lunch.", "Ōtāwhiti"),  # one capitalised word after a lower-case word
    ("They left for the coast. Łąka Dolna, or the farm.", "Łąka Dolna"),  # two at a sentence's start
    ("She worked with Éire Óg Teoranta for years.", "Éire Óg Teoranta"),  # a run inside a sentence
])
def test_accented_capitals_start_names(text, name):
    from pipeline.pseudonymise.phrases import find_phrase_gaps

    assert name in [text[s:e] for s, e, _ in find_phrase_gaps(text)]


def test_a_people_with_diacritics_is_no_name():
    from pipeline.pseudonymise.vocabulary import is_group_word

    assert is_group_word("Māori") and is_group_word("MĀORI") and not is_group_word("Māhina")


def test_lower_case_accented_words_are_not_capitals():
    from pipeline.pseudonymise.phrases import find_phrase_gaps

    text = "the café was élégant and the crème brûlée too."
    assert list(find_phrase_gaps(text)) == []


def test_accented_first_name_before_a_found_surname_joins_it():
    from pipeline.pseudonymise.people import first_name_before

    text = "our treasurer, Órla Quennell, signed"
    assert first_name_before(text, text.index("Quennell")) == text.index("Órla")


def test_accented_organisation_ending_found_by_shape():
    from pipeline.pseudonymise.shapes import find_shapes

    text = "She works for Éadaí Ltd in town."
    assert "Éadaí Ltd" in [text[s:e] for s, e, _ in find_shapes(text)]


# --- a listed one-word name followed by a short number is a part of a site

def test_listed_surname_before_a_short_number_is_not_the_person():
    text = "Ask Colin Bay. She moved to Bay 4 last week, near Room 12."
    found = _found(text, [KnownName("Colin Bay", "PERSON")])
    assert ("PERSON", "Bay") not in found[1:] and ("PERSON", "Colin Bay") in found


def test_listed_name_before_a_phone_number_still_found():
    text = "Ask Colin Bay. Or ring Colin 01632 960 111 today."
    found = _found(text, [KnownName("Colin Bay", "PERSON")])
    assert ("PERSON", "Colin") in found


# --- "X and Y": two names only where both sides were found as one kind

def test_and_between_parts_of_different_kinds_is_one_name():
    text = "He was a joiner at Brantley and Voss for years."
    found = _found(text, [], _model(("Brantley", "PLACE"), ("Voss", "PERSON")))
    assert ("ORG", "Brantley and Voss") in found


def test_and_between_two_places_stays_two_names():
    text = "She drove between Brantley and Vossholm every day."
    found = _found(text, [], _model(("Brantley", "PLACE"), ("Vossholm", "PLACE")))
    assert ("PLACE", "Brantley") in found and ("PLACE", "Vossholm") in found


# --- a word no English dictionary holds, where a clause starts, is a name

@pytest.mark.parametrize("text, name", [
    ("We tried everything. Quorvix did the audit for us.", "Quorvix"),
    ("Interviewer: Which system?\nMara: Tellibus for the register, mostly.", "Tellibus"),
    ("It was hard; Brindlecombe lads pushed the bus.", "Brindlecombe"),
])
def test_unknown_word_at_a_clause_start_found(text, name):
    from pipeline.pseudonymise.phrases import find_phrase_gaps

    assert name in [text[s:e] for s, e, _ in find_phrase_gaps(text)]


@pytest.mark.parametrize("text", [
    "It rained. Queues formed outside by six.",  # an inflected English word
    "We waited. Lifejackets go back to the store.",  # two English words run together
    "Mara: Whoa, that was close.",  # an exclamation
    "Mara: Shukran. Then we started the meeting.",  # a word alone as a sentence (a greeting)
    "Mara: Everybody came along.",
])
def test_english_or_lone_words_at_a_clause_start_left(text):
    from pipeline.pseudonymise.phrases import find_phrase_gaps

    assert [text[s:e] for s, e, _ in find_phrase_gaps(text)] == []


def test_vocabulary_reads_inflections_and_is_read_from_the_installed_model_package():
    from pipeline.pseudonymise.lexicon import english_words, is_english

    words, rules = english_words()
    assert len(words) > 50_000 and rules  # the WordNet lemma index and the lemmatizer's suffix rules
    assert is_english("Organised") and is_english("fetched") and is_english("didn't") and is_english("well-known")
    assert not is_english("Quorvix")


# --- in an uncorrected lower-case transcript, words no English dictionary holds are names

def test_unknown_lower_case_words_found_and_runs_joined():
    from pipeline.pseudonymise.places import find_lower_case_gaps

    text = "i drive for qorvella most nights and tomasz wielgosz helps me on saturdays"
    found = [text[s:e] for s, e, _ in find_lower_case_gaps(text)]
    assert "qorvella" in found and "tomasz wielgosz" in found


def test_english_words_and_abbreviations_in_a_lower_case_transcript_left():
    from pipeline.pseudonymise.places import find_lower_case_gaps

    text = "we queued for ages at the gp and the nhs app kept crashing, everybody's fed up innit"
    assert list(find_lower_case_gaps(text)) == []


def test_unknown_words_count_only_in_a_lower_case_transcript():
    text = ("Mara: We drive for Qorvella most nights. It is hard work, and the pay is low. "
            "People say a qorvella shift is long.")
    found = _found(text, [])
    assert ("ORG", "qorvella") not in found  # a capitalised transcript: lower case is a word there


def test_lower_case_pieces_one_space_apart_joined_and_accented_words_read():
    from pipeline.pseudonymise.lexicon import is_english
    from pipeline.pseudonymise.places import find_lower_case_gaps

    text = "she's a carer, my friend agnieszka wróblewska, at the café most days"
    found = [text[s:e] for s, e, _ in find_lower_case_gaps(text)]
    assert "agnieszka wróblewska" in found and "café" not in found and is_english("Café")
    pieces = _pieces(text, ("agnieszka", "PERSON", "pattern"), ("wróblewska", "ORG", "pattern"))
    assert pieces == ["agnieszka wróblewska"]


def test_lower_case_pieces_two_spaces_apart_not_joined():
    text = "she met corrin  tavish there"
    assert _pieces(text, ("corrin", "PERSON", "pattern"), ("tavish", "PERSON", "pattern")) == ["corrin", "tavish"]
