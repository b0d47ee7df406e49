"""`queue`: choose segments for a coder, remember them, and write the review workbook."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from pipeline.errors import ConfigError, StudyError
from pipeline.review.selection import QueueItem, QueueOptions, describe_left_out, select, split_overlap
from pipeline.suggest.stage import latest_run
from pipeline.review.layout import WorkbookMeta
from pipeline.review.workbook import write_workbook

if TYPE_CHECKING:
    from pipeline.context import StudyContext
    from pipeline.suggest.scope import RoleMap

__all__ = ["QueuedWorkbook", "queue", "REVIEW_FOLDER"]

REVIEW_FOLDER = Path("data") / "review"


@dataclass(frozen=True)
class QueuedWorkbook:
    workbook_id: str
    coder: str
    path: Path
    segments: int
    suggestions: int
    shared: int  # segments also queued for the other coder (--overlap)
    left_out: tuple[str, ...] = ()  # segments in scope not queued, one line per reason


def queue(study: "StudyContext", options: QueueOptions, out: Path | None = None) -> list[QueuedWorkbook]:
    """Write one workbook for ``options.coder`` (and one for ``with_coder`` if overlapping).

    Returns what was queued, each with the segments in scope left out and why (also
    written on the Instructions sheet); an empty selection writes nothing and returns [].
    """
    _check_coders(options)
    codebook = study.codebook(options.codebook_version)
    run_id = options.run_id or latest_run(study.store, codebook.version)
    _check_run(study, run_id, codebook.version, options.include_uncoded is True)
    selection = select(study.store.conn, codebook, run_id, options, _roles(study))
    items, left_out = selection.items, describe_left_out(selection.left_out)
    if not items:
        return []
    now = datetime.now(timezone.utc)
    if options.with_coder:
        mine, theirs = split_overlap(items, options.overlap or 0.0, options.seed)
        shared = len({i.segment_id for i in mine} & {i.segment_id for i in theirs})
        plan = [(options.coder, mine), (options.with_coder, theirs)]
    else:
        shared, plan = 0, [(options.coder, list(items))]
    ids = [_workbook_id(study, coder, chosen, run_id) for coder, chosen in plan]
    paths = _paths(study.root, out, [coder for coder, _ in plan], ids, now)
    results = []
    for (coder, chosen), workbook_id, path in zip(plan, ids, paths):
        partner = [i for i in ids if i != workbook_id]
        params = {**_params(options), "overlap_with": partner[0] if partner else None}
        _record_and_write(study, workbook_id, coder, chosen, path, codebook, run_id, params, now, left_out)
        results.append(QueuedWorkbook(workbook_id, coder, path, len(chosen),
                                      sum(len(i.suggestions) for i in chosen), shared, tuple(left_out)))
    return results


def _record_and_write(study: "StudyContext", workbook_id: str, coder: str, items: Sequence[QueueItem], path: Path,
                      codebook, run_id: str | None, params: dict, now: datetime, left_out: Sequence[str] = ()) -> None:
    """Store rows and file together: if the file cannot be written, nothing is recorded."""
    path.parent.mkdir(parents=True, exist_ok=True)
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    meta = WorkbookMeta(workbook_id, coder, now.strftime("%Y-%m-%d %H:%M UTC"), study.root.name, run_id,
                        tuple(left_out))
    with study.store.transaction() as conn:
        conn.execute(
            "INSERT INTO workbooks(id, coder, created_at, path, codebook_version, run_id, params)"
            " VALUES (?,?,?,?,?,?,?)",
            (workbook_id, coder, stamp, str(path), codebook.version, run_id, json.dumps(params, sort_keys=True)),
        )
        conn.executemany(
            "INSERT INTO workbook_items(workbook_id, segment_id, position, text_hash, suggestion_ids)"
            " VALUES (?,?,?,?,?)",
            [(workbook_id, item.segment_id, position, item.text_hash, json.dumps([s.id for s in item.suggestions]))
             for position, item in enumerate(items, start=1)],
        )
        write_workbook(path, items, codebook, meta)


def _roles(study: "StudyContext") -> "RoleMap":
    """Speaker label -> role, so the queue leaves out turns no code applies to (issue 13)."""
    from pipeline.suggest.scope import study_role_map

    return study_role_map(study.store, study.settings.roles)


def _check_coders(options: QueueOptions) -> None:
    if not options.coder.strip():
        raise ConfigError("--coder is empty; give the coder's name (it is recorded with every decision)")
    if (options.overlap is None) != (options.with_coder is None):
        raise ConfigError("--overlap and --with go together: --overlap 0.2 --with OTHER_CODER")
    if options.with_coder and options.with_coder == options.coder:
        raise ConfigError(f"--with names the same coder as --coder ('{options.coder}'); name a second coder")
    if options.limit is not None and options.limit < 1:
        raise ConfigError(f"--limit {options.limit}: give a positive number of segments")


def _check_run(study: "StudyContext", run_id: str | None, version: str, include_uncoded: bool) -> None:
    if run_id is None:
        if include_uncoded:
            return
        raise StudyError(f"{study.root}: no suggestions for codebook version {version}; run `deductive suggest "
                         f"{study.root}` first, or pass --include-uncoded to queue segments without suggestions")
    row = study.store.conn.execute("SELECT codebook_version FROM suggestion_runs WHERE id = ?", (run_id,)).fetchone()
    if row is None:
        raise ConfigError(f"--run {run_id}: no such suggestion run in {study.root}")
    if row["codebook_version"] != version:
        raise ConfigError(f"--run {run_id} was made with codebook version {row['codebook_version']}, not {version}; "
                          f"pass --codebook {row['codebook_version']} or choose another run")


def _params(options: QueueOptions) -> dict:
    params = asdict(options)
    params["cases"], params["codes"] = list(options.cases), list(options.codes)
    return params


def _paths(root: Path, out: Path | None, coders: list[str], ids: list[str], now: datetime) -> list[Path]:
    """--out for the first coder (the second gets '-NAME' added); else data/review/."""
    if out is not None:
        out = Path(out)
        if out.suffix.lower() != ".xlsx":
            raise ConfigError(f"--out {out}: the review workbook must be an .xlsx file")
        paths = [out] + [out.with_name(f"{out.stem}-{_slug(c)}{out.suffix}") for c in coders[1:]]
    else:
        stamp = now.strftime("%Y%m%d-%H%M")
        paths = [root / REVIEW_FOLDER / f"queue-{_slug(c)}-{stamp}-{i[3:9]}.xlsx" for c, i in zip(coders, ids)]
    for path in paths:
        if path.exists():
            raise ConfigError(f"{path} already exists (perhaps a coder is working in it); choose another --out")
    return paths


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "coder"


def _workbook_id(study: "StudyContext", coder: str, items: Sequence[QueueItem], run_id: str | None) -> str:
    """Deterministic: the same queue of the same study content gets the same id, so a
    workbook prepared on one copy of a study (the shipped demo's coders) imports into
    another. The coder's count of earlier workbooks keeps ids unique within a study."""
    earlier = study.store.conn.execute("SELECT COUNT(*) FROM workbooks WHERE coder = ?", (coder,)).fetchone()[0]
    payload = json.dumps([coder, run_id, earlier, [i.segment_id for i in items]])
    return "wb-" + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:12]
