"""`deductive queue` on the whole of AnnoMI: this checkout against a baseline commit, alternating.

    python benchmarks/queue_speed.py [--baseline 463d686] [--rounds 3] [--limit N] [--fake]

Builds one AnnoMI study with the CLI (init, ingest 9,699 utterances, suggest with the
default model, or the fake embedder with --fake), then, round after round, runs
`deductive queue` in a fresh process on a fresh copy of that study with the baseline's
code (extracted with `git archive` into a temporary folder) and with this checkout's:
every segment in scope for one coder (the warm re-run's queue in annomi_end_to_end.py),
and a 2,000-row queue by score. Prints each run's seconds and peak resident memory (from
wait4) and the best of the rounds. The baseline 463d686 is the last commit before the
queue was written with XlsxWriter and selected a document at a time (issue 18).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from _annomi import CODEBOOK, ROLES_TOML, first_rows, require_annomi  # noqa: E402
from annomi_end_to_end import INGEST_OPTIONS  # noqa: E402

QUEUES = {"whole study": [], "2,000 by score": ["--order", "score", "--limit", "2000"]}


def cli(tree: Path, args: list[str]) -> tuple[float, float]:
    """Seconds and peak resident MB of one `deductive` process running ``tree``'s code."""
    env = {**os.environ, "PYTHONPATH": str(tree), "HF_HUB_OFFLINE": "1"}
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "cli", *args], cwd=tree, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = child.stdout.read() if child.stdout else ""
    _pid, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"`deductive {' '.join(args)}` failed in {tree}:\n{output}")
    return time.perf_counter() - started, usage.ru_maxrss / 1024


def build(study: Path, source: Path, fake: bool) -> None:
    cli(ROOT, ["init", str(study), "--codebook", str(CODEBOOK)])
    toml = study / "deductive.toml"
    text = toml.read_text(encoding="utf-8") + ROLES_TOML
    if fake:
        text = text.replace('model = "all-MiniLM-L6-v2"', 'model = "fake"', 1)
    toml.write_text(text, encoding="utf-8")
    cli(ROOT, ["ingest", str(study), str(source), *INGEST_OPTIONS])
    seconds, _ = cli(ROOT, ["suggest", str(study), "--definitions-only"])
    print(f"study built (suggest {seconds:.1f} s, {'fake embedder' if fake else 'default model'})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="463d686", help="the commit to compare with")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--limit", type=int, help="only the first N rows of AnnoMI")
    parser.add_argument("--fake", action="store_true", help="suggest with the fake embedder (quick; other suggestions)")
    args = parser.parse_args()
    source = require_annomi()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        baseline = tmp / "baseline"
        baseline.mkdir()
        archive = subprocess.run(["git", "archive", args.baseline], cwd=ROOT, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(baseline)], input=archive, check=True)
        source = first_rows(source, args.limit, tmp)
        study = tmp / "study"
        build(study, source, args.fake)
        best: dict[tuple[str, str], tuple[float, float]] = {}
        for round_ in range(1, args.rounds + 1):
            for name, options in QUEUES.items():
                for label, tree in ((f"baseline {args.baseline}", baseline), ("this checkout", ROOT)):
                    copy = tmp / "copy"
                    shutil.rmtree(copy, ignore_errors=True)
                    shutil.copytree(study, copy)
                    seconds, peak = cli(tree, ["queue", str(copy), "--coder", "ana", "--out",
                                               str(copy / "queue.xlsx"), *options])
                    print(f"round {round_}  {name:<15} {label:<18} {seconds:6.2f} s  {peak:6,.0f} MB", flush=True)
                    old = best.get((name, label), (float("inf"), 0.0))
                    best[(name, label)] = (min(old[0], seconds), max(old[1], peak))
        print(f"\nbest of {args.rounds} (peak: the largest), load average {os.getloadavg()[0]:.1f}")
        for name in QUEUES:
            base, mine = best[(name, f"baseline {args.baseline}")], best[(name, "this checkout")]
            print(f"  {name:<15} baseline {base[0]:6.2f} s {base[1]:5,.0f} MB   this checkout {mine[0]:6.2f} s "
                  f"{mine[1]:5,.0f} MB   {base[0] / mine[0]:.2f}x faster")


if __name__ == "__main__":
    main()
