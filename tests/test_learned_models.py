"""Learned models a study folder can carry safely, evaluated without leaks, and bad input.

Every case uses the fake embedder; each says why it exists."""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from pipeline.audit import AuditOptions, audit
from pipeline.embed import FakeEmbedder
from pipeline.errors import InputError, StudyError
from pipeline.study import Study
from pipeline.suggest.learner import LearnedSuggester
from pipeline.suggest.model_file import UnsafeModelError
from pipeline.suggest.stage import suggest_segments
from pipeline.suggest.training import current_decision_ids, decisions_hash
from test_learn import ROWS, add_decisions, ingest_rows


def stored_state(study: Study) -> tuple:
    """Everything a failed command must leave as it was."""
    tables = ("suggestion_runs", "suggestions", "decisions")
    counts = tuple(study.store.query(f"SELECT COUNT(*) FROM {t}")[0][0] for t in tables)
    models = sorted(str(p.relative_to(study.root)) for p in (study.root / "models").rglob("*"))
    return counts, models


@pytest.fixture
def decided(study_dir: Path, tmp_path: Path) -> Path:
    with Study(study_dir) as study:
        ingest_rows(study, ROWS, tmp_path / "rows.csv")
        add_decisions(study, [("ann", rid, code) for rid, _doc, _text, code in ROWS])
    return study_dir


class Evil:
    """Unpickling this writes a file: what a hostile model.pkl could do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (exec, (f"open({str(self.marker)!r}, 'w').write('pwned')",))


def plant_pickle(study: Study, payload: object, name: str = "planted") -> Path:
    folder = study.root / "models" / "learned" / name
    folder.mkdir(parents=True)
    (folder / "model.pkl").write_bytes(pickle.dumps(payload))
    card = {"id": name, "created_at": "2099-01-01T00:00:00Z", "codebook_version": study.codebook().version,
            "embedding_model": "fake-v1", "codes": [],
            # up to date with the decisions, so suggest uses it instead of learning anew
            "decisions_hash": decisions_hash(current_decision_ids(study.store))}
    (folder / "card.json").write_text(json.dumps(card))
    return folder


def test_a_crafted_pickle_in_the_study_folder_is_never_executed(decided: Path, tmp_path: Path) -> None:
    # A study received from someone else: models/learned/*/model.pkl must not run.
    marker = tmp_path / "pwned"
    with Study(decided) as study:
        plant_pickle(study, Evil(marker))
        before = stored_state(study)
        with pytest.raises(UnsafeModelError, match="could run code.*--trust-pickle"):
            study.suggest(embedder=FakeEmbedder())
        with pytest.raises(UnsafeModelError):
            study.suggest(embedder=FakeEmbedder(), learned=True)
        assert stored_state(study) == before
    assert not marker.exists()


def test_safe_files_beside_a_pickle_win_and_never_unpickle(decided: Path, tmp_path: Path) -> None:
    # If a folder holds both, only the arrays are read.
    marker = tmp_path / "pwned"
    with Study(decided) as study:
        model = study.learn(embedder=FakeEmbedder())
        (model.path / "model.pkl").write_bytes(pickle.dumps(Evil(marker)))
        report = study.suggest(embedder=FakeEmbedder())
        assert report.new_segments == len(ROWS)
    assert not marker.exists()


def test_a_model_json_with_objects_is_refused(decided: Path) -> None:
    # np.load without allow_pickle: an object array in model.npz is an error, not code.
    with Study(decided) as study:
        model = study.learn(embedder=FakeEmbedder())
        np.savez(model.path / "model.npz", coef_0=np.array([Evil(Path("/nonexistent"))], dtype=object))
        with pytest.raises(StudyError, match="not a readable learned model"):
            study.suggest(embedder=FakeEmbedder())


def test_an_old_pickle_is_converted_only_when_trusted(decided: Path, tmp_path: Path) -> None:
    # The old format: LearnedSuggester with models_ = [(codes, LogisticRegression)].
    with Study(decided) as study:
        codes = [c.id for c in study.codebook().codable]
        rng = np.random.default_rng(0)
        X, y = rng.normal(size=(40, 64)), np.array([2, 3] * 20)
        old = LearnedSuggester.__new__(LearnedSuggester)
        old.__dict__.update(codes_=codes, evidence_=np.array([0, 0, 20, 20]), prior_strength=20.0,
                            models_=[([2, 3], LogisticRegression().fit(X, y))])
        folder = plant_pickle(study, old)
        with pytest.raises(UnsafeModelError):
            study.suggest(embedder=FakeEmbedder(), learned=None)
        report = study.suggest(embedder=FakeEmbedder(), trust_pickle=True)
        assert sorted(p.name for p in folder.iterdir()) == ["card.json", "model.json", "model.npz"]
        # It does not say which segments trained it: evaluating it would be a leak.
        gold = pd.DataFrame({"external_id": [r[0] for r in ROWS], "gold": [r[3] for r in ROWS]})
        with pytest.raises(InputError, match="does not record which segments trained it"):
            study.evaluate(gold, "gold", report.run_id)


# --- honest evaluation ---------------------------------------------------------------

WORDS = [f"w{i}" for i in range(300)]


def noise_rows(n: int = 240, seed: int = 0) -> list[tuple]:
    rng = np.random.default_rng(seed)
    return [(str(i), f"doc{i // 10:02d}", " ".join(rng.choice(WORDS, 8)), rng.choice(["adoption", "implementation"]))
            for i in range(n)]


def test_noise_labels_give_model_kappa_near_zero_and_trained_segments_are_left_out(study_dir: Path, tmp_path: Path) -> None:
    # The leak of issue 14: scored on its own training segments, a model of pure-noise
    # labels looked like it agreed with the coder. Trained on ann's half, evaluated and
    # audited against gold / ben, it must be scored on the other half only, near 0.
    rows = noise_rows()
    with Study(study_dir) as study:
        ingest_rows(study, rows, tmp_path / "noise.csv")
        add_decisions(study, [("ann", rid, code) for rid, *_rest, code in rows[:120]])
        add_decisions(study, [("ben", rid, code) for rid, *_rest, code in rows])
        model = study.learn(embedder=FakeEmbedder(), coders=["ann"])
        assert len(model.trained_on) == 120
        run = suggest_segments(study.store, study.codebook(), FakeEmbedder(), study.settings.suggest, learned=model)
        gold = pd.DataFrame({"external_id": [r[0] for r in rows], "gold": [r[3] for r in rows]})
        result = study.evaluate(gold, "gold", run.run_id)
        assert (result.evaluated, result.left_out_trained) == (120, 120)
        assert result.run_method == "learned-mix-v2"
        assert abs(result.methods["embedding"]["kappa"]) < 0.2
        from cli.study import format_evaluation

        printed = format_evaluation(result, 2)
        assert "(run method: learned-mix-v2)" in printed and "trained on these segments): 120" in printed
        audited = audit(study, AuditOptions(coders=("ben",), include_model=True, run_id=run.run_id, bootstrap=0))
        assert len(audited.coding.sample) == 120
        assert any("method learned-mix-v2; 120 segments its learned model was trained on are left out" in w
                   for w in audited.coding.warnings)
        pairs = audited.agreement.model_pairs.set_index("code")
        assert abs(pairs.loc["adoption", "kappa"]) < 0.2


def test_evaluate_names_the_method_of_a_definitions_only_run(decided: Path) -> None:
    with Study(decided) as study:
        run = study.suggest(embedder=FakeEmbedder(), learned=False)
        gold = pd.DataFrame({"external_id": [r[0] for r in ROWS], "gold": [r[3] for r in ROWS]})
        result = study.evaluate(gold, "gold", run.run_id)
        assert result.run_method == "definition-similarity-v2" and result.left_out_trained == 0
        assert result.evaluated == len(ROWS)


# --- bad input -------------------------------------------------------------------------


def test_a_model_copied_from_another_study_is_refused(decided: Path, tmp_path: Path, mini_codebook: Path) -> None:
    # Same codebook and embedder, other segments: its cross-validation says nothing here.
    with Study(decided) as study:
        model = study.learn(embedder=FakeEmbedder())
    other = tmp_path / "other"
    Study.create(other, codebook=mini_codebook).close()
    with Study(other) as study:
        ingest_rows(study, [(r[0], r[1], r[2] + " again", r[3]) for r in ROWS], tmp_path / "other.csv")
        shutil.copytree(model.path, other / "models" / "learned" / model.id)
        before = stored_state(study)
        with pytest.raises(StudyError, match="none of which are in this study"):
            study.suggest(embedder=FakeEmbedder())
        assert stored_state(study) == before


def test_a_model_for_other_codes_is_refused(decided: Path) -> None:
    # The model's codes are not the codebook's (edited codebook or edited model files).
    with Study(decided) as study:
        model = study.learn(embedder=FakeEmbedder())
        meta = json.loads((model.path / "model.json").read_text())
        meta["state"]["codes"][0] = "renamed"
        (model.path / "model.json").write_text(json.dumps(meta))
        before = stored_state(study)
        with pytest.raises(StudyError, match="learned for codes renamed.*re-learn"):
            study.suggest(embedder=FakeEmbedder())
        assert stored_state(study) == before


def test_too_few_confirmations_say_what_each_code_needs(study_dir: Path, tmp_path: Path) -> None:
    with Study(study_dir) as study:
        ingest_rows(study, ROWS, tmp_path / "rows.csv")
        add_decisions(study, [("ann", "0", "adoption"), ("ann", "2", "adoption"), ("ann", "1", "implementation")])
        before = stored_state(study)
        with pytest.raises(InputError, match="each code needs 3 confirmed segments.*adoption 2 \\(group phase\\)"):
            study.learn(embedder=FakeEmbedder())
        assert stored_state(study) == before


def test_a_label_contradicting_an_exclusive_group_is_refused(decided: Path) -> None:
    # One coder gave a segment two codes of the exclusive group 'phase'.
    with Study(decided) as study:
        add_decisions(study, [("ann", "0", "implementation")])  # row 0 is already 'adoption'
        before = stored_state(study)
        with pytest.raises(InputError, match="contradict an exclusive code group.*coder ann applied adoption, implementation"):
            study.learn(embedder=FakeEmbedder())
        assert stored_state(study) == before


def test_coders_disagreeing_within_a_group_are_left_out_and_counted(decided: Path) -> None:
    # Two coders may disagree (that is what audits are for): not an error, but counted.
    with Study(decided) as study:
        add_decisions(study, [("ben", "0", "implementation")])
        model = study.learn(embedder=FakeEmbedder())
        assert model.card["disagreements_left_out"] == 1


def test_a_learned_model_whose_tuned_embedding_model_is_missing_is_refused(decided: Path) -> None:
    # `learn --fine-tune` saved models/tuned/X; the folder was not copied with the study.
    with Study(decided) as study:
        model = study.learn(embedder=FakeEmbedder())
        card = json.loads((model.path / "card.json").read_text())
        card.update(tuned_from="fake-v1", tuned_model="tuned/tuned-gone")
        (model.path / "card.json").write_text(json.dumps(card))
        before = stored_state(study)
        with pytest.raises(StudyError, match="needs its fine-tuned embedding model .*tuned-gone, which is missing"):
            study.suggest(embedder=FakeEmbedder())
        # a card pointing outside models/tuned/ is refused before anything is loaded
        card.update(tuned_model="../../elsewhere")
        (model.path / "card.json").write_text(json.dumps(card))
        with pytest.raises(StudyError, match="is not a folder under"):
            study.suggest(embedder=FakeEmbedder())
        assert stored_state(study) == before


def test_fine_tune_refuses_the_fake_embedder_and_changes_nothing(decided: Path) -> None:
    with Study(decided) as study:
        study.settings = study.settings.override("embedding", model="fake")
        before = stored_state(study)
        with pytest.raises(InputError, match="needs a real sentence-transformers model"):
            study.learn(fine_tune=True)
        assert stored_state(study) == before


def test_contrastive_pairs_follow_the_labels() -> None:
    from pipeline.suggest.finetune import TuneSettings, contrastive_pairs
    from pipeline.suggest.learner import Labels

    y = np.array([0, 1, 0, 1, 0, 1])
    labels = Labels(["a", "b"], np.column_stack([y == 0, y == 1]).astype(np.int8), [[0, 1]])
    pairs = contrastive_pairs(labels, TuneSettings(pairs_per_segment=4))
    assert {s for *_, s in pairs} == {0.0, 1.0}
    for a, b, s in pairs:
        assert a != b and (y[a] == y[b]) == (s == 1.0)


def test_length_batches_keep_every_pair_once_and_cut_padding() -> None:
    from pipeline.suggest.finetune import TuneSettings, length_batches

    rng = np.random.default_rng(3)
    texts = ["w " * int(n) for n in rng.integers(1, 200, 400)]
    pairs = [(int(a), int(b), float(s)) for a, b, s in zip(rng.integers(0, 400, 800), rng.integers(0, 400, 800),
                                                            rng.integers(0, 2, 800))]
    settings = TuneSettings(batch_size=16, length_pool=10)
    batches = length_batches(pairs, texts, settings)
    assert sorted(p for b in batches for p in b) == sorted(pairs)  # nothing lost, nothing repeated
    assert all(1 <= len(b) <= 16 for b in batches)

    def padded(bs):  # noqa: ANN001, ANN202 - the tokens a batch runs: its longest text x its size, for both sides
        return sum(len(b) * max(max(len(texts[a]), len(texts[c])) for a, c, _ in b) for b in bs)

    in_order = [pairs[k:k + 16] for k in range(0, len(pairs), 16)]
    assert padded(batches) < 0.75 * padded(in_order)
    assert length_batches(pairs, texts, settings) == batches  # seeded
    assert [len(b) for b in length_batches(pairs, texts, TuneSettings(batch_size=16, length_pool=1))] == [16] * 50


@pytest.mark.integration  # fine-tunes the real packaged model for 2 steps (minutes on a busy machine)
def test_learn_fine_tune_saves_a_tuned_model_that_later_runs_use(decided: Path) -> None:
    from pipeline.suggest import training

    with Study(decided) as study:
        study.settings = study.settings.override("embedding", model="all-MiniLM-L6-v2")
        base = study.embedder().identity
        steps: list[int] = []
        small = training.TuneSettings(pairs_per_segment=2, max_pairs=32, threads=1)
        model = training.learn_tuned(study.store, study.codebook(), study.settings.embedding, study.root / "models",
                                     progress=lambda step, total, sec: steps.append(step), settings=small)
        assert steps == [1, 2]
        tuned = study.root / "models" / model.card["tuned_model"]
        assert (tuned / "model.safetensors").exists() and model.card["tuned_from"] == base
        assert model.card["tuned_precision"] in ("bfloat16 autocast", "float32")
        assert model.card["embedding_model"] != base  # its own identity in the embedding cache
        report = study.suggest()
        assert report.model == model.card["embedding_model"]
        params = json.loads(study.store.query("SELECT params FROM suggestion_runs WHERE id = ?", (report.run_id,))[0][0])
        assert params["learned_model"] == model.id
