"""How the pipeline's cost grows with the study: 10k, 100k and 1M synthetic segments.

    python benchmarks/scale.py [--sizes 10000,100000,1000000] [--real-up-to 10000] [--threads 2]

A size is a number of segments: the study is size/2 paragraphs of two sentences each, in
text files of PARAGRAPHS_PER_DOCUMENT paragraphs (an interview's worth: 400 segments) in
50 case folders, ingested one segment per paragraph and then cut into sentences; the demo
codebook suggests its paragraph-unit codes once per paragraph, so the unit roll-up is
part of the cost. Each size runs in a fresh process and prints seconds and microseconds
per segment for: ingest (the files), segment (re-cutting every paragraph into
sentences), suggest with the fake embedder (cold: embed +
calibrate + score + store; then a warm re-run that finds nothing to do), suggest with the
default backend for sizes up to --real-up-to (real model embeddings, a new run), and queue
(a 2,000-row workbook chosen from the whole study by score). Each step's own peak resident
memory is printed beside it (Linux: the peak is reset before the step through
/proc/self/clear_refs), with the resident memory the step started from (what earlier
steps left; the step's own growth is the difference), and the largest peak at the end. Linear cost shows as a flat
microseconds-per-segment column.

The texts are synthetic sentences (seeded), most paragraphs distinct.
"""

from __future__ import annotations

import argparse
import itertools
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
PARAGRAPHS_PER_DOCUMENT = 200
CASES = 50

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


def write_corpus(root: Path, paragraphs: int) -> Path:
    """Text files of PARAGRAPHS_PER_DOCUMENT paragraphs (blank-line separated), in case folders."""
    rows = synthetic_rows(paragraphs)
    for k in range(0, paragraphs, PARAGRAPHS_PER_DOCUMENT):
        folder = root / f"case{(k // PARAGRAPHS_PER_DOCUMENT) % CASES:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        texts = [text for _, _, text in itertools.islice(rows, PARAGRAPHS_PER_DOCUMENT)]
        (folder / f"interview{k // PARAGRAPHS_PER_DOCUMENT:05d}.txt").write_text("\n\n".join(texts) + "\n", encoding="utf-8")
    return root


def reset_peak() -> None:
    """Reset this process's peak resident memory (Linux >= 4.0), so the next reading is one step's."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _status_mb(field: str) -> float | None:
    """A memory field of /proc/self/status in MB (Linux), or None where it cannot be read."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def resident_mb() -> float:
    """Resident memory now (VmRSS): what a step starts from."""
    now = _status_mb("VmRSS")
    return 0.0 if now is None else now


def peak_mb() -> float:
    """Peak resident memory since the last reset_peak (VmHWM), or of the whole process."""
    peak = _status_mb("VmHWM")
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 if peak is None else peak


def one_size(n: int, real: bool, threads: int) -> None:
    run_size(200, False, threads, quiet=True)  # pays the imports and spaCy's loading before timing
    run_size(n, real, threads)


def run_size(n: int, real: bool, threads: int, quiet: bool = False) -> None:
    from pipeline.embed import FakeEmbedder, load_embedder, EmbedSettings
    from pipeline.review import QueueOptions, queue
    from pipeline.study import Study

    with tempfile.TemporaryDirectory() as tmp:
        corpus = write_corpus(Path(tmp) / "corpus", max(n // 2, 2))
        study = Study.create(Path(tmp) / "study", codebook=CODEBOOK)
        study.settings = study.settings.override("segment", unit="paragraph")
        timings: list[tuple[str, float, int, float]] = []

        def timed(label: str, work, count=lambda result: n):  # noqa: ANN001, ANN202
            reset_peak()
            before = resident_mb()
            started, cpu = time.perf_counter(), time.process_time()
            result = work()
            seconds, cpu, items = time.perf_counter() - started, time.process_time() - cpu, count(result)
            timings.append((label, seconds, items, peak_mb()))
            if not quiet:  # CPU seconds of this process: less moved by other work on the machine
                print(f"{n:>9,}  {label:<28} {seconds:9.1f} s  {1e6 * seconds / max(items, 1):8.1f} us/segment  "
                      f"{1e6 * cpu / max(items, 1):8.1f} CPU-us/segment  {timings[-1][3]:7,.0f} MB (from {before:,.0f})  ({items:,} segments)",
                      flush=True)
            return result

        report = timed("ingest (paragraphs)", lambda: study.ingest([corpus]), lambda _: max(n // 2, 2))
        assert report.ok, report.failed
        study.settings = study.settings.override("segment", unit="sentence")
        timed("segment (sentences)", study.segment, lambda _: study.store.query("SELECT COUNT(*) FROM current_segments")[0][0])
        fake = FakeEmbedder()
        timed("suggest, fake embedder", lambda: study.suggest(embedder=fake, learned=False), lambda r: r.segments)
        timed("  warm re-run", lambda: study.suggest(embedder=fake, learned=False), lambda r: r.segments)
        if real:
            embedder = load_embedder(EmbedSettings(threads=threads))
            embedder.embed(["warm up"])
            timed(f"suggest, {EmbedSettings().backend} backend",
                  lambda: study.suggest(embedder=embedder, learned=False), lambda r: r.segments)
        timed(f"queue ({QUEUE_ROWS} by score)", lambda: queue(study, QueueOptions(coder="ana", order="score", limit=QUEUE_ROWS,
                                                                               include_uncoded=True),
                                                           Path(tmp) / "queue.xlsx"),
              lambda _: study.store.query("SELECT COUNT(*) FROM current_segments")[0][0])
        study.close()
    if quiet:
        return
    peak = max(t[3] for t in timings)  # (clear_refs resets getrusage's maximum too)
    print(f"{n:>9,}  peak resident memory of any step {peak:,.0f} MB; load average {_load()}\n", flush=True)


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


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
    print(f"{'segments':>9}  {'step':<28} {'seconds':>11}  {'cost':>19}  {'CPU cost':>23}  {'peak':>10}"
          f"   (load average {_load()})")
    for n in (int(s) for s in args.sizes.split(",")):
        subprocess.run([sys.executable, __file__, "--one", str(n), "--real-up-to", str(args.real_up_to),
                        "--threads", str(args.threads)], check=True)


if __name__ == "__main__":
    main()
