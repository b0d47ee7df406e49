"""Learning from decisions: the learner on arrays (never worse than its parts), trust,
and the learn stage on a small study."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import cohen_kappa_score

from pipeline.embed import FakeEmbedder
from pipeline.suggest.learner import Labels, LearnedSuggester, trust, among_groups
from pipeline.study import Study


def clusters(n: int = 120, d: int = 8, seed: int = 0, shift: float = 2.5):
    """Two codes of an exclusive group with separable embeddings, plus a free code
    whose labels are noise; documents of 6 rows."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    X = rng.normal(0, 1, (n, d))
    X[:, 0] += np.where(y == 1, shift, -shift)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    noise = rng.integers(0, 2, n)
    matrix = np.column_stack([y == 0, y == 1, noise]).astype(np.int8)
    return X, Labels(["a", "b", "noise"], matrix, groups=[[0, 1]]), np.repeat(np.arange(n // 6), 6).astype(str)


def test_learned_suggester_separates_the_group() -> None:
    X, labels, docs = clusters()
    prior = np.full(labels.matrix.shape, 0.5)
    model = LearnedSuggester().fit(X, labels, prior, docs)
    proba = model.predict_proba(X, prior)
    assert np.allclose(proba[:, 0] + proba[:, 1], 1.0)
    assert ((proba[:, 1] > 0.5) == labels.matrix[:, 1].astype(bool)).mean() > 0.9


def test_with_few_confirmations_at_least_zero_shot() -> None:
    # 30 confirmations agree with good zero-shot scores; the embedding carries nothing.
    # The learner must score fresh rows at least as well as the zero-shot scores do.
    rng = np.random.default_rng(1)

    def rows(n: int):
        truth = rng.integers(0, 2, n)
        p = np.clip(0.5 + np.where(truth == 1, 0.15, -0.15) + rng.normal(0, 0.1, n), 0, 1)
        return rng.normal(0, 1, (n, 16)), truth, np.column_stack([1 - p, p])

    X, truth, prior = rows(30)
    labels = Labels(["a", "b"], np.column_stack([truth == 0, truth == 1]).astype(np.int8), [[0, 1]])
    model = LearnedSuggester().fit(X, labels, prior, np.repeat(np.arange(6), 5).astype(str))
    Xt, tt, pt = rows(400)
    zero_shot = cohen_kappa_score(tt, pt.argmax(axis=1))
    learned = cohen_kappa_score(tt, model.predict_proba(Xt, pt).argmax(axis=1))
    assert learned >= zero_shot - 0.02


def test_with_informative_labels_at_least_a_plain_classifier() -> None:
    # Zero-shot scores are noise here; the learner must reach what a plain logistic
    # regression on the same labels reaches on fresh rows.
    X, labels, docs = clusters(n=240, shift=0.6, seed=3)
    rng = np.random.default_rng(4)
    prior = rng.uniform(0, 1, labels.matrix.shape)
    model = LearnedSuggester().fit(X, labels, prior, docs)
    Xt, lt, _ = clusters(n=600, shift=0.6, seed=5)
    pt = rng.uniform(0, 1, lt.matrix.shape)
    ours = cohen_kappa_score(lt.matrix[:, 1], model.predict_proba(Xt, pt)[:, :2].argmax(axis=1))
    plain = LogisticRegression().fit(X, labels.matrix[:, 1])
    theirs = cohen_kappa_score(lt.matrix[:, 1], plain.predict(Xt))
    assert model.units_[0].mix >= 0.75
    assert ours >= theirs - 0.03


def test_codes_without_enough_confirmations_keep_their_prior() -> None:
    X, labels, docs = clusters()
    labels.matrix[:, 2] = -1  # nobody ever decided "noise"
    prior = np.full(labels.matrix.shape, 0.3)
    out = LearnedSuggester().fit(X, labels, prior, docs).predict_proba(X, prior)
    assert np.allclose(out[:, 2], 0.3)


def test_arrays_round_trip_gives_the_same_scores() -> None:
    X, labels, docs = clusters()
    prior = np.random.default_rng(0).uniform(0, 1, labels.matrix.shape)
    model = LearnedSuggester().fit(X, labels, prior, docs)
    meta, arrays = model.to_arrays()
    again = LearnedSuggester.from_arrays(json.loads(json.dumps(meta)), arrays)
    assert np.allclose(again.predict_proba(X, prior), model.predict_proba(X, prior))


def test_trust_flags_noise_and_trusts_signal() -> None:
    X, labels, docs = clusters()
    prior = np.full(labels.matrix.shape, 0.5)
    model = LearnedSuggester().fit(X, labels, prior, docs)
    result = {t.code: t for t in trust(model, labels, docs, permutations=100)}
    assert result["a"].trusted and result["b"].trusted and result["b"].auc > 0.9
    assert not result["noise"].trusted and result["noise"].p_value >= 0.05


def test_permutation_moves_whole_documents() -> None:
    # The permuted labels are the documents' label runs, kept whole, in another order.
    from itertools import permutations

    y = np.array([1, 1, 1, 0, 0, 0, 1, 0, 1])
    docs = np.array(["a", "a", "a", "b", "b", "b", "c", "c", "d"])
    runs = [(1, 1, 1), (0, 0, 0), (1, 0), (1,)]
    allowed = {sum(p, ()) for p in permutations(runs)}
    seen = {tuple(among_groups(y, docs, np.random.default_rng(seed))) for seed in range(20)}
    assert seen <= allowed and len(seen) > 3


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


def add_decisions(study: Study, rows: list[tuple[str, str, str]]) -> None:
    """(coder, external id, code) rows as 'added' decisions of one import."""
    version = study.codebook().version
    with study.store.transaction() as conn:
        cur = conn.execute("INSERT INTO imports(kind, file_hash, path) VALUES ('test', ?, 'p')", (str(len(rows)) + rows[0][0],))
        segs = {r["external_id"]: r["id"] for r in conn.execute("SELECT id, external_id FROM current_segments")}
        conn.executemany("INSERT INTO decisions(coder, import_id, segment_id, code_id, codebook_version, verdict)"
                         " VALUES (?, ?, ?, ?, ?, 'added')",
                         [(coder, cur.lastrowid, segs[rid], code, version) for coder, rid, code in rows])


def ingest_rows(study: Study, rows: list[tuple], table: Path) -> None:
    from pipeline.ingest.read import ReadOptions

    pd.DataFrame(rows, columns=["rid", "doc", "text", "gold"]).to_csv(table, index=False)
    study.settings = study.settings.override("segment", unit="row")
    study.ingest([table], read=ReadOptions(text_column="text", id_columns=("rid",), case_column="doc"))


@pytest.fixture
def decided_study(study_dir: Path, tmp_path: Path) -> Path:
    with Study(study_dir) as study:
        ingest_rows(study, ROWS, tmp_path / "rows.csv")
        add_decisions(study, [("ann", rid, code) for rid, _doc, _text, code in ROWS])
    return study_dir


def test_learn_saves_a_safe_model_and_suggest_uses_it(decided_study: Path) -> None:
    with Study(decided_study) as study:
        model = study.learn(embedder=FakeEmbedder())
        card = json.loads((model.path / "card.json").read_text())
        assert card["decisions"] == 40 and card["embedding_model"] == "fake-v1"
        per_code = {c["code"]: c for c in card["codes"]}
        assert per_code["adoption"]["positives"] == 20 and per_code["adoption"]["trusted"]
        assert sorted(p.name for p in model.path.iterdir()) == ["card.json", "card.md", "model.json", "model.npz"]
        assert (model.path / "card.md").read_text().startswith("# Learned suggester")
        # learning twice from the same decisions gives the same model id
        assert study.learn(embedder=FakeEmbedder()).id == model.id
        report = study.suggest(embedder=FakeEmbedder())  # 40 positives >= AUTO_LEARN_MIN: learned
        method, params = study.store.query("SELECT method, params FROM suggestion_runs WHERE id = ?", (report.run_id,))[0]
        params = json.loads(params)
        assert method == "learned-mix-v2" and params["learned_model"] == model.id
        assert sorted(params["trained_on"]) == sorted(study.segments()["segment_id"])
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


def test_rank_auc_equals_sklearn_with_ties() -> None:
    from scipy.stats import rankdata
    from sklearn.metrics import roc_auc_score

    from pipeline.suggest.learner import _rank_auc

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    s = np.round(rng.normal(size=300) + y, 1)  # ties on purpose
    assert _rank_auc(y, rankdata(s)) == pytest.approx(roc_auc_score(y, s))
