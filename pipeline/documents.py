"""Documents, blocks and segments in the store: the SQL of the first stages in one place.

Call the writing functions inside ``Store.transaction()``; they never commit themselves.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict
from typing import Sequence

from pipeline.config import SegmentSettings
from pipeline.hashing import sha256
from pipeline.records import Block, ParsedDocument
from pipeline.segment import segment_blocks, segmentation_id
from pipeline.store import from_json, to_json

__all__ = [
    "latest_version",
    "insert_document",
    "load_blocks",
    "write_segments",
    "current_segmentation",
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


def write_segments(
    conn: sqlite3.Connection,
    document_id: str,
    text: str,
    blocks: Sequence[Block],
    settings: SegmentSettings,
) -> int:
    """Segment a stored document and make that segmentation its current one.

    Segments of an earlier segmentation stay in the store (later stages may refer to
    them); re-running the same segmentation reuses the stored rows. Returns the number
    of segments of the document under ``settings``.
    """
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
