"""The Excel review loop at scale: queue 10,000 AnnoMI segments, fill, confirm.

Suggestions are SYNTHETIC (one to three codes per segment with random scores, inserted
by SQL), because this measures the review loop, not the suggester. AnnoMI-simple holds
9,699 utterances; to reach --segments, its first rows are ingested once more under new
transcript ids (said in the output). Decisions are filled in with openpyxl, as a coder
would: accept, reject, an added code, "nothing applies", memos, some rows left blank.

    python benchmarks/review_roundtrip.py [--segments 10000]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _annomi import CODEBOOK, READ, require_annomi  # noqa: E402

from pipeline.review import QueueOptions, confirm, decision_table, queue  # noqa: E402
from pipeline.study import Study  # noqa: E402

RUN_ID = "synthetic-run"


def ingest(study: Study, source: Path, wanted: int, tmp: Path) -> str:
    study.settings = study.settings.override("segment", unit="row")
    study.ingest([source], read=READ)
    frame = pd.read_csv(source, dtype=str, keep_default_na=False)
    missing = wanted - len(frame)
    if missing <= 0:
        return f"{len(frame)} utterances"
    extra = frame.head(missing).copy()
    extra["transcript_id"] = "copy-" + extra["transcript_id"]
    extra_path = tmp / "annomi-extra.csv"
    extra.to_csv(extra_path, index=False)
    study.ingest([extra_path], read=READ)
    return f"{len(frame)} utterances + {missing} of them again under new transcript ids"


def add_synthetic_suggestions(study: Study, seed: int = 1) -> int:
    rng = random.Random(seed)
    codes = [c.id for c in study.codebook().codable]
    segments = list(study.segments()["segment_id"])
    rows = []
    for segment in segments:
        chosen = rng.sample(codes, rng.choice((1, 1, 2, 3)))
        scores = sorted((rng.random() for _ in chosen), reverse=True)
        rows += [(f"{segment}:{k}", RUN_ID, segment, code, k, score, score, 1)
                 for k, (code, score) in enumerate(zip(chosen, scores), start=1)]
    with study.store.transaction() as conn:
        conn.execute("INSERT INTO suggestion_runs(id, codebook_version, model, method, params)"
                     " VALUES (?, ?, 'synthetic', 'random', '{}')", (RUN_ID, study.codebook().version))
        conn.executemany("INSERT INTO suggestions(id, run_id, segment_id, code_id, rank, raw_score, score, suggested)"
                         " VALUES (?,?,?,?,?,?,?,?)", rows)
    return len(rows)


def fill(path: Path, out: Path, seed: int = 2) -> dict[str, int]:
    """Decide most rows like a coder; returns how many cells of each kind were filled."""
    rng = random.Random(seed)
    book = load_workbook(path)
    sheet = book["Queue"]
    cols = {str(c.value): c.column for c in sheet[1] if c.value is not None}
    filled = {"accept": 0, "reject": 0, "added": 0, "nothing": 0, "blank rows": 0}
    for r in range(2, sheet.max_row + 1):
        roll = rng.random()
        if roll < 0.1:
            filled["blank rows"] += 1
            continue
        if roll < 0.15:
            sheet.cell(r, cols["Nothing applies"]).value = "yes"
            filled["nothing"] += 1
            continue
        shown = [sheet.cell(r, cols[f"Suggestion {slot}"]).value for slot in range(1, 4)]
        for slot in range(1, 4):
            if shown[slot - 1]:
                verdict = "accept" if rng.random() < 0.6 else "reject"
                sheet.cell(r, cols[f"Decision {slot}"]).value = verdict
                filled[verdict] += 1
        if roll > 0.9 and not any(s and s.startswith("Change talk") for s in shown):
            sheet.cell(r, cols["Add code 1"]).value = "Change talk [change]"
            sheet.cell(r, cols["Memo"]).value = "client hints at change"
            filled["added"] += 1
    book.save(out)
    return filled


def timed(label: str, func, *args):
    started = time.perf_counter()
    result = func(*args)
    print(f"{label:<34} {time.perf_counter() - started:7.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=10_000)
    args = parser.parse_args()
    source = require_annomi()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        with Study.create(tmp / "annomi", codebook=CODEBOOK) as study:
            what = timed("ingest (not part of the loop)", ingest, study, source, args.segments, tmp)
            n = timed("synthetic suggestions by SQL", add_synthetic_suggestions, study)
            print(f"study: {what}; {n} synthetic suggestions")
            [book] = timed("queue (select + write .xlsx)", queue, study,
                           QueueOptions(coder="bench", limit=args.segments), tmp / "queue.xlsx")
            print(f"queued {book.segments} segments, {book.suggestions} suggestions; "
                  f"file {book.path.stat().st_size / 1e6:.2f} MB")
            returned = tmp / "renamed by coder.xlsx"
            filled = timed("fill decisions (openpyxl)", fill, book.path, returned)
            print("filled: " + ", ".join(f"{v} {k}" for k, v in filled.items()))
            report = timed("confirm (read + validate + write)", confirm, study, returned)
            print(f"confirmed {report.decided_rows} rows, {report.blank_rows} blank; "
                  + ", ".join(f"{v} {k}" for k, v in sorted(report.counts.items())))
            again = timed("confirm the same file again", confirm, study, returned)
            print(f"second confirm: {again.status}")
            table = timed("export current decisions", decision_table, study)
            print(f"{len(table)} current decisions")


if __name__ == "__main__":
    main()
