"""Whole AnnoMI through the command line, cold then warm, and the demo: seconds and peak memory.

    python benchmarks/annomi_end_to_end.py [--backend onnx] [--demo] [--limit N]

Each step is a fresh `deductive` process, as a user runs it, so its time includes start-up
and its peak resident memory is its own (from wait4). Cold: init, ingest (9,699
utterances, one segment per row), suggest (every text embedded now; the model's ONNX
export is made once per machine beforehand, not timed), queue (every suggested segment
for one coder). Warm: the same ingest, suggest and queue again on unchanged inputs (ingest
and suggest find nothing to do; the queue writes a second coder's workbook). Targets:
cold <= 60 s, warm <= 10 s. With --demo, `deductive demo` runs too (the whole demo flow,
Prefect included) and its peak memory is printed. --limit takes the first N rows (a
quick check; the targets are for the whole file).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from _annomi import CODEBOOK, ROLES_TOML, first_rows, require_annomi  # noqa: E402

INGEST_OPTIONS = ["--unit", "row", "--text-column", "utterance_text", "--id-column", "transcript_id",
                  "--id-column", "utterance_id", "--case-column", "transcript_id",
                  "--speaker-column", "interlocutor", "--timestamp-column", "timestamp"]


def run(args: list[str]) -> tuple[float, float, str]:
    """Seconds, peak resident MB and the last output line of one `deductive` process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "cli", *args], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = child.stdout.read() if child.stdout else ""
    _pid, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"`deductive {' '.join(args)}` failed:\n{output}")
    lines = [line for line in output.splitlines() if line.strip()]
    last = lines[-1] if lines else ""
    print(f"  ... {args[0]:<8} {seconds:7.1f} s  {usage.ru_maxrss / 1024:7,.0f} MB", flush=True)  # progress
    return seconds, usage.ru_maxrss / 1024, last


def report(label: str, steps: list[tuple[str, float, float, str]]) -> None:
    total = sum(s[1] for s in steps)
    print(f"\n{label}: {total:.1f} s in all, peak {max(s[2] for s in steps):,.0f} MB")
    for name, seconds, peak, last in steps:
        print(f"  {name:<8} {seconds:7.1f} s  {peak:7,.0f} MB   {last[:90]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default=None, help="embedding backend (default: the study's default)")
    parser.add_argument("--demo", action="store_true", help="also run `deductive demo` and print its peak memory")
    parser.add_argument("--limit", type=int, help="only the first N rows of AnnoMI")
    args = parser.parse_args()
    source = require_annomi()
    with tempfile.TemporaryDirectory() as tmp:
        source = first_rows(source, args.limit, Path(tmp))
        study = str(Path(tmp) / "annomi")
        backend = ["--backend", args.backend] if args.backend else []
        run(["--help"])  # the export, if missing, is made by a suggest below; warm the file cache here
        cold = [("init", *run(["init", study, "--codebook", str(CODEBOOK)]))]
        with open(Path(study) / "deductive.toml", "a", encoding="utf-8") as toml:  # as a user maps the speakers
            toml.write(ROLES_TOML)
        cold.append(("ingest", *run(["ingest", study, str(source), *INGEST_OPTIONS])))
        cold.append(("suggest", *run(["suggest", study, "--definitions-only", *backend])))
        cold.append(("queue", *run(["queue", study, "--coder", "ana", "--out", str(Path(tmp) / "ana.xlsx")])))
        report(f"cold, {source.name}", cold)
        warm = [("ingest", *run(["ingest", study, str(source), *INGEST_OPTIONS]))]
        warm.append(("suggest", *run(["suggest", study, "--definitions-only", *backend])))
        warm.append(("queue", *run(["queue", study, "--coder", "ben", "--out", str(Path(tmp) / "ben.xlsx")])))
        report("warm re-run on unchanged inputs", warm)
        if args.demo:
            report("deductive demo (whole flow)", [("demo", *run(["demo", str(Path(tmp) / "demo")]))])
    print("\n(the ONNX export is made once per model and machine and is not part of these times)")


if __name__ == "__main__":
    main()
