"""The study store: one SQLite file per study, the single source of truth.

WAL journal, foreign keys on, a schema version in ``PRAGMA user_version`` and ordered
migrations from the first release on. Every write goes through ``Store.transaction()``
so that a failed or killed command leaves the store exactly as it was.

Tables (schema 1):
    meta           key/value facts about the study (e.g. whether cases are declared)
    cases          name, attributes (JSON)
    documents      one row per *version* of a source; ``source_key`` + ``version`` unique
    blocks         the turns/paragraphs/rows a reader found, offsets into documents.text
    segmentations  a unit plus the parameters that cut it (id = hash of both)
    segments       document, segmentation, offsets, speaker, turn, timestamp, page, ...
    codebooks      one row per codebook version (content hash)
    codes          the codes of each codebook version
Schema 2: embeddings (cache), suggestion_runs, suggestions.
Schema 3: workbooks, workbook_items, imports, decisions (append-only log).
Schema 4: ratings (append-only, analysts' CFIR-style ratings per case and code).
Schema 5: codes.unit/scope, suggestions.unit/unit_start/unit_end (issue 13).
Schema 6 (issue 15): decisions.carried_from, proposed_codes (emergent codes).
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from pipeline.errors import StudyError

__all__ = ["Store", "SCHEMA_VERSION", "STORE_FILE"]

STORE_FILE = "study.sqlite"
# How long a write waits for another process's write to finish before giving up (seconds).
BUSY_TIMEOUT = 30.0

_SCHEMA_1 = """
CREATE TABLE meta (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
CREATE TABLE cases (
    name        TEXT PRIMARY KEY,
    attributes  TEXT NOT NULL DEFAULT '{}',
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE TABLE documents (
    id            TEXT PRIMARY KEY,
    source_key    TEXT NOT NULL,
    version       INTEGER NOT NULL,
    source_path   TEXT NOT NULL,
    format        TEXT NOT NULL,
    encoding      TEXT,
    file_hash     TEXT NOT NULL,
    content_hash  TEXT NOT NULL,
    case_name     TEXT NOT NULL REFERENCES cases(name),
    text          TEXT NOT NULL,
    attributes    TEXT NOT NULL DEFAULT '{}',
    warnings      TEXT NOT NULL DEFAULT '[]',
    ingested_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    UNIQUE (source_key, version)
);
CREATE TABLE blocks (
    document_id  TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL,
    start        INTEGER NOT NULL,
    end          INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    speaker      TEXT,
    turn         INTEGER,
    timestamp    TEXT,
    page         INTEGER,
    external_id  TEXT,
    attributes   TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (document_id, seq)
);
CREATE TABLE segmentations (
    id          TEXT PRIMARY KEY,
    unit        TEXT NOT NULL,
    params      TEXT NOT NULL
);
CREATE TABLE segments (
    id               TEXT PRIMARY KEY,
    document_id      TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    segmentation_id  TEXT NOT NULL REFERENCES segmentations(id),
    seq              INTEGER NOT NULL,
    start            INTEGER NOT NULL,
    end              INTEGER NOT NULL,
    text             TEXT NOT NULL,
    speaker          TEXT,
    turn             INTEGER,
    timestamp        TEXT,
    page             INTEGER,
    external_id      TEXT,
    attributes       TEXT NOT NULL DEFAULT '{}',
    created_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    UNIQUE (document_id, segmentation_id, seq)
);
CREATE INDEX segments_by_document ON segments(document_id, segmentation_id);
CREATE INDEX segments_by_external_id ON segments(external_id);
CREATE TABLE codebooks (
    version      TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    source_path  TEXT NOT NULL,
    loaded_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE TABLE codes (
    codebook_version  TEXT NOT NULL REFERENCES codebooks(version) ON DELETE CASCADE,
    id                TEXT NOT NULL,
    parent            TEXT,
    label             TEXT NOT NULL,
    definition        TEXT NOT NULL,
    inclusion         TEXT NOT NULL,
    exclusion         TEXT NOT NULL,
    examples          TEXT NOT NULL,
    codable           INTEGER NOT NULL,
    exclusive         INTEGER NOT NULL,
    position          INTEGER NOT NULL,
    PRIMARY KEY (codebook_version, id)
);
-- The current version of each source, and the segmentation each document last got.
CREATE VIEW current_documents AS
    SELECT d.* FROM documents d
    WHERE d.version = (SELECT MAX(version) FROM documents x WHERE x.source_key = d.source_key);
CREATE TABLE document_segmentation (
    document_id      TEXT PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
    segmentation_id  TEXT NOT NULL REFERENCES segmentations(id)
);
CREATE VIEW current_segments AS
    SELECT s.* FROM segments s
    JOIN current_documents d ON d.id = s.document_id
    JOIN document_segmentation ds
      ON ds.document_id = s.document_id AND ds.segmentation_id = s.segmentation_id;
"""

_SCHEMA_2 = """
-- Embedding cache: a text is embedded once per model identity.
CREATE TABLE embeddings (
    text_hash  TEXT NOT NULL,
    model      TEXT NOT NULL,
    dimension  INTEGER NOT NULL,
    vector     BLOB NOT NULL,
    PRIMARY KEY (text_hash, model)
);
-- A suggestion run: same codebook, model, method and parameters -> same id.
CREATE TABLE suggestion_runs (
    id                TEXT PRIMARY KEY,
    codebook_version  TEXT NOT NULL REFERENCES codebooks(version),
    model             TEXT NOT NULL,
    method            TEXT NOT NULL,
    params            TEXT NOT NULL,
    created_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
-- One row per (run, segment, rank). suggested = 1: shown to coders (passes the
-- threshold, best of its exclusive group, within top-k); suggested = 0: a runner-up kept
-- for top-k evaluation. code_id NULL (suggested = 1) is the explicit "no code".
CREATE TABLE suggestions (
    id          TEXT PRIMARY KEY,
    run_id      TEXT NOT NULL REFERENCES suggestion_runs(id),
    segment_id  TEXT NOT NULL REFERENCES segments(id),
    code_id     TEXT,
    rank        INTEGER NOT NULL,
    raw_score   REAL,
    score       REAL,
    suggested   INTEGER NOT NULL DEFAULT 1,
    UNIQUE (run_id, segment_id, rank)
);
CREATE INDEX suggestions_by_segment ON suggestions(segment_id);
"""

_SCHEMA_3 = """
-- Review workbooks written by `queue`, and what each one showed.
CREATE TABLE workbooks (
    id                TEXT PRIMARY KEY,
    coder             TEXT NOT NULL,
    created_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    path              TEXT NOT NULL,
    codebook_version  TEXT NOT NULL REFERENCES codebooks(version),
    run_id            TEXT REFERENCES suggestion_runs(id),
    params            TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE workbook_items (
    workbook_id     TEXT NOT NULL REFERENCES workbooks(id),
    segment_id      TEXT NOT NULL REFERENCES segments(id),
    position        INTEGER NOT NULL,
    text_hash       TEXT NOT NULL,
    suggestion_ids  TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (workbook_id, segment_id)
);
-- Each import of a workbook file (or of a decisions CSV).
CREATE TABLE imports (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT NOT NULL,
    workbook_id  TEXT,
    file_hash    TEXT NOT NULL,
    path         TEXT NOT NULL,
    imported_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (kind, file_hash)
);
-- The append-only decision log. verdict 'none' (code_id NULL): the coder reviewed the
-- segment and no code applies. The current decision of a coder on (segment, code) is
-- the latest row; earlier rows stay.
CREATE TABLE decisions (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    coder             TEXT NOT NULL,
    decided_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    import_id         INTEGER NOT NULL REFERENCES imports(id),
    workbook_id       TEXT,
    segment_id        TEXT NOT NULL REFERENCES segments(id),
    code_id           TEXT,
    codebook_version  TEXT NOT NULL,
    verdict           TEXT NOT NULL CHECK (verdict IN ('accepted', 'rejected', 'added', 'none')),
    memo              TEXT NOT NULL DEFAULT '',
    suggestion_id     TEXT
);
CREATE INDEX decisions_by_key ON decisions(coder, segment_id, code_id);
CREATE TRIGGER decisions_are_append_only_update BEFORE UPDATE ON decisions
    BEGIN SELECT RAISE(ABORT, 'the decision log is append-only'); END;
CREATE TRIGGER decisions_are_append_only_delete BEFORE DELETE ON decisions
    BEGIN SELECT RAISE(ABORT, 'the decision log is append-only'); END;
CREATE VIEW current_decisions AS
    SELECT d.* FROM decisions d
    WHERE d.id = (SELECT MAX(x.id) FROM decisions x
                  WHERE x.coder = d.coder AND x.segment_id = d.segment_id
                    AND COALESCE(x.code_id, '') = COALESCE(d.code_id, ''));
"""

_SCHEMA_4 = """
-- CFIR-style ratings typed by analysts into summary workbooks, read back by `ratings`.
-- Append-only like decisions: the current rating of (case, code) is the latest row;
-- rating '' records that the analyst cleared it (missing).
CREATE TABLE ratings (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    case_name         TEXT NOT NULL REFERENCES cases(name),
    code_id           TEXT NOT NULL,
    codebook_version  TEXT NOT NULL,
    rating            TEXT NOT NULL CHECK (rating IN ('-2', '-1', '0', '+1', '+2', 'X', '')),
    note              TEXT NOT NULL DEFAULT '',
    rated_by          TEXT NOT NULL DEFAULT '',
    import_id         INTEGER REFERENCES imports(id),
    rated_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE TRIGGER ratings_are_append_only_update BEFORE UPDATE ON ratings
    BEGIN SELECT RAISE(ABORT, 'ratings are append-only'); END;
CREATE TRIGGER ratings_are_append_only_delete BEFORE DELETE ON ratings
    BEGIN SELECT RAISE(ABORT, 'ratings are append-only'); END;
CREATE VIEW current_ratings AS
    SELECT r.* FROM ratings r
    WHERE r.id = (SELECT MAX(x.id) FROM ratings x
                  WHERE x.case_name = r.case_name AND x.code_id = r.code_id);
"""

_SCHEMA_UNITS_SCOPE = """
-- Issue 13 (units and speaker scope): a code's unit and speaker roles, and the larger
-- unit a suggestion was made for (NULL: the segment itself). A unit suggestion is stored
-- on the first segment of its unit, so decisions stay keyed to real segments.
ALTER TABLE codes ADD COLUMN unit TEXT;
ALTER TABLE codes ADD COLUMN scope TEXT NOT NULL DEFAULT '[]';
ALTER TABLE suggestions ADD COLUMN unit TEXT;
ALTER TABLE suggestions ADD COLUMN unit_start INTEGER;
ALTER TABLE suggestions ADD COLUMN unit_end INTEGER;
"""

_SCHEMA_CARRY = """
-- Issue 15 (never lose coding work). A decision carried to a new segment of the same text
-- (re-segmenting, a new document version, a workbook confirmed after either) names the
-- decision it was carried from; the log stays append-only.
ALTER TABLE decisions ADD COLUMN carried_from INTEGER REFERENCES decisions(id);
-- Codes a coder typed under "Add code" that the codebook does not have: proposed new
-- (emergent) codes, kept with the coder, segment and text until `codebook accept-emergent`.
CREATE TABLE proposed_codes (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    label        TEXT NOT NULL,
    coder        TEXT NOT NULL,
    segment_id   TEXT NOT NULL REFERENCES segments(id),
    text         TEXT NOT NULL,
    memo         TEXT NOT NULL DEFAULT '',
    import_id    INTEGER NOT NULL REFERENCES imports(id),
    workbook_id  TEXT,
    codebook_version  TEXT NOT NULL,
    proposed_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    accepted_version  TEXT  -- the codebook version that added it (NULL: still proposed)
);
"""

# Migration n takes a store from schema n-1 to n. Append, never edit a released one.
MIGRATIONS: tuple[str, ...] = (_SCHEMA_1, _SCHEMA_2, _SCHEMA_3, _SCHEMA_4, _SCHEMA_UNITS_SCOPE, _SCHEMA_CARRY)
SCHEMA_VERSION = len(MIGRATIONS)


class Store:
    """A connection to one study's SQLite file, with its schema migrated up to date."""

    def __init__(self, path: Path, *, create: bool = False) -> None:
        self.path = Path(path)
        if not create and not self.path.exists():
            raise StudyError(
                f"{self.path}: no study store here; run `deductive init` on the study folder first"
            )
        try:
            self.conn = sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_TIMEOUT)
            self.conn.row_factory = sqlite3.Row
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self._migrate()
        except sqlite3.OperationalError as exc:
            if _busy(exc):
                self.conn.close()
                raise _locked(self.path) from exc
            raise StudyError(f"{self.path}: not a usable study store ({exc})") from exc
        except sqlite3.DatabaseError as exc:
            raise StudyError(f"{self.path}: not a usable study store ({exc})") from exc

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        current = self.schema_version
        if current > SCHEMA_VERSION:
            raise StudyError(
                f"{self.path}: store schema {current} is newer than this deductive "
                f"(schema {SCHEMA_VERSION}); upgrade deductive to open it"
            )
        for number in range(current + 1, SCHEMA_VERSION + 1):
            with self.transaction():
                for statement in _statements(MIGRATIONS[number - 1]):
                    self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version = {number}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write: commits on success, rolls back on any exception."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if _busy(exc):
                raise _locked(self.path) from exc
            raise
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def query(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        return self.conn.execute(sql, params).fetchall()


    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        """Call inside a transaction."""
        self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))


def _busy(exc: sqlite3.OperationalError) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


def _locked(path: Path) -> StudyError:
    return StudyError(f"{path}: the study store is locked by another program (waited {BUSY_TIMEOUT:g} s): another "
                      f"deductive command may still be running on this study, or a database browser holds it "
                      f"open; let it finish or close it, then run the command again (nothing was changed)")


def _statements(script: str) -> list[str]:
    """Split a schema script into statements (sqlite3's executescript would COMMIT)."""
    parts, buf = [], []
    for line in script.splitlines():
        if line.strip().startswith("--"):
            continue
        buf.append(line)
        if line.rstrip().endswith(";") and sqlite3.complete_statement("\n".join(buf)):
            parts.append("\n".join(buf))
            buf = []
    return parts


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def from_json(text: str | None) -> Any:
    return json.loads(text) if text else {}
