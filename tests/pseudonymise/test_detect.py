"""Detection: rules, overlaps, entity linking and study-wide codes (no model weights:
a fake model is a plain function, as pipeline.pseudonymise.detect.detect accepts)."""

from __future__ import annotations

import pytest

from pipeline.pseudonymise.apply import find_added, make_restorer, map_blocks, replace_spans
from pipeline.pseudonymise.detect import SourceText, assign_codes, detect
from pipeline.pseudonymise.entities import normalise
from pipeline.pseudonymise.names import KnownName
from pipeline.pseudonymise.rules import find_rules
from pipeline.records import Block


@pytest.mark.parametrize("text, found", [
    ("write to a.b-c@uni.ac.uk today", [("EMAIL", "a.b-c@uni.ac.uk")]),
    ("see https://example.org/x?y=1. Then", [("URL", "https://example.org/x?y=1")]),
    ("or www.safeharbour.org.uk, thanks", [("URL", "www.safeharbour.org.uk")]),
    # UK mobile, landline with spaces, international, bracketed area code
    ("ring 07700 900123", [("PHONE", "07700 900123")]),
    ("ring 0113 496 0000", [("PHONE", "0113 496 0000")]),
    ("ring +49 761 555 0192", [("PHONE", "+49 761 555 0192")]),
    ("ring (020) 7946 0018", [("PHONE", "(020) 7946 0018")]),
    ("postcode SA43 1JY here", [("ID", "SA43 1JY")]),
    ("NHS number 943 476 5919", [("ID", "943 476 5919")]),
    # years, counts and times are not phone numbers
    ("in 2019 we had 1200 staff at 10:30", []),
])
def test_rules(text: str, found: list) -> None:
    assert [(k, text[s:e]) for s, e, k in find_rules(text)] == found


def fake_model(text, spans):
    """Finds 'Kwame Mensah', 'Kwame' and 'Leeds' wherever they are, as a model would."""
    import re

    for start, end in spans:
        for m in re.finditer(r"Kwame Mensah|Kwame|Leeds|Interviewer", text[start:end]):
            kind = "PLACE" if m.group(0) == "Leeds" else "ORG" if m.group(0) == "Interviewer" else "PERSON"
            yield start + m.start(), start + m.end(), kind


def test_same_entity_same_code_across_documents() -> None:
    names = [KnownName("Maria Gonzalez", "PERSON", ("Mari",))]
    sources = [
        SourceText("d1", "Maria Gonzalez met Kwame Mensah in Leeds.", ((0, 41),)),
        SourceText("d2", "Later MARIA and mari and Kwame went to leeds.", ((0, 45),)),
    ]
    mentions, codes = assign_codes(detect(sources, names, fake_model), {})
    by_text = {(m.document_id, m.text): m.code for m in mentions}
    assert by_text[("d1", "Maria Gonzalez")] == by_text[("d2", "MARIA")] == by_text[("d2", "mari")] == "[PERSON_01]"
    # the model's one-word "Kwame" joins the one multi-word person holding that word
    assert by_text[("d1", "Kwame Mensah")] == by_text[("d2", "Kwame")] == "[PERSON_02]"
    assert by_text[("d1", "Leeds")] == "[PLACE_01]"
    # role words the model mistakes for organisations are dropped
    assert all(m.text != "Interviewer" for m in mentions)


def test_known_codes_are_kept_and_new_ones_follow_them() -> None:
    sources = [SourceText("d", "Rose Okafor and Priya Raman", ((0, 27),))]
    names = [KnownName("Rose Okafor", "PERSON"), KnownName("Priya Raman", "PERSON")]
    mentions, codes = assign_codes(detect(sources, names, None), {("PERSON", "rose okafor"): "[PERSON_07]"})
    assert [m.code for m in mentions] == ["[PERSON_07]", "[PERSON_08]"]


def test_a_rule_wins_over_a_name_inside_it() -> None:
    sources = [SourceText("d", "mail rose.okafor@nhs.net now", ((0, 28),))]
    mentions = detect(sources, [KnownName("Rose Okafor", "PERSON")], None)
    assert [(m.kind, m.text, m.source) for m in mentions] == [("EMAIL", "rose.okafor@nhs.net", "rule")]


def test_codes_in_text_are_never_found_again() -> None:
    sources = [SourceText("d", "[PERSON_01] met Kwame in Leeds.", ((0, 31),))]
    assert all("PERSON_01" not in m.text for m in detect(sources, [], fake_model))


@pytest.mark.parametrize("written, kind, key", [
    ("Dr Kwame Mensah", "PERSON", "kwame mensah"),
    ("Kwame's", "PERSON", "kwame"),
    ("the NHS", "ORG", "nhs"),
    ("Maria.Gonzalez@X.org", "EMAIL", "maria.gonzalez@x.org"),
    ("0113 496-0000", "PHONE", "01134960000"),
])
def test_normalise(written: str, kind: str, key: str) -> None:
    assert normalise(written, kind) == key


def test_replacing_keeps_block_offsets_consistent() -> None:
    text = "Maria: I met Kwame Mensah.\nKwame: Hi Maria."
    blocks = (Block(7, 26, "turn", "Maria"), Block(34, 43, "turn", "Kwame"))
    reps = [(0, 5, "[PERSON_01]"), (13, 25, "[PERSON_02]"), (27, 32, "[PERSON_02]"), (37, 42, "[PERSON_01]")]
    new_text = replace_spans(text, reps)
    new_blocks = map_blocks(blocks, reps, {"Maria": "[PERSON_01]", "Kwame": "[PERSON_02]"})
    assert new_text == "[PERSON_01]: I met [PERSON_02].\n[PERSON_02]: Hi [PERSON_01]."
    assert [new_text[b.start:b.end] for b in new_blocks] == ["I met [PERSON_02].", "Hi [PERSON_01]."]
    assert [b.speaker for b in new_blocks] == ["[PERSON_01]", "[PERSON_02]"]


def test_find_added_skips_what_is_already_replaced() -> None:
    text = "Ward 7 and ward 7 and Ward 7B"
    assert find_added(text, "ward 7", [(11, 17, "[ORG_01]")]) == [(0, 6)]


def test_restorer_escapes_for_html_and_leaves_unknown_codes() -> None:
    import html

    restore = make_restorer({"[PERSON_01]": "<Ann & Bo>"}, html.escape)
    assert restore("[PERSON_01] and [PERSON_02]") == "&lt;Ann &amp; Bo&gt; and [PERSON_02]"


def test_a_name_the_model_finds_once_is_found_everywhere_capitalised() -> None:
    def model(text, spans):
        start = text.find("Derek Ashworth")
        return [(start, start + 14, "PERSON")] if start >= 0 else []

    sources = [SourceText("d1", "I met Derek Ashworth.", ((0, 21),)),
               SourceText("d2", "Derek agreed. DEREK too. But derek is lower case.", ((0, 49),))]
    mentions, _ = assign_codes(detect(sources, [], model), {})
    found = [(m.document_id, m.text, m.source, m.code) for m in mentions]
    assert found == [("d1", "Derek Ashworth", "model", "[PERSON_01]"), ("d2", "Derek", "model", "[PERSON_01]"),
                     ("d2", "DEREK", "model", "[PERSON_01]")]
