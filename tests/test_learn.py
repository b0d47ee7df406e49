"""Learning from decisions: the classifier, the blend, grouped cross-validation, trust,
and the learn stage on a small study."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.embed import FakeEmbedder
from pipeline.suggest.learner import Labels, LearnedSuggester, blend, cross_validate
from pipeline.study import Study


def clusters(n: int = 120, d: int = 8, seed: int = 0):
    """Two codes of an exclusive group with separable embeddings, plus a free code
    whose labels are noise."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    X = rng.normal(0, 1, (n, d))
    X[:, 0] += np.where(y == 1, 2.5, -2.5)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    noise = rng.integers(0, 2, n)
    matrix = np.column_stack([y == 0, y == 1, noise]).astype(np.int8)
    return X, Labels(["a", "b", "noise"], matrix, groups=[[0, 1]]), np.repeat(np.arange(n // 6), 6).astype(str)


def test_learned_suggester_separates_the_group() -> None:
    X, labels, _ = clusters()
    model = LearnedSuggester().fit(X, labels)
    proba = model.predict_proba(X)
    assert np.allclose(proba[:, 0] + proba[:, 1], 1.0)
    accuracy = ((proba[:, 1] > 0.5) == labels.matrix[:, 1].astype(bool)).mean()
    assert accuracy > 0.9


def test_blend_weights_follow_evidence() -> None:
    definition = np.array([[0.2, 0.8]])
    learned = np.array([[1.0, np.nan]])  # second code has no model
    out = blend(definition, learned, np.array([0.75, 0.75]))
    assert out[0, 0] == pytest.approx(0.75 * 1.0 + 0.25 * 0.2)
    assert out[0, 1] == pytest.approx(0.8)  # definition score kept


def test_unseen_codes_have_no_model() -> None:
    X, labels, _ = clusters()
    labels.matrix[:, 2] = -1  # nobody ever decided "noise"
    proba = LearnedSuggester().fit(X, labels).predict_proba(X)
    assert np.isnan(proba[:, 2]).all()


def test_cross_validation_trusts_signal_and_flags_noise() -> None:
    X, labels, documents = clusters()
    definition = np.full(labels.matrix.shape, 0.5)
    trust = {t.code: t for t in cross_validate(X, labels, documents, definition, permutations=100)}
    assert trust["a"].trusted and trust["b"].trusted and trust["b"].auc > 0.9
    assert not trust["noise"].trusted
    assert trust["noise"].p_value >= 0.05


# Forty different sentences in six documents: each code has its own signal words
# ("decided", "rolled out") in otherwise varied wording, so that grouped cross-validation
# has to recognise the code in documents it did not train on. (Copies of two sentences
# would be "trusted" by any model, since every held-out document repeats the training text.)
_WHO = ["board", "trust", "committee", "director", "council", "panel", "team", "executive", "governors", "unit"]
_WHAT = ["monitoring system", "alert tool", "dashboard", "new pathway"]
ROWS = [(str(i), f"d{i % 6}", text, code) for i, (text, code) in enumerate(
    pair for k in range(20) for pair in (
        (f"The {_WHO[k % 10]} decided to take up the {_WHAT[k % 4]} in spring {2020 + k}.", "adoption"),
        (f"Staff on ward {k + 1} had the {_WHAT[(k + 1) % 4]} rolled out after week {k + 2}.", "implementation")))]


@pytest.fixture
def decided_study(study_dir: Path, tmp_path: Path) -> Path:
    table = tmp_path / "rows.csv"
    pd.DataFrame(ROWS, columns=["rid", "doc", "text", "gold"]).to_csv(table, index=False)
    from pipeline.ingest.read import ReadOptions

    with Study(study_dir) as study:
        study.settings = study.settings.override("segment", unit="row")
        study.ingest([table], read=ReadOptions(text_column="text", id_columns=("rid",), case_column="doc"))
        version = study.codebook().version
        with study.store.transaction() as conn:
            conn.execute("INSERT INTO imports(kind, file_hash, path) VALUES ('test', 'h', 'p')")
            segs = {r["external_id"]: r["id"] for r in conn.execute("SELECT id, external_id FROM current_segments")}
            for rid, _doc, _text, code in ROWS:
                conn.execute("INSERT INTO decisions(coder, import_id, segment_id, code_id, codebook_version, verdict)"
                             " VALUES ('ann', 1, ?, ?, ?, 'added')", (segs[rid], code, version))
    return study_dir


def test_learn_saves_a_model_card_and_suggest_uses_it(decided_study: Path) -> None:
    with Study(decided_study) as study:
        model = study.learn(embedder=FakeEmbedder())
        card = json.loads((model.path / "card.json").read_text())
        assert card["decisions"] == 40 and card["embedding_model"] == "fake-v1"
        per_code = {c["code"]: c for c in card["codes"]}
        assert per_code["adoption"]["positives"] == 20 and per_code["adoption"]["trusted"]
        assert (model.path / "card.md").read_text().startswith("# Learned suggester")
        # learning twice from the same decisions gives the same model id
        assert study.learn(embedder=FakeEmbedder()).id == model.id
        report = study.suggest(embedder=FakeEmbedder())  # 40 positives >= AUTO_LEARN_MIN: learned
        method, params = study.store.query("SELECT method, params FROM suggestion_runs WHERE id = ?", (report.run_id,))[0]
        assert method == "learned-blend-v1" and json.loads(params)["learned_model"] == model.id
        plain = study.suggest(embedder=FakeEmbedder(), learned=False)
        assert plain.run_id != report.run_id


def test_uncertainty_order_prefers_close_calls_covers_codes_and_skips_duplicates() -> None:
    from pipeline.suggest.active import uncertainty_order

    scores = np.array([
        [0.9, 0.1, 0.0],   # 0: sure of code 0
        [0.52, 0.48, 0.0],  # 1: a close call between 0 and 1
        [0.1, 0.9, 0.0],   # 2: sure of code 1
        [0.45, 0.55, 0.0],  # 3: close call, near-duplicate of row 1
        [0.3, 0.2, 0.5],   # 4: free code 2 right at 0.5
    ])
    X = np.eye(5)
    X[3] = X[1]
    order = uncertainty_order(scores, groups=[[0, 1]], free=[2], X=X, n=4)
    assert order[0] == 1            # the closest call comes first
    assert 3 not in order           # its near-duplicate is skipped
    assert 4 in order               # the free code gets its turn
    assert len(order) == 4 and len(set(order)) == 4
    assert uncertainty_order(scores, [[0, 1]], [2], X, n=5, exclude=[1])[0] != 1
