"""Fine-tuning the embedding model on confirmed segments, locally, on CPU (SetFit-style).

SetFit's first step, with sentence-transformers' own loss and a plain torch loop (the
``setfit`` package and sentence-transformers' trainer both need ``datasets`` and
``accelerate``, which this project does not otherwise install): pairs of confirmed
segments are labelled 1 when they share an applied code and 0 when a coder gave them
different codes of one exclusive group (or one has a code the other was decided
without), and ``CosineSimilarityLoss`` pulls the first together and the second apart.

The tuned model is saved as a sentence-transformers folder (safetensors weights, JSON
config: no pickle) under ``models/tuned/<id>/``; its files hash into a new identity, so
its vectors never mix with the base model's in the embedding cache. sentence-transformers
is imported only here and only when fine-tuning runs.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from pipeline.embed.bf16_backend import native_bf16
from pipeline.errors import InputError, ModelError
from pipeline.suggest.learner import Labels

__all__ = ["TuneSettings", "contrastive_pairs", "fine_tune", "length_batches", "uses_bf16", "Progress"]

Progress = Callable[[int, int, float], None]  # (step, steps, seconds so far)


@dataclass(frozen=True)
class TuneSettings:
    pairs_per_segment: int = 4  # SetFit uses 20 iterations x 2; fewer keeps CPU time in minutes
    max_pairs: int = 8000
    batch_size: int = 16
    epochs: int = 1
    learning_rate: float = 2e-5
    seed: int = 0
    threads: int | None = None  # torch threads; None: torch's default (all cores). 1 is far faster on a busy machine
    # bfloat16 autocast (float32 weights and optimiser) where the CPU computes bfloat16 natively;
    # None: use it where it is native. Backward passes took half the time (benchmarks/fine_tune.py).
    bf16: bool | None = None
    # Pairs are batched with pairs of similar length, drawn from pools of this many batches:
    # a batch of random utterances was padded to its longest, mostly padding on AnnoMI.
    length_pool: int = 50


def contrastive_pairs(labels: Labels, settings: TuneSettings) -> list[tuple[int, int, float]]:
    """(row, row, 1.0 | 0.0) pairs: same code applied -> 1; a known different code -> 0.

    Balanced: for each row and round, one positive partner and one negative partner."""
    rng = np.random.default_rng(settings.seed)
    positive = labels.matrix == 1
    rows = np.flatnonzero(positive.any(axis=1))
    by_code = {j: np.flatnonzero(positive[:, j]) for j in range(positive.shape[1])}
    pairs: list[tuple[int, int, float]] = []
    for _ in range(max(1, settings.pairs_per_segment // 2)):
        for i in rng.permutation(rows):
            codes = np.flatnonzero(positive[i])
            j = int(rng.choice(codes))
            same = by_code[j][by_code[j] != i]
            if len(same):
                pairs.append((int(i), int(rng.choice(same)), 1.0))
            # a negative: a row labelled 0 for code j (the coder chose otherwise) with a code of its own
            other = np.flatnonzero((labels.matrix[:, j] == 0) & positive.any(axis=1))
            if len(other):
                pairs.append((int(i), int(rng.choice(other)), 0.0))
    rng.shuffle(pairs)
    return pairs[: settings.max_pairs]


def fine_tune(base: Path, texts: list[str], labels: Labels, target: Path, settings: TuneSettings = TuneSettings(),
              progress: Progress | None = None) -> Path:
    """Tune the sentence-transformers model at ``base`` on the pairs; save it at ``target``."""
    pairs = contrastive_pairs(labels, settings)
    if not any(p[2] == 1.0 for p in pairs) or not any(p[2] == 0.0 for p in pairs):
        raise InputError("fine-tuning needs confirmed segments that share a code and segments with different codes; "
                         "confirm more before `deductive learn --fine-tune`")
    try:
        import torch
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:  # pragma: no cover - installed with the project
        raise ModelError(f"fine-tuning needs sentence-transformers and torch ({exc})") from exc
    try:
        from sentence_transformers.sentence_transformer.losses import CosineSimilarityLoss
    except ImportError:  # sentence-transformers 5 keeps the losses at the top level
        from sentence_transformers.losses import CosineSimilarityLoss
    torch.manual_seed(settings.seed)
    if settings.threads:
        torch.set_num_threads(settings.threads)
    model = SentenceTransformer(str(base), device="cpu")
    loss = CosineSimilarityLoss(model)
    prepare = getattr(model, "preprocess", None) or model.tokenize  # `tokenize` before sentence-transformers 6
    optimizer = _adamw(torch, model, settings.learning_rate)
    batches = length_batches(pairs, texts, settings) * settings.epochs
    bf16 = uses_bf16(settings)
    model.train()
    started = time.perf_counter()
    for step, batch in enumerate(batches, start=1):
        features = [prepare([texts[a] for a, _, _ in batch]), prepare([texts[b] for _, b, _ in batch])]
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            value = loss(features, torch.tensor([s for _, _, s in batch], dtype=torch.float32))
        value.backward()
        optimizer.step()
        optimizer.zero_grad()
        if progress is not None:
            progress(step, len(batches), time.perf_counter() - started)
    model.eval()
    tmp = target.with_name(target.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save(str(tmp), create_model_card=False)
    if target.exists():
        shutil.rmtree(target)
    tmp.rename(target)
    return target


def uses_bf16(settings: TuneSettings) -> bool:
    """Whether fine-tuning with ``settings`` runs under bfloat16 autocast on this machine."""
    return native_bf16() if settings.bf16 is None else settings.bf16


def length_batches(pairs: list[tuple[int, int, float]], texts: list[str],
                   settings: TuneSettings) -> list[list[tuple[int, int, float]]]:
    """Batches of pairs of similar length, in random order.

    The pairs stay in their random order in pools of ``length_pool`` batches; within a pool
    they are sorted by their longer text, cut into batches, and all batches are shuffled.
    Each pair's loss is its own, so only padding changes, not what is learned from a pair."""
    size = settings.batch_size
    pool = size * max(1, settings.length_pool)
    batches: list[list[tuple[int, int, float]]] = []
    for start in range(0, len(pairs), pool):
        chunk = sorted(pairs[start:start + pool], key=lambda p: max(len(texts[p[0]]), len(texts[p[1]])))
        batches.extend(chunk[k:k + size] for k in range(0, len(chunk), size))
    np.random.default_rng(settings.seed).shuffle(batches)
    return batches


def _adamw(torch, model, learning_rate: float):  # noqa: ANN001, ANN202
    """AdamW with its fused CPU kernel where torch has one (same update, a quarter of the time)."""
    parameters = [p for p in model.parameters() if p.requires_grad]
    try:
        return torch.optim.AdamW(parameters, lr=learning_rate, fused=True)
    except (RuntimeError, TypeError):  # older torch: no fused kernel on the CPU
        return torch.optim.AdamW(parameters, lr=learning_rate)
