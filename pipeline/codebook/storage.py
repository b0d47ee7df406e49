"""Where a codebook goes: the study's store (saved once per version, read back) and a
self-contained YAML file."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import yaml

from pipeline.codebook.model import Code, Codebook

__all__ = ["save_codebook", "stored_codebook", "write_codebook_yaml"]


def save_codebook(conn: Any, codebook: Codebook) -> bool:
    """Store a codebook version (inside a transaction); False if it was already there."""
    version = codebook.version  # a content hash: compute it once
    if conn.execute("SELECT 1 FROM codebooks WHERE version = ?", (version,)).fetchone():
        return False
    conn.execute(
        "INSERT INTO codebooks(version, name, source_path) VALUES (?, ?, ?)",
        (version, codebook.name, codebook.source),
    )
    conn.executemany(
        "INSERT INTO codes(codebook_version, id, parent, label, definition, inclusion, exclusion,"
        " examples, codable, exclusive, position, unit, scope) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        [
            (version, c.id, c.parent, c.label, c.definition, c.inclusion, c.exclusion,
             json.dumps(list(c.examples), ensure_ascii=False), int(c.codable), int(c.exclusive), i,
             c.unit, json.dumps(list(c.scope)))
            for i, c in enumerate(codebook.codes)
        ],
    )
    return True


def stored_codebook(conn: Any, version: str | None = None) -> Codebook | None:
    """A stored codebook by version (a unique prefix is enough) or by name (its latest
    version); the latest codebook when ``version`` is None."""
    if version is None:
        row = conn.execute("SELECT * FROM codebooks ORDER BY loaded_at DESC, rowid DESC LIMIT 1").fetchone()
    else:
        rows = conn.execute("SELECT * FROM codebooks WHERE version LIKE ?", (version + "%",)).fetchall()
        if not rows:
            rows = conn.execute(
                "SELECT * FROM codebooks WHERE name = ? ORDER BY loaded_at DESC, rowid DESC LIMIT 1", (version,)
            ).fetchall()
        row = rows[0] if len(rows) == 1 else None
    if row is None:
        return None
    codes = conn.execute(
        "SELECT * FROM codes WHERE codebook_version = ? ORDER BY position", (row["version"],)
    ).fetchall()
    return Codebook(
        name=row["name"],
        source=row["source_path"],
        codes=tuple(
            Code(id=c["id"], label=c["label"], parent=c["parent"], definition=c["definition"],
                 inclusion=c["inclusion"], exclusion=c["exclusion"], examples=tuple(json.loads(c["examples"])),
                 codable=bool(c["codable"]), exclusive=bool(c["exclusive"]),
                 unit=c["unit"], scope=tuple(json.loads(c["scope"] or "[]")))
            for c in codes
        ),
    )


def write_codebook_yaml(codebook: Codebook, path: Path) -> None:
    """Write a codebook as one self-contained YAML file that `load_codebook` reads back."""
    codes = []
    for code in codebook.codes:
        entry = {k: v for k, v in asdict(code).items() if v not in (None, "", ())}
        entry["examples"] = list(code.examples)
        if code.scope:
            entry["scope"] = list(code.scope)
        entry["codable"], entry["exclusive"] = code.codable, code.exclusive
        codes.append(entry)
    data = {"name": codebook.name, "description": codebook.description, "codes": codes}
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8")
