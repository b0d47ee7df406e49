"""REFI-QDA codebooks (.qdc): read into a ``Codebook``, write from one.

Import: the hierarchy comes from the nesting of ``Code`` elements, ``isCodable`` from
the attribute, and each ``Description`` is split into definition, inclusion, exclusion
and examples when it is written with prefixes such as ``Definition:``, ``Inclusion:``,
``Exclusion:``, ``Example(s):`` (also ``Inclusion criteria``, ``When to use``, markdown
``#`` headings); otherwise the whole description is the definition. Code ids are the
slug of the name (``Innovation Source`` -> ``innovation_source``), or the ``ID:`` line
of the description; a name used twice gets its parent's id as prefix.

Export: GUIDs are deterministic (see guids.py) and the description is written in the
structured form above, so an exported codebook imports back to the same codes. The
``exclusive`` flag has no place in REFI-QDA and is not carried.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from pipeline.codebook import Code, Codebook
from pipeline.interchange.guids import GuidBook
from pipeline.interchange.xmlutil import CODEBOOK_NS, ExchangeError, local, parse_xml, q, serialize

__all__ = [
    "DescriptionParts",
    "IncomingCode",
    "MergedCodes",
    "parse_description",
    "format_description",
    "read_codes",
    "merge_codes",
    "codes_to_xml",
    "codebook_to_qdc",
    "write_qdc",
    "read_qdc",
    "QdcImport",
    "slug",
]

_HEADINGS = {
    "definition": "definition", "description": "definition",
    "inclusion": "inclusion", "inclusion criteria": "inclusion", "include": "inclusion", "when to use": "inclusion",
    "exclusion": "exclusion", "exclusion criteria": "exclusion", "exclude": "exclusion", "when not to use": "exclusion",
    "example": "examples", "examples": "examples", "id": "id", "code id": "id",
}
_HEADING = re.compile(
    r"^\s*(?:#{1,6}\s*)?(?:\*\*)?\s*(" + "|".join(sorted(map(re.escape, _HEADINGS), key=len, reverse=True))
    + r")\s*(?:\(s\))?\s*(?:\*\*)?\s*:\s*(?:\*\*)?\s*(.*)$",
    re.IGNORECASE,
)
_MD_HEADING = re.compile(
    r"^\s*#{1,6}\s*(" + "|".join(sorted(map(re.escape, _HEADINGS), key=len, reverse=True)) + r")\s*(?:\(s\))?\s*:?\s*$",
    re.IGNORECASE,
)
_BULLET = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s+")


@dataclass(frozen=True)
class DescriptionParts:
    definition: str = ""
    inclusion: str = ""
    exclusion: str = ""
    examples: tuple[str, ...] = ()
    id: str = ""


def parse_description(text: str | None) -> DescriptionParts:
    """Split a structured description; unstructured text is all definition."""
    sections: dict[str, list[str]] = {"definition": []}
    current = "definition"
    for line in (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        match = _HEADING.match(line) or _MD_HEADING.match(line)
        if match:
            current = _HEADINGS[" ".join(match.group(1).lower().split())]
            sections.setdefault(current, [])
            line = match.group(2) if match.re is _HEADING else ""
        sections.setdefault(current, []).append(line)
    joined = {k: " ".join(" ".join(v).split()) for k, v in sections.items() if k != "examples"}
    return DescriptionParts(
        definition=joined.get("definition", ""),
        inclusion=joined.get("inclusion", ""),
        exclusion=joined.get("exclusion", ""),
        examples=_examples(sections.get("examples", [])),
        id=joined.get("id", ""),
    )


def _examples(lines: list[str]) -> tuple[str, ...]:
    """One example per line (bullets and numbers dropped); ' | ' also separates."""
    out: list[str] = []
    for line in lines:
        for part in line.split(" | "):
            text = " ".join(_BULLET.sub("", part).split())
            if text:
                out.append(text)
    return tuple(out)


def format_description(code: Code) -> str:
    """The structured description of a code ('' when it has none)."""
    lines: list[str] = []
    structured = bool(code.inclusion or code.exclusion or code.examples)
    if code.definition and (structured or code.definition != code.label):  # a name standing in says nothing
        lines.append(f"Definition: {code.definition}" if structured else code.definition)
    if code.inclusion:
        lines.append(f"Inclusion: {code.inclusion}")
    if code.exclusion:
        lines.append(f"Exclusion: {code.exclusion}")
    if code.examples:
        lines.append("Examples:")
        lines += [f"- {e}" for e in code.examples]
    if slug(code.label) != code.id:
        lines.append(f"ID: {code.id}")
    return "\n".join(lines)


def slug(name: str) -> str:
    """A code id from a name: ASCII-folded lower case, runs of other characters -> '_'."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "_", folded.lower()).strip("_") or "code"


# --- reading -----------------------------------------------------------------------


@dataclass(frozen=True)
class IncomingCode:
    """A code element as read, before it is given an id in a codebook."""

    guid: str
    name: str
    parent_guid: str | None
    codable: bool
    parts: DescriptionParts


def read_codes(codes: etree._Element, ns: str, source: object) -> list[IncomingCode]:
    """The Code elements under ``codes`` in document order (parents before children)."""
    out: list[IncomingCode] = []

    def walk(element: etree._Element, parent: str | None, path: str) -> None:
        for i, child in enumerate(element.findall(q(ns, "Code"))):
            where = f"{path}/Code[{i + 1}]"
            guid, name = child.get("guid"), (child.get("name") or "").strip()
            if not guid:
                raise ExchangeError(source, f"{where}: a Code without a guid; every code needs one")
            if not name:
                raise ExchangeError(source, f"{where} (guid {guid}): a Code without a name; name it in the QDA program")
            codable = (child.get("isCodable") or "true").strip().lower() in ("true", "1")
            description = child.find(q(ns, "Description"))
            parts = parse_description(description.text if description is not None else "")
            out.append(IncomingCode(guid, name, parent, codable, parts))
            walk(child, guid, where)

    walk(codes, None, "Codes")
    return out


@dataclass
class MergedCodes:
    codebook: Codebook
    ids: dict[str, str]  # incoming guid -> code id in ``codebook``
    added: list[str] = field(default_factory=list)
    matched: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def merge_codes(incoming: list[IncomingCode], existing: Codebook | None, name: str, source: str,
                guids: GuidBook | None = None) -> MergedCodes:
    """Join incoming codes to ``existing`` (or start a codebook) and return the union.

    An incoming code is the existing code with the same GUID (as exported by this tool
    or remembered from an import), else the one with its ``ID:``, else the one with the
    same label (case-insensitive) under the same parent, else the only one with that
    label anywhere; otherwise it is added. Existing
    codes keep their fields; added codes follow them in document order.
    """
    guids = guids or GuidBook()
    old = list(existing.codes) if existing else []
    by_guid = {guids.get("code", c.id): c.id for c in old}
    by_id = {c.id: c for c in old}
    by_label = {(c.parent, c.label.casefold()): c.id for c in old}
    labels = [c.label.casefold() for c in old]
    unique_label = {c.label.casefold(): c.id for c in old if labels.count(c.label.casefold()) == 1}
    old_ids = set(by_id)
    ids: dict[str, str] = {}
    added: list[Code] = []
    merged = MergedCodes(Codebook(name, ()), ids)
    undefined: list[str] = []
    for code in incoming:
        parent = ids.get(code.parent_guid) if code.parent_guid else None
        found = by_guid.get(code.guid) or (code.parts.id if code.parts.id in old_ids else None) \
            or by_label.get((parent, code.name.casefold())) or unique_label.get(code.name.casefold())
        if found:
            ids[code.guid] = found
            merged.matched.append(found)
            continue
        new_id = _free_id(code.parts.id or slug(code.name), parent, by_id)
        definition = code.parts.definition
        if code.codable and not definition:
            definition = code.name  # the codebook needs a definition; the name stands in
            undefined.append(new_id)
        new = Code(id=new_id, label=" ".join(code.name.split()), parent=parent, definition=definition,
                   inclusion=code.parts.inclusion, exclusion=code.parts.exclusion,
                   examples=code.parts.examples, codable=code.codable)
        by_id[new_id] = new  # labels match existing codes only: two codes of one file stay two codes
        ids[code.guid] = new_id
        added.append(new)
        merged.added.append(new_id)
    if undefined:
        merged.warnings.append(
            f"{len(undefined)} codable code(s) had no description, so their name stands in as the "
            f"definition (e.g. {', '.join(undefined[:5])}); write real definitions before `deductive suggest`")
    description = existing.description if existing else ""
    merged.codebook = Codebook(existing.name if existing else name, tuple(old + added), source, description)
    return merged


def _free_id(base: str, parent: str | None, taken: dict[str, Code]) -> str:
    candidates = [base] + ([f"{parent}.{base}"] if parent else [])
    for candidate in candidates:
        if candidate not in taken:
            return candidate
    number = 2
    while f"{candidates[-1]}_{number}" in taken:
        number += 1
    return f"{candidates[-1]}_{number}"


# --- writing -----------------------------------------------------------------------


def codes_to_xml(parent: etree._Element, codebook: Codebook, guids: GuidBook, ns: str) -> None:
    """Append one nested ``Code`` element per code under ``parent`` (a Codes element)."""

    def add(under: etree._Element, code: Code) -> None:
        element = etree.SubElement(under, q(ns, "Code"), guid=guids.get("code", code.id), name=code.label,
                                   isCodable="true" if code.codable else "false")
        text = format_description(code)
        if text:
            etree.SubElement(element, q(ns, "Description")).text = text
        for child in codebook.children(code.id):
            add(element, child)

    known = {c.id for c in codebook.codes}
    for code in codebook.codes:
        if code.parent is None or code.parent not in known:
            add(parent, code)


def codebook_to_qdc(codebook: Codebook, guids: GuidBook | None = None, origin: str = "deductive") -> bytes:
    """The .qdc bytes of a codebook (deterministic for the same codes and GUIDs)."""
    if not codebook.codes:
        raise ExchangeError(codebook.name, "the codebook has no codes; REFI-QDA needs at least one")
    root = etree.Element(q(CODEBOOK_NS, "CodeBook"), nsmap={None: CODEBOOK_NS}, origin=origin)
    codes_to_xml(etree.SubElement(root, q(CODEBOOK_NS, "Codes")), codebook, guids or GuidBook(), CODEBOOK_NS)
    return serialize(root)


def write_qdc(codebook: Codebook, path: Path | str, guids: GuidBook | None = None) -> Path:
    path = Path(path)
    path.write_bytes(codebook_to_qdc(codebook, guids))
    return path


@dataclass(frozen=True)
class QdcImport:
    codebook: Codebook
    guids: dict[str, str]  # code id -> GUID in the file
    warnings: tuple[str, ...]


def read_qdc(path: Path | str, existing: Codebook | None = None) -> QdcImport:
    """Read a .qdc file into a codebook (joined to ``existing`` when given)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ExchangeError(path, f"cannot read the file ({exc.strerror}); check the path") from exc
    root = parse_xml(data, path)
    if local(root) != "CodeBook":
        raise ExchangeError(path, f"the root element is <{local(root)}>, not <CodeBook>; is this a .qdc codebook?")
    ns = etree.QName(root).namespace
    if ns != CODEBOOK_NS:
        raise ExchangeError(path, f"the CodeBook element has namespace {ns or 'none'}; expected xmlns=\"{CODEBOOK_NS}\"")
    codes = root.find(q(ns, "Codes"))
    if codes is None or len(codes) == 0:
        raise ExchangeError(path, "no <Codes> with at least one <Code>; the codebook is empty")
    incoming = read_codes(codes, ns, path)
    _check_unique_guids(path, [c.guid for c in incoming])
    merged = merge_codes(incoming, existing, path.stem, str(path))
    return QdcImport(merged.codebook, {merged.ids[c.guid]: c.guid for c in incoming}, tuple(merged.warnings))


def _check_unique_guids(source: object, values: list[str]) -> None:
    seen: set[str] = set()
    for value in values:
        key = value.strip("{}").lower()
        if key in seen:
            raise ExchangeError(source, f"duplicate GUID {value}: two elements share it; GUIDs must be unique")
        seen.add(key)
