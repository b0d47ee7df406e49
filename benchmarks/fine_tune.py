"""What `deductive learn --fine-tune` gives and costs: AnnoMI counsellor (development data).

N confirmations (drawn at random from the training transcripts, the gold code standing
in for the coder) fine-tune the packaged MiniLM with pipeline.suggest.finetune (the same
code `learn --fine-tune` runs); then the learned suggester is fitted on the same N units
with the base and with the tuned model's embeddings, and both are scored on the held-out
transcripts (Cohen's kappa), beside zero-shot scores of each model. Minutes of fine-tuning
are printed with the machine's load average, since other work on the machine slows it.

    python benchmarks/fine_tune.py [--n 500] [--n 2000] [--bench annomi-counsellor] [--threads 2]
    python benchmarks/fine_tune.py --n 2000 --probe-steps 20 --threads 2 [--compare-loops]

--probe-steps K runs only the first K steps of the N-confirmation run and prints the
measured seconds per step and the time the whole run would take at that pace (an
extrapolation, labelled as such; no kappa, since the model is not fully tuned).

Tuned models are written to a temporary folder and deleted; base embeddings are cached
on disk (benchmarks/_datasets.py); tuned embeddings are not (they are new every run).
"""

from __future__ import annotations

import argparse
import os
from dataclasses import replace
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import learning_curve as lc  # noqa: E402
from _datasets import load  # noqa: E402

from pipeline.codebook import load_codebook  # noqa: E402
from pipeline.embed import EmbedSettings, load_embedder  # noqa: E402
from pipeline.embed.source import resolve_model  # noqa: E402
from pipeline.embed.seam import DEFAULT_MODEL  # noqa: E402
from pipeline.suggest.finetune import TuneSettings, contrastive_pairs, fine_tune  # noqa: E402
from pipeline.suggest.learner import Labels  # noqa: E402
from pipeline.suggest.scoring import CodebookSuggester  # noqa: E402


def retarget(task: lc.Task, texts: list[str], embed) -> lc.Task:
    """The same task with another model's vectors and zero-shot scores."""
    X = embed(texts)
    book = load_codebook(task.bench.codebook)
    suggester = CodebookSuggester(threshold=0).fit(book, embed, X)
    scores = suggester.predict_proba(X)
    prior = scores[:, [suggester.codes_.index(c) for c in task.codes]]
    return lc.Task(task.bench, task.codes, X, prior, task.y, task.train, task.test, task.docs, task.surface, task.lexical)


def progress(step: int, steps: int, seconds: float) -> None:
    if step % 5 == 0 or step == steps:
        print(f"    step {step}/{steps}, {seconds / 60:.1f} min", file=sys.stderr, flush=True)


def probe(base: Path, texts: list[str], labels: Labels, args) -> None:
    """Time the first steps of a run and extrapolate (the full run does not fit the time available).

    With --compare-loops, the same steps run twice more, alternating: the loop as it was before
    bfloat16 autocast and length batching (both off), and as it is now."""
    full = TuneSettings(threads=args.threads)
    steps = -(-len(contrastive_pairs(labels, full)) // full.batch_size) * full.epochs
    loops = {"now": {}}
    if args.compare_loops:
        loops = {"before (float32, random batches)": {"bf16": False, "length_pool": 0}, "now": {}}
    for name, changes in [*loops.items(), *(loops.items() if args.compare_loops else [])]:
        settings = replace(full, max_pairs=args.probe_steps * full.batch_size, **changes)
        with tempfile.TemporaryDirectory() as tmp:
            started, load_before = time.perf_counter(), os.getloadavg()[0]
            fine_tune(base, texts, labels, Path(tmp) / "tuned", settings, progress)
            seconds = time.perf_counter() - started
        per_step = seconds / args.probe_steps
        print(f"  {len(texts)} confirmations, loop {name}: {steps} steps in all; the first {args.probe_steps} took "
              f"{seconds:.0f} s ({per_step:.1f} s per step incl. loading and saving, {args.threads or 'default'} "
              f"threads, load average {load_before:.1f} -> {os.getloadavg()[0]:.1f}); EXTRAPOLATED whole run: "
              f"{steps * per_step / 60:.0f} min", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, action="append", help="Confirmations (default 500 and 2000).")
    parser.add_argument("--bench", default="annomi-counsellor")
    parser.add_argument("--threads", type=int, default=None, help="torch threads for fine-tuning (default: torch's)")
    parser.add_argument("--probe-steps", type=int, default=None, help="Run only this many steps and extrapolate the time.")
    parser.add_argument("--compare-loops", action="store_true",
                        help="With --probe-steps: also time the loop without bfloat16 and length batching, alternating.")
    args = parser.parse_args()
    bench = load(args.bench)
    task = lc.prepare(bench)
    keep = [i for i, label in enumerate(bench.labels) if label in task.codes]
    texts = [bench.texts[i] for i in keep]
    k = len(task.codes)
    base = resolve_model(DEFAULT_MODEL)
    print(f"{args.bench}: {len(task.train)} training / {len(task.test)} test units; zero-shot kappa (base) "
          f"{lc.kappa(task, task.prior[task.test]):.3f}")
    for n in args.n or [500, 2000]:
        rows = lc.random_rows(task, n, np.random.default_rng(0))
        labels = Labels(task.codes, lc.one_hot(task.y[rows], k), [list(range(k))])
        if args.probe_steps:
            probe(base.path, [texts[i] for i in rows], labels, args)
            continue
        learned_base = lc.kappa(task, lc.learned_scores(task, lc.fit_learned(task, rows), task.test))
        with tempfile.TemporaryDirectory() as tmp:
            started, load_before = time.perf_counter(), os.getloadavg()[0]
            fine_tune(base.path, [texts[i] for i in rows], Labels(labels.codes, labels.matrix, labels.groups),
                      Path(tmp) / "tuned", TuneSettings(threads=args.threads), progress)
            minutes = (time.perf_counter() - started) / 60
            load_after = os.getloadavg()[0]
            tuned = load_embedder(EmbedSettings(model=str(Path(tmp) / "tuned")))
            tuned_task = retarget(task, texts, lambda t: tuned.embed(list(t)))
        zero_tuned = lc.kappa(tuned_task, tuned_task.prior[tuned_task.test])
        learned_tuned = lc.kappa(tuned_task, lc.learned_scores(tuned_task, lc.fit_learned(tuned_task, rows), task.test))
        steps = -(-len(contrastive_pairs(labels, TuneSettings())) // TuneSettings().batch_size)
        print(f"  {len(rows)} confirmations: fine-tuning {minutes:.1f} min, {steps} steps, {60 * minutes / steps:.1f} s per step, "
              f"{args.threads or 'default'} threads (load average {load_before:.1f} -> {load_after:.1f} "
              f"on {os.cpu_count()} cores); learned kappa base {learned_base:.3f} -> tuned {learned_tuned:.3f} "
              f"({learned_tuned - learned_base:+.3f}); zero-shot with the tuned model {zero_tuned:.3f}", flush=True)


if __name__ == "__main__":
    main()
