"""The key: code -> original, kept by the researcher outside the study folder.

A JSON file (never a pickle) naming the study it belongs to, and for each code its kind,
the entity key, the original as first found and every other way it was written. It is
never written into the study folder, the store, exports or workbooks; it is replaced
atomically (write beside, then rename) so a failed command leaves the old key intact.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import InputError
from pipeline.pseudonymise.entities import parse_code

__all__ = ["Key", "KeyEntry", "KEY_FORMAT", "check_outside", "read_key", "write_key", "study_id", "remember_study_id"]

KEY_FORMAT = "deductive-pseudonymisation-key"
_META = "pseudonymisation_study_id"
MAX_KEY_BYTES = 50_000_000


@dataclass(frozen=True)
class KeyEntry:
    code: str
    kind: str
    entity: str
    original: str
    variants: tuple[str, ...] = ()


@dataclass(frozen=True)
class Key:
    study: str
    entries: dict[str, KeyEntry] = field(default_factory=dict)  # code -> entry

    def codes(self) -> dict[tuple[str, str], str]:
        """(kind, entity) -> code, for numbering new findings after the known ones."""
        return {(e.kind, e.entity): e.code for e in self.entries.values()}


def study_id(store: Any) -> tuple[str, bool]:
    """The study's pseudonymisation identity and whether it is new (not yet stored).

    Made once and kept in the store's meta table by ``remember_study_id``, which the
    stage calls only after the key is written, so a failed command stores nothing.
    """
    value = store.get_meta(_META)
    return (value, False) if value is not None else (uuid.uuid4().hex, True)


def remember_study_id(store: Any, value: str) -> None:
    with store.transaction():
        store.set_meta(_META, value)


def check_outside(path: Path, study_root: Path, what: str = "the key") -> None:
    """Refuse a path inside the study folder: whoever gets the study must not get this."""
    target, root = path.expanduser().resolve(), study_root.resolve()
    if target == root or root in target.parents:
        raise InputError(
            f"{path}: {what} must not be written inside the study folder {study_root}: anyone given the "
            "study would be able to re-identify it; choose a path outside it (e.g. in your home folder)"
        )


def read_key(path: Path, study: str) -> Key:
    """The key at ``path`` (an empty one if there is none yet), checked against the study."""
    if not path.exists():
        return Key(study)
    try:
        if path.stat().st_size > MAX_KEY_BYTES:
            raise InputError(f"{path}: too large for a pseudonymisation key; is it the right file?")
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a pseudonymisation key written by deductive ({exc})") from exc
    if not isinstance(data, dict) or data.get("format") != KEY_FORMAT:
        raise InputError(f"{path}: not a pseudonymisation key written by deductive; give the key of this study")
    if data.get("study") != study:
        raise InputError(
            f"{path}: this key belongs to another study (or to an earlier copy of it) and does not match "
            "this one; give the key that was written for this study, or a new path to start one"
        )
    entries = {}
    for row in data.get("entries", []):
        try:
            entry = KeyEntry(str(row["code"]), str(row["kind"]), str(row["entity"]), str(row["original"]),
                             tuple(str(v) for v in row.get("variants", [])))
        except (KeyError, TypeError) as exc:
            raise InputError(f"{path}: a key entry lacks {exc}; the key file was edited or damaged") from exc
        if parse_code(entry.code) is None:
            raise InputError(f"{path}: '{entry.code}' is not a code; the key file was edited or damaged")
        entries[entry.code] = entry
    return Key(study, entries)


def write_key(path: Path, key: Key) -> None:
    data = {
        "format": KEY_FORMAT,
        "study": key.study,
        "note": "Code -> original. Keep this file apart from the study and share it with no one.",
        "entries": [
            {"code": e.code, "kind": e.kind, "entity": e.entity, "original": e.original, "variants": list(e.variants)}
            for e in sorted(key.entries.values(), key=lambda e: (e.kind, e.code))
        ],
    }
    path = path.expanduser()
    partial = path.with_name(path.name + ".partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        os.chmod(partial, 0o600)
        os.replace(partial, path)
    except OSError as exc:
        raise InputError(f"{path}: cannot write the key ({exc.strerror}); check the folder") from exc
