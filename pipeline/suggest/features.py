"""Features beside the sentence vector, and the weights that make a coder's sample stand
for the whole study (pipeline.suggest.learner uses both).

- ``surface_features``: a question mark and the length, which the sentence vector blurs.
- ``lexical_features``: hashed word 1-2-grams and character 3-grams. Hashing needs no
  fitted vocabulary, so a saved model is its weights only (numbers, never a pickle).
  Sparse: about a hundred non-zeros per segment whatever the number of columns.
- ``importance_weights``: how much each confirmed segment stands for the study's pool.
  A coder who confirms the segments the model was least sure of (uncertainty sampling)
  gives a sample of hard cases; cross-validation on it over-rates whatever helps on hard
  cases. Weighting each confirmed segment by the density ratio pool / sample (estimated
  by a classifier that tells the sample from the pool: Sugiyama et al. 2007,
  importance-weighted cross-validation) scores the candidates as on the pool. On a random
  sample the classifier finds nothing and the weights are all about 1.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import LogisticRegression

__all__ = ["surface_features", "lexical_features", "importance_weights", "logit", "LEXICAL_DIM"]

LEXICAL_DIM = 2 * 2**11  # word and character hashes


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


def surface_features(texts: Sequence[str]) -> np.ndarray:
    """Cheap features the sentence vector blurs: is it a question, how long is it."""
    return np.array([[float("?" in t), np.log1p(len(t)) / 6.0] for t in texts], dtype=float).reshape(len(texts), 2)


def lexical_features(texts: Sequence[str]) -> sparse.csr_matrix:
    """Hashed word 1-2-grams and character 3-grams (each block of unit length), sparse."""
    texts = list(texts)
    half = LEXICAL_DIM // 2
    words = HashingVectorizer(ngram_range=(1, 2), n_features=half, alternate_sign=False).transform(texts)
    chars = HashingVectorizer(analyzer="char_wb", ngram_range=(3, 3), n_features=half, alternate_sign=False).transform(texts)
    return sparse.hstack([words, chars], format="csr")


def _shape_features(prior: np.ndarray) -> np.ndarray:
    """What uncertainty sampling selects on: the scores' logits and the margin between the best two."""
    ordered = np.sort(prior, axis=1)
    margin = ordered[:, -1] - (ordered[:, -2] if prior.shape[1] > 1 else 0.5)
    return np.column_stack([logit(prior), margin])


def importance_weights(sample_prior: np.ndarray, pool_prior: np.ndarray | None) -> np.ndarray:
    """Weights (mean 1) that make the confirmed rows stand for the pool: p_pool / p_sample
    of their zero-shot scores, from a logistic classifier of sample against pool.

    Without a pool (or a sample too small to tell) every weight is 1."""
    n = len(sample_prior)
    if pool_prior is None or n < 2 or len(pool_prior) < 2:
        return np.ones(n)
    F = np.vstack([_shape_features(sample_prior), _shape_features(pool_prior)])
    F = (F - F.mean(axis=0)) / (F.std(axis=0) + 1e-9)
    is_sample = np.r_[np.ones(n), np.zeros(len(pool_prior))]
    model = LogisticRegression(max_iter=300).fit(F, is_sample)
    p = np.clip(model.predict_proba(F[:n])[:, 1], 1e-6, 1 - 1e-6)
    ratio = (1 - p) / p  # up to a constant: p(x | pool) / p(x | sample)
    return ratio / ratio.mean()
