"""Organisations found by how a transcript introduces them (pipeline/pseudonymise/orgs.py)
and the wider organisation shapes (shapes.py), on invented examples."""

from __future__ import annotations

import pytest

from pipeline.pseudonymise.detect import SourceText, detect
from pipeline.pseudonymise.orgs import acronym_of, find_orgs, find_repeats, host_labels
from pipeline.pseudonymise.shapes import find_shapes


def orgs(text: str, addresses: tuple[str, ...] = ()) -> list[str]:
    return [text[s:e] for s, e, k in find_orgs(text, host_labels(addresses)) if k == "ORG"]


def test_host_labels_drop_generic_parts() -> None:
    assert host_labels(["https://www.brightwellcarers.example.org/help", "ann@mail.tidely.co.uk"]) >= {
        "brightwellcarers", "tidely"}
    assert not host_labels(["https://www.example.org", "x@mail.example.com"])


@pytest.mark.parametrize("text, address, found", [
    ("Money: Brightwell Carers, info@brightwellcarers.example.org.", "info@brightwellcarers.example.org",
     ["Brightwell Carers"]),
    ("For teenagers, Quillo, https://quillo.example.com, is free.", "https://quillo.example.com", ["Quillo"]),
    # initials of the name ("The" may be part of it), and the capitalised words after the match
    ("Ring The Harbour Lantern Fund on thehlf.example.org.", "thehlf.example.org", []),
    ("Northside Advice Centre, https://nac.example.org", "https://nac.example.org", ["Northside Advice Centre"]),
    ("Write to Fernbrook Haulage Group, sales@fernbrook.example.com", "sales@fernbrook.example.com",
     ["Fernbrook Haulage Group"]),
    ("Then Tidely in Reading, sales@tidely.example.com.", "sales@tidely.example.com", ["Tidely"]),  # not "in Reading"
    ("The Quiet Harbour, thequietharbour.example.org", "thequietharbour.example.org", ["The Quiet Harbour"]),
    # a person's name in the address's user part names no organisation
    ("Email Petra Lund, petra.lund@example.org", "petra.lund@example.org", []),
])
def test_named_by_its_address(text: str, address: str, found: list[str]) -> None:
    assert orgs(text, (address,)) == found


@pytest.mark.parametrize("text, found", [
    ("Bookings go through DeskFlow and the LOGbook system.", ["DeskFlow", "LOGbook"]),
    ("Parcels via ShipKite Express, then home.", ["ShipKite Express"]),
    # surnames with an inner capital, degrees and the big platforms are not organisations
    ("Ask Moira McAllister or Dan DeLuca, she has a PhD; we use WhatsApp and YouTube.", []),
])
def test_brand_like_words(text: str, found: list[str]) -> None:
    assert orgs(text) == found


@pytest.mark.parametrize("text, found", [
    ("We use an app called Nestwise for rotas.", ["Nestwise"]),
    ("The charity Hearthstone runs the night shelter.", ["Hearthstone"]),
    ("Orla Finch, a small consultancy in Leeds, did the review.", ["Orla Finch"]),
    ("Kestrel Digital, the firm that built it, went bust.", ["Kestrel Digital"]),
    # a person described by a job, not an organisation
    ("Maria, the nurse at the practice, phoned.", []),
    ("Tom, a practice manager, phoned.", []),
])
def test_introduced_by_what_it_is(text: str, found: list[str]) -> None:
    assert orgs(text) == found


def test_acronym_of() -> None:
    assert acronym_of("Riverside Advice and Liaison Service") == "RALS"
    assert acronym_of("Quillo") == ""


@pytest.mark.parametrize("text, found", [
    ("the Heathfield Advice and Repair Service", ["Heathfield Advice and Repair Service"]),
    ("funding from the Arts Council of Mercia and the Orchard Community Fund.",
     ["Arts Council of Mercia", "Orchard Community Fund"]),
    ("the Ohio Department of Rural Transport", ["Ohio Department of Rural Transport"]),
    ("Ministry of Fisheries", ["Ministry of Fisheries"]),
    ("We asked Sport Cymru and Housing Ireland, then North Wales.", ["Sport Cymru", "Housing Ireland"]),
    ("pupils from St Oswin's came", ["St Oswin's"]),
    # a sentence's end is no part of a name
    ("They moved to South Wales. Then the Pennine Legal Aid team helped.", ["Pennine Legal Aid"]),
])
def test_organisation_shapes(text: str, found: list[str]) -> None:
    spans = [text[s:e] for s, e, k in find_shapes(text) if k == "ORG"]
    assert set(found) <= set(spans)
    assert all(any(span in name for name in found) for span in spans)  # parts of a name may also match


def test_acronym_and_shape_found_name_across_the_study() -> None:
    first = "Nadia: Contact the Riverside Advice and Liaison Service, info@rals.example.org."
    # (an English word: a word no dictionary holds is a name at a sentence's start anyway, fifth round)
    second = "Tom: RALS rang back. Riverside Advice and Liaison Service again. Harbour too."
    third = "Ann: Harbour, https://harbour.example.com, for teenagers."
    found = detect([SourceText("a", first, ()), SourceText("b", second, ()), SourceText("c", third, ())], [], None)
    by_doc = {(m.document_id, m.text): m for m in found}
    assert ("b", "RALS") in by_doc  # found elsewhere, looked for everywhere
    assert ("c", "Harbour") in by_doc and ("b", "Harbour") not in by_doc  # one plain word: only beside its address
    assert by_doc[("b", "RALS")].entity == by_doc[("a", "Riverside Advice and Liaison Service")].entity
    assert by_doc[("b", "RALS")].kind == "ORG"


def test_the_before_an_organisation_is_kept() -> None:
    text = "Ann: Ring The Quiet Harbour Trust today."
    found = detect([SourceText("a", text, ())], [], None)
    assert [m.text for m in found if m.kind == "ORG"] == ["The Quiet Harbour Trust"]


@pytest.mark.parametrize("text, found", [
    ("Parents use the Parkwise app and the Council Hub App.", ["Parkwise", "Council Hub App"]),
    ("We message on the WhatsApp app.", []),
])
def test_named_before_app(text: str, found: list[str]) -> None:
    assert orgs(text) == found


def test_schools_and_therapy_services_by_their_last_word() -> None:
    text = "pupils at Hollin Brook Primary and Kestrel High, and Wyre Talking Therapies"
    assert {text[s:e] for s, e, k in find_shapes(text) if k == "ORG"} >= {
        "Hollin Brook Primary", "Kestrel High", "Wyre Talking Therapies"}


def test_repeats_of_an_organisation_named_beside_its_address() -> None:
    labels = host_labels(["help@tolvane.example.com"])
    text = "Tolvane Living owns it, help@tolvane.example.com; tolvane managers and TOLVANE's staff."
    found = [(text[s:e], name) for s, e, name in find_repeats(text, ["Tolvane Living"], labels)]
    assert found == [("Tolvane", "Tolvane Living"), ("tolvane", "Tolvane Living"), ("TOLVANE", "Tolvane Living")]
    # no address with its name: no lower-case repeats; a website-part word is never one
    assert list(find_repeats(text, ["Tolvane Living"], set())) == []
    assert list(find_repeats("Forms went out. the forms", ["Forms"], host_labels(["forms.example.org"]))) == []


def test_lower_case_repeats_join_the_organisation() -> None:
    text = "Ann: Orders run on Quarrel, a small platform, quarrel.example.com. quarrel holds every audit."
    found = detect([SourceText("a", text, ())], [], None)
    by_text = {m.text: m for m in found}
    assert by_text["quarrel"].entity == by_text["Quarrel"].entity and by_text["quarrel"].kind == "ORG"
