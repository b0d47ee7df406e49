"""How the pipeline's cost grows with the study: 10k, 100k and 1M synthetic segments.

    python benchmarks/scale.py [--sizes 10000,100000,1000000] [--real-up-to 10000] [--threads 2]

Each size runs in a fresh process (so its peak memory is its own) and prints seconds and
microseconds per segment for: ingest (a CSV, one text per row), segment (re-cutting every
row into sentences), suggest with the fake embedder (cold: embed + score + store; then a
warm re-run), suggest with the default backend for sizes up to --real-up-to (real model
embeddings; 100k of them take hours on a shared 2-core machine), and queue (a 2,000-row
workbook chosen from the whole study by score). Peak resident memory is printed per size.
Linear cost shows as a flat microseconds-per-segment column.

The texts are synthetic sentences (seeded): two sentences per row, most rows distinct.
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CODEBOOK = ROOT / "codebook" / "demo_study.yaml"
QUEUE_ROWS = 2000

WHO = ["The ward manager", "A nurse", "The IT lead", "One of the doctors", "The pharmacist", "Our director",
       "A patient advocate", "The trainer", "The night staff", "The finance officer"]
DID = ["said the new system", "felt the dashboard", "thought the pilot", "explained that the software",
       "complained the rollout", "noted the training", "argued the budget", "hoped the handover forms"]
HOW = ["saved time on every shift", "was hard to fit into existing routines", "needed more support than planned",
       "changed how the team documented care", "was adapted to local workflows", "cost more than expected",
       "was mostly ignored after the first month", "made the weekly meetings shorter"]
WHEN = ["in June", "after the audit", "during the pilot", "before the board meeting", "last winter",
        "on the night shift", "at the second site", "when the vendor visited"]


def synthetic_rows(n: int, seed: int = 0):
    """(id, case, text) rows of two sentences; a row number keeps nearly all texts distinct."""
    rng = random.Random(seed)
    for i in range(n):
        first = f"{rng.choice(WHO)} {rng.choice(DID)} {rng.choice(HOW)} {rng.choice(WHEN)}."
        second = f"That was note {i} of case {i % 50}; {rng.choice(WHO).lower()} {rng.choice(DID)} {rng.choice(HOW)}."
        yield i, f"case{i % 50:02d}", f"{first} {second}"


def one_size(n: int, real: bool, threads: int) -> None:
    run_size(200, False, threads, quiet=True)  # pays the imports and spaCy's loading before timing
    run_size(n, real, threads)


def run_size(n: int, real: bool, threads: int, quiet: bool = False) -> None:
    from pipeline.embed import FakeEmbedder, load_embedder, EmbedSettings
    from pipeline.ingest.read import ReadOptions
    from pipeline.review import QueueOptions, queue
    from pipeline.study import Study

    with tempfile.TemporaryDirectory() as tmp:
        table = Path(tmp) / "texts.csv"
        with table.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["id", "case", "text"])
            writer.writerows(synthetic_rows(n))
        study = Study.create(Path(tmp) / "study", codebook=CODEBOOK)
        study.settings = study.settings.override("segment", unit="row")
        read = ReadOptions(text_column="text", id_columns=("id",), case_column="case")
        timings: list[tuple[str, float, int]] = []

        def timed(label: str, work, count=lambda result: n):  # noqa: ANN001, ANN202
            started = time.perf_counter()
            result = work()
            timings.append((label, time.perf_counter() - started, count(result)))
            return result

        report = timed("ingest (rows)", lambda: study.ingest([table], read=read))
        assert report.ok, report.failed
        study.settings = study.settings.override("segment", unit="sentence")
        timed("segment (sentences)", study.segment, lambda _: len(study.store.query("SELECT 1 FROM current_segments")))
        fake = FakeEmbedder()
        timed("suggest, fake embedder", lambda: study.suggest(embedder=fake, learned=False), lambda r: r.segments)
        timed("  warm re-run", lambda: study.suggest(embedder=fake, learned=False), lambda r: r.segments)
        if real:
            embedder = load_embedder(EmbedSettings(threads=threads))
            embedder.embed(["warm up"])
            timed(f"suggest, {embedder.identity.rsplit(':', 1)[-1]} backend",
                  lambda: study.suggest(embedder=embedder, learned=False), lambda r: r.segments)
        timed(f"queue ({QUEUE_ROWS} by score)", lambda: queue(study, QueueOptions(coder="ana", order="score", limit=QUEUE_ROWS,
                                                                               include_uncoded=True),
                                                           Path(tmp) / "queue.xlsx"),
              lambda _: len(study.store.query("SELECT 1 FROM current_segments")))
        study.close()
    if quiet:
        return
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for label, seconds, count in timings:
        print(f"{n:>9,}  {label:<28} {seconds:9.1f} s  {1e6 * seconds / max(count, 1):8.1f} us/segment  ({count:,} segments)")
    print(f"{n:>9,}  peak resident memory {peak:,.0f} MB\n", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--real-up-to", type=int, default=10000, help="also suggest with the default backend up to this size")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a single size, in this process
    args = parser.parse_args()
    if args.one:
        one_size(args.one, args.one <= args.real_up_to, args.threads)
        return
    print(f"{'size':>9}  {'step':<28} {'seconds':>11}  {'cost':>19}")
    for n in (int(s) for s in args.sizes.split(",")):
        subprocess.run([sys.executable, __file__, "--one", str(n), "--real-up-to", str(args.real_up_to),
                        "--threads", str(args.threads)], check=True)


if __name__ == "__main__":
    main()
