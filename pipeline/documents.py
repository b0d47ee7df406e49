"""Documents, blocks and segments in the store: the SQL of the first stages in one place.

Call the writing functions inside ``Store.transaction()``; they never commit themselves
(``resegment``, the study's per-document step, opens its own).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass
from typing import Sequence

from pipeline.carry import CarryReport, carry_decisions, segments_of
from pipeline.config import SegmentSettings
from pipeline.hashing import sha256
from pipeline.records import Block, ParsedDocument
from pipeline.segment import segment_blocks, segmentation_id
from pipeline.store import Store, from_json, to_json

__all__ = [
    "latest_version",
    "insert_document",
    "load_blocks",
    "write_segments",
    "segment_and_carry",
    "carry_new_version",
    "Segmented",
    "current_segmentation",
    "stale_document_ids",
    "resegment",
]


def latest_version(conn: sqlite3.Connection, source_key: str) -> sqlite3.Row | None:
    return conn.execute(
        "SELECT * FROM documents WHERE source_key = ? ORDER BY version DESC LIMIT 1", (source_key,)
    ).fetchone()


def insert_document(
    conn: sqlite3.Connection,
    doc: ParsedDocument,
    *,
    source_key: str,
    source_path: str,
    file_hash: str,
    case: str,
) -> str:
    """Store a new version of ``source_key`` with its blocks; returns the document id."""
    previous = latest_version(conn, source_key)
    version = 1 if previous is None else int(previous["version"]) + 1
    content_hash = sha256(doc.text)
    doc_id = sha256(f"{source_key}\0{version}\0{content_hash}")[:16]
    conn.execute(
        "INSERT INTO documents(id, source_key, version, source_path, format, encoding, file_hash,"
        " content_hash, case_name, text, attributes, warnings) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        (doc_id, source_key, version, source_path, doc.format, doc.encoding, file_hash,
         content_hash, case, doc.text, to_json(dict(doc.attributes)), json.dumps(list(doc.warnings))),
    )
    conn.executemany(
        "INSERT INTO blocks(document_id, seq, start, end, kind, speaker, turn, timestamp, page,"
        " external_id, attributes) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        [
            (doc_id, i, b.start, b.end, b.kind, b.speaker, b.turn, b.timestamp, b.page,
             b.external_id, to_json(dict(b.attributes)))
            for i, b in enumerate(doc.blocks)
        ],
    )
    return doc_id


def load_blocks(conn: sqlite3.Connection, document_id: str) -> list[Block]:
    rows = conn.execute("SELECT * FROM blocks WHERE document_id = ? ORDER BY seq", (document_id,))
    return [
        Block(
            start=r["start"], end=r["end"], kind=r["kind"], speaker=r["speaker"], turn=r["turn"],
            timestamp=r["timestamp"], page=r["page"], external_id=r["external_id"],
            attributes=from_json(r["attributes"]),
        )
        for r in rows
    ]


def current_segmentation(conn: sqlite3.Connection, document_id: str) -> str | None:
    row = conn.execute(
        "SELECT segmentation_id FROM document_segmentation WHERE document_id = ?", (document_id,)
    ).fetchone()
    return None if row is None else str(row[0])


@dataclass(frozen=True)
class Segmented:
    """One document segmented: its segment count and the decisions carried to them."""

    segments: int
    carry: CarryReport = CarryReport()


def write_segments(
    conn: sqlite3.Connection,
    document_id: str,
    text: str,
    blocks: Sequence[Block],
    settings: SegmentSettings,
) -> int:
    """``segment_and_carry`` for callers that only need the segment count."""
    return segment_and_carry(conn, document_id, text, blocks, settings).segments


def segment_and_carry(
    conn: sqlite3.Connection,
    document_id: str,
    text: str,
    blocks: Sequence[Block],
    settings: SegmentSettings,
) -> Segmented:
    """Segment a stored document, make that segmentation its current one, and carry the
    decisions on its previous segmentation to the new segments (pipeline.carry).

    Segments of an earlier segmentation stay in the store (later stages may refer to
    them); re-running the same segmentation reuses the stored rows.
    """
    previous = current_segmentation(conn, document_id)
    count = _write_segments(conn, document_id, text, blocks, settings)
    new = segmentation_id(settings)
    if previous is None or previous == new:
        return Segmented(count)
    report = carry_decisions(conn, segments_of(conn, document_id, previous),
                             f"re-segmented {document_id} ({settings.unit})")
    return Segmented(count, report)


def stale_document_ids(store: Store, settings: SegmentSettings) -> list[str]:
    """Ids of current documents not yet cut with ``settings``, in case and source order."""
    target = segmentation_id(settings)
    ids = [r[0] for r in store.query("SELECT id FROM current_documents ORDER BY case_name, source_key")]
    return [d for d in ids if current_segmentation(store.conn, d) != target]


def resegment(store: Store, document_id: str, settings: SegmentSettings) -> Segmented:
    """Give one document ``settings``' segmentation in one transaction, carrying its decisions;
    ``Segmented(0)`` without opening a transaction when it already has it."""
    if current_segmentation(store.conn, document_id) == segmentation_id(settings):
        return Segmented(0)
    with store.transaction() as conn:
        text = conn.execute("SELECT text FROM documents WHERE id = ?", (document_id,)).fetchone()[0]
        return segment_and_carry(conn, document_id, text, load_blocks(conn, document_id), settings)


def carry_new_version(conn: sqlite3.Connection, old_document_id: str, new_document_id: str) -> CarryReport:
    """Carry the decisions on an older version's segments onto the new version's (unchanged text)."""
    seg = current_segmentation(conn, old_document_id)
    if seg is None:
        return CarryReport()
    return carry_decisions(conn, segments_of(conn, old_document_id, seg),
                           f"new version {new_document_id} of {old_document_id}")


def _write_segments(
    conn: sqlite3.Connection,
    document_id: str,
    text: str,
    blocks: Sequence[Block],
    settings: SegmentSettings,
) -> int:
    seg_id = segmentation_id(settings)
    conn.execute(
        "INSERT OR IGNORE INTO segmentations(id, unit, params) VALUES (?,?,?)",
        (seg_id, settings.unit, to_json(asdict(settings))),
    )
    existing = conn.execute(
        "SELECT COUNT(*) FROM segments WHERE document_id = ? AND segmentation_id = ?",
        (document_id, seg_id),
    ).fetchone()[0]
    if not existing:
        rows = []
        for seq, span in enumerate(segment_blocks(text, blocks, settings)):
            block = blocks[span.block]
            seg = sha256(f"{document_id}\0{seg_id}\0{span.start}\0{span.end}")[:16]
            rows.append(
                (seg, document_id, seg_id, seq, span.start, span.end, text[span.start:span.end],
                 block.speaker, block.turn, block.timestamp, block.page, block.external_id,
                 to_json(dict(block.attributes)))
            )
        conn.executemany(
            "INSERT INTO segments(id, document_id, segmentation_id, seq, start, end, text, speaker,"
            " turn, timestamp, page, external_id, attributes) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        existing = len(rows)
    conn.execute(
        "INSERT OR REPLACE INTO document_segmentation(document_id, segmentation_id) VALUES (?,?)",
        (document_id, seg_id),
    )
    return int(existing)
