"""The sentences the "does this codebook belong to the study" test looks at (scoring step 4).

The test compares the study with generic background sentences, so it must look at
sentences too: a segment of several sentences mixes codes and looks less like any one of
them, and the test would set aside a codebook that belongs (benchmarks/fit_by_length.py
measures this on AnnoMI). The suggest stage tests the segments themselves first: if every
set of codes fits, that settles it. Only when a set fails there, and the segments are
longer than a sentence, are up to FIT_SENTENCES sentences, drawn with a fixed seed from the
segments' own sentences, split (with the study's spaCy model), embedded and tested in the
segments' place, and that second test decides for every set. A study whose codebook fits
its segments so pays for no sentence model and no extra encoding. Only the test uses the
sentences; segments are still scored whole. ``sentence_sample`` also says which segment
each sentence came from, so a group is tested only on the sentences of speakers in its
scope (a counsellor codebook is not judged by the client's sentences).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from pipeline.segment import sentence_texts

__all__ = ["FIT_SENTENCES", "fit_sentences", "sentence_sample"]

FIT_SENTENCES = 2000  # enough for the sign test to see a fit of about 0.02 (2 standard errors); bounded cost


def fit_sentences(texts: Sequence[str], limit: int = FIT_SENTENCES, seed: int = 0) -> list[str] | None:
    """Sentences standing in for the study in the fit test, or None if the segments are sentences already."""
    sample = sentence_sample(texts, limit, seed)
    return None if sample is None else sample[0]


def sentence_sample(texts: Sequence[str], limit: int = FIT_SENTENCES,
                    seed: int = 0) -> tuple[list[str], np.ndarray] | None:
    """``fit_sentences`` with, for each sentence, the index in ``texts`` of the segment it came from."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(texts))[:limit] if len(texts) > limit else np.arange(len(texts))
    split = [(i, sentence_texts(texts[i])) for i in sorted(order)]
    if all(len(parts) <= 1 for _, parts in split):
        return None
    sentences = [(i, s) for i, parts in split for s in parts]
    if len(sentences) > limit:
        keep = np.sort(rng.choice(len(sentences), size=limit, replace=False))
        sentences = [sentences[k] for k in keep]
    return [s for _, s in sentences], np.array([i for i, _ in sentences], dtype=int)
