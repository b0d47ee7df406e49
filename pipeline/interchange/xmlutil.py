"""What the REFI-QDA readers and writers share: namespaces, parsing, one error type."""

from __future__ import annotations

from lxml import etree

from pipeline.errors import ExchangeError  # re-exported: the interchange modules import it from here

__all__ = ["CODEBOOK_NS", "PROJECT_NS", "ExchangeError", "parse_xml", "q", "serialize", "local"]

CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
PROJECT_NS = "urn:QDA-XML:project:1.0"


def parse_xml(data: bytes, source: object) -> etree._Element:
    """Parse XML safely (no external entities, no network) or raise ExchangeError."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise ExchangeError(source, f"not well-formed XML ({exc}); re-export it from the QDA program") from exc
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        # Unexpanded entity references silently cut the text after them (issue 15);
        # REFI-QDA files never need them, so a file that declares any is refused.
        raise ExchangeError(source, "declares XML entities (<!ENTITY ...>), which REFI-QDA files do not use and "
                                    "which would cut texts short; re-export it from the QDA program")
    return root


def q(ns: str, name: str) -> str:
    """The Clark name {ns}name that lxml uses."""
    return f"{{{ns}}}{name}"


def local(element: etree._Element) -> str:
    return etree.QName(element).localname


def serialize(root: etree._Element) -> bytes:
    """UTF-8 with declaration, indented, LF line ends: the same tree gives the same bytes."""
    etree.indent(root, space="  ")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
