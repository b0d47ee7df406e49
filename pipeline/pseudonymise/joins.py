"""Names found in pieces, made whole.

Many names hold small words of their own language between capitalised words: Irish and
Scottish Gaelic (`Údarás na Gaeltachta`, `Camas a' Mhùirn`, `Ros an Mhíl`), Māori (`Te
Rūnanga o Ngāti Awa`), Welsh (`Pen y Fan`), Romance and Dutch names (`Maria de Souza`,
`Van der Berg`). The model and the capitals rules often find such a name as two or three
pieces, or miss the first word and keep the particle, so part of the name stays readable.
Here findings that touch (one space apart, or across such particles) become one, a
particle-led finding takes the capitalised word before it, and a finding followed by a
particle and a capitalised word takes them: one replacement, one code.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Sequence

from pipeline.pseudonymise.entities import Mention, normalise
from pipeline.pseudonymise.names import FUNCTION_WORDS, clause_start

__all__ = ["join_pieces", "PARTICLES"]

# Small words inside names in the languages of these islands and of common surnames: never a
# name on their own, written in lower case inside a name. (English "and", "of", "the" are not
# here: "Leeds and Bradford" is two names.)
PARTICLES = frozenset("""
na nan an a' o y yr ar de del della der den van von da di du le la bin bint al el ní ó ua ap dos das
""".split())
# A capitalised article that starts a name inside a sentence ("in An Cheathrú Rua", "Te Whatu Ora").
_LEADING = frozenset("An Na Te Ngā Le La Les El Al De Di Da Du Van Von Der Den Y Yr".split())
_PARTICLE_RE = "|".join(map(re.escape, sorted(PARTICLES, key=len, reverse=True)))
_ENGLISH_TOO = frozenset("an a' o y la le el de da di".split())
_JOINED_KINDS = ("PERSON", "ORG", "PLACE")
_SOURCES = ("list", "pattern", "model")
_CAPITAL = r"[^\W\d_][\w'’-]*"
# a particle's word inside a Gaelic name may be eclipsed ("na gCoistí", "na bhFoghlaimeoirí")
_ECLIPSED = re.compile(r"(?:bh|[bdgmnth])-?[A-ZÁÉÍÓÚ]\w*")


def join_pieces(found: Sequence[Mention], text: str) -> list[Mention]:
    """``found`` (one document's kept findings) with touching name pieces joined."""
    out: list[Mention] = []
    for m in sorted(found, key=lambda m: m.start):
        last = out[-1] if out else None
        between = text[last.end:m.start] if last else ""
        if last and (_piece(last) and _piece(m) and _bridge(between) or between == " " and _lower_pair(last, m)):
            out[-1] = _merged(last, m, text)
            continue
        out.append(m)
    taken = [(m.start, m.end) for m in out]
    result = []
    for i, m in enumerate(out):
        if _piece(m):
            low = taken[i - 1][1] if i else 0
            high = taken[i + 1][0] if i + 1 < len(taken) else len(text)
            m = _widened(m, text, low, high)
        result.append(m)
    return result


def _piece(m: Mention) -> bool:
    """A name found by the lists, patterns or model, capitalised or led by a particle ("na Gaeltachta")."""
    return (m.kind in _JOINED_KINDS and m.source in _SOURCES
            and (m.text[:1].isupper() or m.text.split(" ", 1)[0] in PARTICLES))


def _lower_pair(first: Mention, second: Mention) -> bool:
    """Two findings in lower case one space apart ("agnieszka dąbrowska" in an uncorrected
    lower-case transcript, a first name and a surname found by different rules)."""
    return (first.kind in _JOINED_KINDS and second.kind in _JOINED_KINDS and first.source in _SOURCES
            and second.source in _SOURCES and first.text.islower() and second.text.islower())


def _bridge(between: str) -> bool:
    """Whether two findings with ``between`` between them are one name: one space, or
    particles and eclipsed words ("na gCoistí") with single spaces around them."""
    if between == " ":
        return True
    words = between.split(" ")
    if len(words) < 3 or words[0] or words[-1] or len(words) > 5:
        return False
    return all(w in PARTICLES or _ECLIPSED.fullmatch(w) for w in words[1:-1])


def _merged(first: Mention, second: Mention, text: str) -> Mention:
    """One mention over both: a listed piece keeps its kind and entity where the entity
    holds the other piece ("TUNDE OSHO": the listed Tunde Osho)."""
    whole = text[first.start:second.end]
    listed = [m for m in (first, second) if m.source == "list"]
    if listed:
        keep = listed[0]
        other = second if keep is first else first
        entity = keep.entity if normalise(other.text, keep.kind) in keep.entity.split() else normalise(whole, keep.kind)
        return replace(keep, start=first.start, end=second.end, text=whole, entity=entity)
    keep = max((first, second), key=lambda m: (m.kind == "ORG" and _org_end(whole), m.end - m.start))
    return replace(keep, start=first.start, end=second.end, text=whole, entity=normalise(whole, keep.kind))


def _org_end(whole: str) -> bool:
    from pipeline.pseudonymise.shapes import ends_as_org  # late: shapes imports the names module too

    return ends_as_org(whole)


def _name_after(particle: str, word: str) -> bool:
    """Whether ``word`` after ``particle`` continues a name: not an acronym after a particle
    English uses too ("an NHS leaflet", "a' MP")."""
    return particle not in _ENGLISH_TOO or not word.isupper()


def _widened(m: Mention, text: str, low: int, high: int) -> Mention:
    """A finding with the capitalised word before its leading particle ("[Údarás] na
    Gaeltachta"), a capitalised article before it inside a sentence ("in [An] Cheathrú
    Rua"), and a particle and a capitalised word after it ("Ros [an Mhíl]")."""
    start, end = m.start, m.end
    first = m.text.split()[0]
    if first in PARTICLES and " " in m.text:
        before = re.search(rf"({_CAPITAL}) $", text[max(low, start - 40):start])
        if before and before.group(1)[:1].isupper() and before.group(1).lower() not in FUNCTION_WORDS:
            start -= len(before.group(0))
    elif before := re.search(rf"({_CAPITAL}) ({_PARTICLE_RE}) $", text[max(low, start - 40):start]):
        if before.group(1)[:1].isupper() and before.group(1).lower() not in FUNCTION_WORDS and _name_after(
                before.group(2), m.text):
            start -= len(before.group(0))  # "Trá an [Dóilín]"
    else:
        article = re.search(r"(\S+) $", text[max(low, start - 5):start])
        if article and article.group(1) in _LEADING and not clause_start(text, start - len(article.group(0))):
            start -= len(article.group(0))
    after = re.match(rf" ({_PARTICLE_RE}) ({_CAPITAL})", text[end:min(high, end + 40)])
    if after and after.group(2)[:1].isupper() and _name_after(after.group(1), after.group(2)):
        end += len(after.group(0))
    if (start, end) == (m.start, m.end):
        return m
    whole = text[start:end]
    entity = m.entity if m.source == "list" else normalise(whole, m.kind)
    return replace(m, start=start, end=end, text=whole, entity=entity)
