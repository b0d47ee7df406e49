"""Detection: rules, the study's names and the model, combined into one set of mentions
per document, each linked to an entity that keeps one code across the whole study.

Where two findings overlap, a rule wins (an e-mail address holds a name), then a listed
name (the researcher knows best) or a name found by its shape (a street address, an
organisation ending in "Ltd" or "Council", initials), then the model; within one rank
the longer span wins. Pure functions over texts: the stage module reads and writes the store.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, replace
from typing import Any, Iterable, Mapping, Sequence

from pipeline.pseudonymise.acronyms import find_acronym_pairs, find_lower_acronym_pairs, link_acronyms
from pipeline.pseudonymise.echoes import add_echoes
from pipeline.pseudonymise.joins import join_pieces
from pipeline.pseudonymise.entities import CODE_RE, Mention, make_code, normalise
from pipeline.pseudonymise.names import (COMMON_WORD_NAMES, FUNCTION_WORDS, MODEL_ORIGIN, NOT_NAMES, ROLE_WORDS,
                                         SHAPE_ORIGIN, TITLE_WORDS, KnownName, NameMatcher, clause_start)
from pipeline.pseudonymise.orgs import acronym_of, find_orgs, find_repeats, host_labels, with_article
from pipeline.pseudonymise.people import first_name_before, joined, site_number_after, suffix_after, surname_after
from pipeline.pseudonymise.phrases import find_contact_names, find_phrase_gaps
from pipeline.pseudonymise.places import (find_lower_case_gaps, find_person_gaps, find_place_gaps, find_places_after,
                                          find_units)
from pipeline.pseudonymise.repeated import add_short_forms, find_repeated_names
from pipeline.pseudonymise.rules import find_rules
from pipeline.pseudonymise.spans import DisjointSpans
from pipeline.pseudonymise.vocabulary import is_group_word
from pipeline.pseudonymise.shapes import ends_as_org, find_lower_case_shapes, find_shapes, lower_case_document

__all__ = ["SourceText", "detect", "link_entities", "assign_codes", "already_pseudonymised"]

_PRIORITY = {"rule": 3, "added": 3, "list": 2, "pattern": 2, "model": 1}
_HOW = {MODEL_ORIGIN: "model", SHAPE_ORIGIN: "pattern"}  # how a name found elsewhere in the study was found


@dataclass(frozen=True)
class SourceText:
    """A document to search: its id, text and the (start, end) of its turns or paragraphs."""

    document_id: str
    text: str
    spans: tuple[tuple[int, int], ...]


def already_pseudonymised(text: str) -> bool:
    return CODE_RE.search(text) is not None


def detect(sources: Sequence[SourceText], names: Sequence[KnownName], model: Any | None) -> list[Mention]:
    """Every mention in every source, linked to entities (codes not yet assigned).

    ``model`` is a callable ``(text, spans) -> iterable of (start, end, kind)`` (see
    pipeline.pseudonymise.ner.find_entities), or None to use rules and lists only.
    A name the model finds anywhere in the study is then looked for everywhere (where
    capitalised), so "Derek Ashworth" found once makes "Derek" found in every turn.
    """
    matcher = NameMatcher(names)
    found_by_model = {s.document_id: list(model(s.text, s.spans or ((0, len(s.text)),))) if model else []
                      for s in sources}
    ruled = {s.document_id: find_rules(s.text) for s in sources}
    labels = {s.document_id: _address_labels(s.text, ruled[s.document_id]) for s in sources}
    lower = {s.document_id: lower_case_document(s.text) for s in sources}
    shaped = {s.document_id: _shapes(s.text, labels[s.document_id], lower[s.document_id]) for s in sources}
    # people named after a title or role count, like the model's, as names to look for everywhere
    # (after a role or title first: "A neighbour, Agnes Dent," is a person even where the model says a place)
    discovered = _discovered(sources, {s.document_id: [*find_person_gaps(s.text), *found_by_model[s.document_id]]
                                       for s in sources}, matcher)
    discovered += _shaped_names(sources, shaped, found_by_model, names, matcher, discovered)
    if discovered:
        matcher = NameMatcher([*names, *discovered])
    mentions: list[Mention] = []
    for source in sources:
        found = [_mention(source, s, e, k, "rule", normalise(source.text[s:e], k)) for s, e, k in ruled[source.document_id]]
        found += _list_mentions(source, matcher)
        found += [_mention(source, s, e, k, "pattern", normalise(source.text[s:e], k)) for s, e, k in shaped[source.document_id]]
        found += [m for s, e, k in found_by_model[source.document_id]
                  if (m := _model_mention(source, s, e, k, matcher))]
        kept = _fill_gaps(_resolve_overlaps(_inside_model(found)), source, lower[source.document_id])
        kept = _repeats(kept, source, labels[source.document_id])
        kept = join_pieces(_whole_people(add_echoes(kept, source.text), source), source.text)
        mentions += _shared_names(with_article(add_short_forms(kept, source.text), source.text), matcher)
    # a language, a people or a platform alone names no one, however it was found
    mentions = [m for m in mentions if m.source not in ("model", "pattern") or not is_group_word(m.text)]
    return link_entities(link_acronyms(_one_kind(mentions)))


def _address_labels(text: str, ruled: Sequence[tuple[int, int, str]]) -> set[str]:
    """The host labels of the written (not spoken) e-mail and web addresses the rules found."""
    return host_labels(text[s:e] for s, e, k in ruled if k in ("EMAIL", "URL") and " " not in text[s:e])


def _shapes(text: str, labels: set[str], lower_case: bool) -> list[tuple[int, int, str]]:
    """Names by shape, including organisations named by an address said in the same text;
    ``lower_case``: the text is an uncorrected lower-case transcript (shapes.lower_case_document)."""
    lower = [*find_lower_case_shapes(text), *find_lower_acronym_pairs(text)] if lower_case else ()
    return [*find_shapes(text), *find_orgs(text, labels), *find_units(text), *find_acronym_pairs(text), *lower]


def _shaped_names(sources: Sequence[SourceText], shaped: Mapping[str, list], by_model: Mapping[str, list],
                  names: Sequence[KnownName], matcher: NameMatcher, discovered: Sequence[KnownName]) -> list[KnownName]:
    """Organisations found by their shape in one document, looked for in every other
    (capitalised); and the acronym of every organisation found anywhere ("Patient Advice
    and Liaison Service" -> "PALS"), where the study writes that acronym in capitals."""
    orgs: dict[str, str] = {}  # normalised -> as written
    _add_capitalised_orgs(orgs, sources, shaped)
    found = [KnownName(w, "ORG", origin=SHAPE_ORIGIN) for key, w in orgs.items()
             if key not in matcher.forms and len(key) >= 3 and key not in NOT_NAMES and key not in ROLE_WORDS
             and _distinctive(w)]
    _add_capitalised_orgs(orgs, sources, by_model)  # the model's count for acronyms only: it ranks below
    orgs.update({normalise(n.name, "ORG"): n.name for n in [*names, *discovered] if n.kind == "ORG"})
    capitals = {w for s in sources for w in re.findall(r"\b[A-Z]{3,8}\b", s.text)}
    for key, written in orgs.items():
        acronym = acronym_of(written)
        if len(acronym) >= 3 and acronym in capitals and acronym.lower() not in matcher.forms:
            found.append(KnownName(acronym, "ORG", origin=SHAPE_ORIGIN, entity=matcher.forms.get(key, (key,))[0]))
    return found


def _add_capitalised_orgs(orgs: dict[str, str], sources: Sequence[SourceText], found: Mapping[str, list]) -> None:
    """Add to ``orgs`` (normalised -> as written) each capitalised organisation in ``found``, first writing kept."""
    for source in sources:
        for start, end, kind in found[source.document_id]:
            written = " ".join(source.text[start:end].split())
            if kind == "ORG" and written[:1].isupper():
                orgs.setdefault(normalise(written, "ORG"), written)


def _inside_model(found: list[Mention]) -> list[Mention]:
    """Without organisations found by shape that lie strictly inside a longer organisation
    the model found ("Red Cross" in "British Red Cross"): the longer name is the name."""
    rules = [m for m in found if m.source == "rule"]
    model_orgs = [m for m in found if m.source == "model" and m.kind == "ORG"
                  and not any(r.start < m.end and m.start < r.end for r in rules)]  # "Kooth, https://..." is no name
    return [m for m in found if not (m.source == "pattern" and m.kind == "ORG" and any(
        o.start <= m.start and m.end <= o.end and o.end - o.start > m.end - m.start for o in model_orgs))]


def _fill_gaps(kept: list[Mention], source: SourceText, lower_case: bool) -> list[Mention]:
    """Places and people by the words around them ("in Ardmore", an address's parts, "her
    husband Ion") where nothing else was found."""
    contacts = [(m.start, m.end) for m in kept if m.source == "rule" and m.kind in ("PHONE", "EMAIL", "URL")]
    sites = [m.end for m in kept if m.kind in ("ORG", "PLACE")]
    lower = [*find_lower_case_gaps(source.text)] if lower_case else []
    spans = DisjointSpans(kept)
    for start, end, kind in [*find_person_gaps(source.text), *find_place_gaps(source.text), *lower,
                             *find_places_after(source.text, sites), *find_contact_names(source.text, contacts),
                             *find_phrase_gaps(source.text), *find_repeated_names(source.text)]:
        overlapping = spans.overlapping(start, end)
        if _two_names(source.text, start, end, overlapping):
            continue  # "Pellow and Trenance": two places found, not one name
        if all(_gives_way(m, start, end, kind) for m in overlapping):
            spans.put(_mention(source, start, end, kind, "pattern", normalise(source.text[start:end], kind)))
    return spans.items


def _repeats(kept: list[Mention], source: SourceText, labels: set[str]) -> list[Mention]:
    """Lower-case repeats of an organisation named beside its own address ("Quarrel ...
    quarrel.example.com ... quarrel logs us out"), as the same entity, where nothing else was found."""
    text = source.text
    orgs = {m.text: m.entity for m in kept if m.kind == "ORG" and m.source != "rule"}
    if not labels or not orgs:
        return kept
    spans = DisjointSpans(kept)
    for start, end, name in find_repeats(text, orgs, labels):
        if not spans.overlapping(start, end):
            spans.put(_mention(source, start, end, "ORG", "pattern", orgs[name]))
    return spans.items


def _one_kind(mentions: list[Mention]) -> list[Mention]:
    """The same name written the same way gets one kind across the study (so one code):
    the kind most of its mentions have, a listed kind first, on a tie not ORG, which the
    capitals rules guess ("in Brevik" a place, "loved Brevik" then a place too)."""
    votes: dict[str, dict[str, int]] = {}
    entity_of: dict[tuple[str, str], str] = {}
    for m in mentions:
        if m.kind in ("PERSON", "ORG", "PLACE"):
            key = normalise(m.text, m.kind)
            votes.setdefault(key, {})
            votes[key][m.kind] = votes[key].get(m.kind, 0) + (10 if m.source == "list" else 1)
            entity_of.setdefault((key, m.kind), m.entity)
    out = []
    for m in mentions:
        key = normalise(m.text, m.kind)
        if m.kind in ("PERSON", "ORG", "PLACE") and len(votes[key]) > 1 and m.source != "list":
            kind = max(votes[key], key=lambda k: (votes[key][k], k != "ORG"))  # ORG is the capitals rules' guess
            m = replace(m, kind=kind, entity=entity_of[(key, kind)])
        out.append(m)
    return out


def _whole_people(kept: list[Mention], source: SourceText) -> list[Mention]:
    """A person's name parts found apart become one mention, with an unfound first name
    before a surname and a suffix after it (people.py)."""
    text, out = source.text, []
    for m in sorted(kept, key=lambda m: m.start):
        last = out[-1] if out else None
        if (last and last.kind == "PERSON" and m.source == "model" and m.kind != "PERSON"
                and surname_after(text, last.end, m.start, m.end)):
            m = replace(m, kind="PERSON")  # "Godspower Ikenna": the model took the surname for a place
        if last and m.kind == last.kind == "PERSON" and joined(text, (last.start, last.end), (m.start, m.end)):
            keep = max((last, m), key=lambda x: (x.source == "list" and " " in x.entity, _PRIORITY[x.source]))
            whole = text[last.start:m.end]
            entity = keep.entity if keep.source == "list" and " " in keep.entity else normalise(whole)
            out[-1] = replace(keep, start=last.start, end=m.end, text=whole, entity=entity)
            continue
        out.append(m)
    for i, m in enumerate(out):
        if m.kind != "PERSON":
            continue
        start = first_name_before(text, m.start)
        start = m.start if start is None or (i and out[i - 1].end > start) else start
        end = suffix_after(text, m.end)
        end = m.end if i + 1 < len(out) and out[i + 1].start < end else end
        if (start, end) != (m.start, m.end):
            entity = m.entity if m.source == "list" and " " in m.entity else normalise(text[start:end])
            out[i] = replace(m, start=start, end=end, text=text[start:end], entity=entity)
    return out


def _two_names(text: str, start: int, end: int, found: list[Mention]) -> bool:
    """Whether findings of one kind lie on both sides of an "and" inside ``text[start:end]``
    and the words do not end as an organisation does ("Tarn Engineering and Design College")."""
    cut = text.find(" and ", start, end)
    before = {m.kind for m in found if m.end <= cut}
    after = {m.kind for m in found if m.start >= cut + 5}
    # found as names of one kind on both sides: two names; of different kinds ("Harland" a
    # place, "Wolff" a person), the model guessed at the parts of one name
    return cut >= 0 and bool(before & after) and not ends_as_org(text[start:end])


def _gives_way(found: Mention, start: int, end: int, kind: str) -> bool:
    """Whether a finding strictly inside a name found by position gives way to it: the
    model's ("Newcastle" of "Newcastle upon Tyne"), a listed name of the same kind ("Rhys"
    of "Rhys ap Gwynedd"), or a shorter organisation or place found by shape ("Kin
    Trust" of "Kin Trust Wexcombe", the street "Tollard Hill" of "Tollard Hill Garments")."""
    inside = start <= found.start and found.end <= end and found.end - found.start < end - start
    return inside and (found.source == "model" or (found.source == "list" and found.kind == kind)
                       or (found.source == "pattern" and found.kind in ("ORG", "PLACE")))


def _distinctive(name: str) -> bool:
    """Whether a name found by shape is safe to look for in other documents: two or more
    words, a capital inside a word ("DeskFlow") or an acronym; not one plain word such
    as "Library", which one document's address may make a name but is a word elsewhere."""
    return " " in name or any(c.isupper() for c in name[1:])


def _discovered(sources: Sequence[SourceText], found: Mapping[str, list], matcher: NameMatcher) -> list[KnownName]:
    """Capitalised names the model found that no list holds, as names to look for everywhere."""
    names: dict[str, KnownName] = {}
    for source in sources:
        for start, end, kind in found[source.document_id]:
            mention = _model_mention(source, start, end, kind, matcher)
            if (mention is None or mention.entity in matcher.forms or not mention.text[:1].isupper()
                    or "," in mention.text):
                continue  # a span over a comma is several names run together ("Bhavna Mistry on X Road, Bhavna-ben")
            if kind == "PERSON" and " " not in mention.entity and mention.entity in COMMON_WORD_NAMES:
                continue
            names.setdefault(mention.entity, KnownName(" ".join(mention.text.split()), mention.kind, origin=MODEL_ORIGIN))
    return list(names.values())


def _mention(source: SourceText, start: int, end: int, kind: str, how: str, entity: str) -> Mention:
    return Mention(source.document_id, start, end, source.text[start:end], kind, how, entity)


def _list_mentions(source: SourceText, matcher: NameMatcher) -> list[Mention]:
    """Listed names. A name that is also a word ("Rose", "Will", "May") counts only where
    the document names that person in full somewhere (or the model agrees)."""
    found = [(_mention(source, s, e, k, _HOW.get(matcher.origin(source.text[s:e]), "list"), ent), certain)
             for s, e, k, ent, certain in matcher.find(source.text) if not (k == "PERSON" and site_number_after(source.text, s, e))]
    present = {m.entity for m, certain in found if certain and matcher.is_whole(m.text)}
    # a first name two listed people share ("Hope") counts where either is named in full
    return [m for m, certain in found
            if certain or m.entity in present or present & set(matcher.shared.get(normalise(m.text), ()))]


def _shared_names(found: list[Mention], matcher: NameMatcher) -> list[Mention]:
    """A first name two listed people share goes to the one this document names in full."""
    present = {m.entity for m in found if matcher.is_whole(m.text)}
    return [replace(m, entity=matcher.choose(form, present)) if (form := normalise(m.text, m.kind)) in matcher.shared
            else m for m in found]


def _model_mention(source: SourceText, start: int, end: int, kind: str, matcher: NameMatcher) -> Mention | None:
    """A model finding, trimmed and checked; linked to a listed name when it is one."""
    text = source.text
    lead = re.match(r"(?i)(the|a)\s+", text[start:end])
    if lead and kind != "PERSON":
        start += lead.end()
    tail = re.search(r"(['’]s|[.,:;'’\"-])$", text[start:end])
    if tail:
        end -= len(tail.group(0))
    first = re.match(r"(\w+)\s+(?=\w)", text[start:end])
    if first and kind == "PERSON" and first.group(1).lower() in NOT_NAMES:
        start += first.end()  # "Tell Rafael ...": the verb is not part of the name
    start, end = _without_function_words(text, start, end)
    written = text[start:end]
    key = normalise(written, kind)
    if (end - start < 2 or not any(c.isalpha() for c in written) or key in ROLE_WORDS or key in NOT_NAMES
            or key in FUNCTION_WORDS or written.endswith("-")  # "So-": a word broken off
            or written.lower().rstrip(".") in TITLE_WORDS  # "Dr", "Auntie" alone: a form of address, no one named
            or is_group_word(written)  # "Welsh", "Eritreans", "Instagram": no one in particular
            or CODE_RE.search(written) or "\n\n" in written):
        return None
    if written.islower() and (key not in matcher.forms
                              or not (_whole_or_first(key, matcher) or clause_start(text, start))):
        return None  # "hope", "grant", "health" (a part of a name found elsewhere): a word taken for a name
    if key in matcher.forms:
        entity, kind, _ = matcher.forms[key]
        return Mention(source.document_id, start, end, written, kind, "model", entity)
    return Mention(source.document_id, start, end, written, kind, "model", key)


def _whole_or_first(key: str, matcher: NameMatcher) -> bool:
    """Whether a known form is a whole name, a given name, or any part of a listed name."""
    return (matcher.forms[key][2] or key in matcher.first_names
            or matcher.origin(key) not in (MODEL_ORIGIN, SHAPE_ORIGIN))


def _without_function_words(text: str, start: int, end: int) -> tuple[int, int]:
    """A model span without lower-case function words at its ends ("Donna and", "and nick")."""
    words = list(re.finditer(r"\S+", text[start:end]))
    while len(words) > 1 and words[0].group(0) in FUNCTION_WORDS:
        words.pop(0)
    while len(words) > 1 and words[-1].group(0) in FUNCTION_WORDS:
        words.pop()
    return (start + words[0].start(), start + words[-1].end()) if words else (start, end)


def _resolve_overlaps(found: Iterable[Mention]) -> list[Mention]:
    ordered = sorted(found, key=lambda m: (-_PRIORITY[m.source], -(m.end - m.start), m.start))
    starts: list[int] = []  # the kept spans, sorted and disjoint: a neighbour check suffices
    ends: list[int] = []
    taken: list[Mention] = []
    for mention in ordered:
        i = bisect.bisect_left(starts, mention.start)
        clear_before = i == 0 or ends[i - 1] <= mention.start
        clear_after = i == len(starts) or starts[i] >= mention.end
        if clear_before and clear_after:
            starts.insert(i, mention.start)
            ends.insert(i, mention.end)
            taken.append(mention)
    return sorted(taken, key=lambda m: m.start)


def link_entities(mentions: Sequence[Mention]) -> list[Mention]:
    """A one-word person the model found ("Maria") joins the one multi-word person whose
    name holds that word ("Maria Gonzalez"), and a first and middle name ("Ana Lúcia") the
    one person whose name starts with them, preferring people of the same document."""
    people: dict[str, set[tuple[str, str]]] = {}
    for m in mentions:
        if m.kind == "PERSON" and " " in m.entity:
            words = m.entity.split()
            # each word, and each run of first words ("ana lúcia" of "ana lúcia ferraz")
            for part in [*words, *(" ".join(words[:n]) for n in range(2, len(words)))]:
                people.setdefault(part, set()).add((m.entity, m.document_id))
    linked = []
    for m in mentions:
        if m.kind == "PERSON" and m.entity in people and len(m.entity.split()) < 3:
            owners = {e for e, _ in people[m.entity]}
            local = {e for e, d in people[m.entity] if d == m.document_id}
            choice = owners if len(owners) == 1 else local
            if len(choice) == 1:
                m = replace(m, entity=next(iter(choice)))
        linked.append(m)
    return linked


def assign_codes(mentions: Sequence[Mention],
                 known: Mapping[tuple[str, str], str]) -> tuple[list[Mention], dict[tuple[str, str], str]]:
    """Give each mention its entity's code: a known (kind, entity) keeps its code, a new
    one gets the next number of its kind in order of first appearance."""
    codes = dict(known)
    numbers: dict[str, int] = {}
    for code in codes.values():
        kind, number = code[1:-1].rsplit("_", 1)
        numbers[kind] = max(numbers.get(kind, 0), int(number))
    coded = []
    for m in mentions:
        key = (m.kind, m.entity)
        if key not in codes:
            numbers[m.kind] = numbers.get(m.kind, 0) + 1
            codes[key] = make_code(m.kind, numbers[m.kind])
        coded.append(replace(m, code=codes[key]))
    return coded, codes
