"""The store: schema version, migrations, transactions, append-only logs."""

import sqlite3
from pathlib import Path

import pytest

from pipeline.errors import StudyError
from pipeline.store import MIGRATIONS, SCHEMA_VERSION, Store, _statements


def test_new_store_is_at_the_latest_schema_with_wal_and_foreign_keys(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite", create=True)
    assert store.schema_version == SCHEMA_VERSION == len(MIGRATIONS)
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_an_old_store_is_migrated_step_by_step(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path)
    for statement in _statements(MIGRATIONS[0]):
        conn.execute(statement)
    conn.execute("INSERT INTO cases(name) VALUES ('kept')")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    store = Store(path)
    assert store.schema_version == SCHEMA_VERSION
    assert store.query("SELECT name FROM cases")[0][0] == "kept"
    assert store.query("SELECT COUNT(*) FROM decisions")[0][0] == 0  # a later schema's table exists


def test_a_newer_store_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite"
    Store(path, create=True).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(StudyError, match="newer than this deductive"):
        Store(path)


def test_missing_store_and_junk_file(tmp_path: Path) -> None:
    with pytest.raises(StudyError, match="deductive init"):
        Store(tmp_path / "nope.sqlite")
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StudyError, match="not a usable study store"):
        Store(junk)


def test_transaction_rolls_back_everything_on_error(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite", create=True)
    with pytest.raises(RuntimeError):
        with store.transaction() as conn:
            conn.execute("INSERT INTO cases(name) VALUES ('a')")
            raise RuntimeError("killed midway")
    assert store.query("SELECT COUNT(*) FROM cases")[0][0] == 0


@pytest.mark.parametrize("table", ["decisions", "ratings"])
def test_logs_are_append_only(tmp_path: Path, table: str) -> None:
    store = Store(tmp_path / "s.sqlite", create=True)
    with store.transaction() as conn:
        conn.execute("INSERT INTO cases(name) VALUES ('c')")
        conn.execute("INSERT INTO imports(kind, file_hash, path) VALUES ('test', 'h', 'p')")
        if table == "decisions":
            conn.execute("INSERT INTO documents(id, source_key, version, source_path, format, file_hash, content_hash, case_name, text)"
                         " VALUES ('d', 'k', 1, 'p', 'text', 'h', 'h', 'c', 'hello')")
            conn.execute("INSERT INTO segmentations(id, unit, params) VALUES ('g', 'sentence', '{}')")
            conn.execute("INSERT INTO segments(id, document_id, segmentation_id, seq, start, end, text) VALUES ('s', 'd', 'g', 0, 0, 5, 'hello')")
            conn.execute("INSERT INTO decisions(coder, import_id, segment_id, code_id, codebook_version, verdict) VALUES ('a', 1, 's', 'x', 'v', 'accepted')")
        else:
            conn.execute("INSERT INTO ratings(case_name, code_id, codebook_version, rating) VALUES ('c', 'x', 'v', '+1')")
    for statement in (f"UPDATE {table} SET code_id = 'y'", f"DELETE FROM {table}"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            with store.transaction() as conn:
                conn.execute(statement)
    assert store.query(f"SELECT code_id FROM {table}")[0][0] == "x"
