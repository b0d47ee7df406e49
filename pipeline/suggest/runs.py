"""A study's suggestion runs: which learned suggester a new run uses (learning one first
when it is due), a run's suggestions as a table, and a run's evaluation against gold codes.

``pipeline.study.Study`` delegates here. The suggest modules (numpy, pandas, scikit-learn)
are imported in the functions that use them, so importing this module costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pipeline.errors import StudyError

if TYPE_CHECKING:
    import pandas as pd

    from pipeline.codebook import Codebook
    from pipeline.context import StudyContext
    from pipeline.suggest.evaluate import Evaluation
    from pipeline.suggest.training import LearnedModel

__all__ = ["learned_for_run", "run_suggestions", "evaluate_run_of"]


def learned_for_run(study: StudyContext, book: Codebook, embedder: Any, learned: bool | None,
                    trust_pickle: bool = False) -> tuple[LearnedModel | None, Any]:
    """The learned suggester a suggestion run uses, and the embedder to run it with (a model
    fine-tuned for this codebook replaces ``embedder``). See ``Study.suggest`` for ``learned``."""
    if learned is False:
        return None, embedder
    from pipeline.suggest.training import (AUTO_LEARN_MIN, current_decision_ids, decisions_hash, learn,
                                           load_latest, tuned_for)

    tuned = tuned_for(study.root / "models", book.version, embedder.identity)
    base, embedder = embedder.identity, (study.embedder(tuned) if tuned else embedder)
    model = load_latest(study.root / "models", book, embedder.identity, study.store, trust_pickle)
    positives = study.store.query(
        "SELECT COUNT(*) FROM current_decisions WHERE verdict IN ('accepted', 'added')")[0][0]
    stale = model is None or model.card["decisions_hash"] != decisions_hash(current_decision_ids(study.store))
    if learned or (stale and positives >= AUTO_LEARN_MIN):
        info = {"tuned_from": base, "tuned_model": f"tuned/{tuned.name}"} if tuned else None
        model = learn(study.store, book, embedder, study.root / "models", None, info)
    return model, embedder


def run_suggestions(study: StudyContext, run: str | None = None, shown_only: bool = True) -> pd.DataFrame:
    """A run's suggestions (default the latest run), with the units of its codebook's codes."""
    from pipeline.suggest.stage import latest_run, suggestions_frame
    from pipeline.suggest.units import with_units

    run_id = run or latest_run(study.store)
    if run_id is None:
        raise StudyError(f"{study.root}: no suggestions yet; run `deductive suggest {study.root}` first")
    version = study.store.conn.execute("SELECT codebook_version FROM suggestion_runs WHERE id = ?", (run_id,)).fetchone()
    frame = suggestions_frame(study.store, run_id, shown_only)
    return frame if version is None else with_units(study.store, run_id, frame, study.codebook(version[0]))


def evaluate_run_of(study: StudyContext, gold: pd.DataFrame, gold_column: str, run: str | None = None,
                    top_k: int = 2) -> Evaluation:
    """A run (default the latest) scored against gold codes (pipeline.suggest.evaluate)."""
    from pipeline.suggest.evaluate import evaluate_run
    from pipeline.suggest.stage import latest_run

    run_id = run or latest_run(study.store)
    if run_id is None:
        raise StudyError(f"{study.root}: no suggestions to evaluate; run `deductive suggest {study.root}` first")
    version = study.store.conn.execute("SELECT codebook_version FROM suggestion_runs WHERE id = ?", (run_id,)).fetchone()[0]
    return evaluate_run(study.store, run_id, study.codebook(version), gold, gold_column, top_k)
