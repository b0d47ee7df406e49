"""The learn stage: turn the decision log into a learned suggester saved under models/.

A learned suggester is saved as ``models/learned/<id>/``: ``model.json`` and
``model.npz`` (pipeline.suggest.model_file: arrays and JSON, never a pickle) and a model
card (``card.json`` and ``card.md``): codebook version, embedding model, examples per
code, date, and grouped cross-validated metrics per code. Its id is a hash of the
codebook version, the embedding model and the decisions it learned from, so learning
twice from the same decisions gives the same model. The model records which segments it
was trained on; a suggestion run made with it records them too, so evaluation and the
model-vs-coder audit can leave them out.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from pipeline.codebook import Codebook
from pipeline.embed.cache import TextEmbedder, embed_cached
from pipeline.embed.seam import EmbedSettings
from pipeline.errors import InputError, StudyError
from pipeline.store import Store
from pipeline.suggest.learner import MIN_POSITIVES, Labels, LearnedSuggester, lexical_features, surface_features, trust
from pipeline.suggest.finetune import Progress, TuneSettings
from pipeline.suggest.model_file import read_model, save_model
from pipeline.suggest.scoring import CodebookSuggester

__all__ = ["LearnedModel", "training_data", "learn", "learn_tuned", "tuned_for", "load_latest", "zero_shot_scores",
           "decisions_hash", "current_decision_ids", "AUTO_LEARN_MIN", "METHOD_DESCRIPTION"]

TUNED_DIR = "tuned"
AUTO_LEARN_MIN = 30  # positive decisions before `suggest` learns by itself
METHOD_DESCRIPTION = ("logistic regression per exclusive group / per code on the embedding and the zero-shot scores, "
                      "with a question mark and the length, and hashed word and character n-grams, where grouped "
                      "cross-validation says they help, mixed with the zero-shot scores by a weight chosen by "
                      "cross-validation grouped by document (zero-shot kept unless the gain is above the folds' noise)")


@dataclass
class LearnedModel:
    id: str
    path: Path
    card: dict
    model: LearnedSuggester
    trained_on: list[str] | None  # segment ids; None when unknown (a model converted from an old pickle)

    @property
    def untrusted(self) -> list[str]:
        return [c["code"] for c in self.card["codes"] if not c["trusted"]]

    def scores(self, codes: list[str], X: np.ndarray, prior: np.ndarray, texts: list[str]) -> np.ndarray:
        """Learned scores for ``codes`` (the suggester's order) given their zero-shot scores."""
        index = {c: j for j, c in enumerate(codes)}
        missing = [c for c in self.model.codes_ if c not in index]
        if missing:
            raise StudyError(f"{self.path}: learned for codes {', '.join(missing)}, which this codebook does not have; "
                             f"re-learn with `deductive learn STUDY`")
        order = [index[c] for c in self.model.codes_]
        out = np.array(prior, dtype=float, copy=True)
        extra = surface_features(texts) if self.card.get("surface_features") else None
        lexical = lexical_features(texts) if self.model.uses("lexical") else None
        out[:, order] = self.model.predict_proba(X, prior[:, order], extra, lexical)
        return out


@dataclass(frozen=True)
class TrainingData:
    segment_ids: list[str]
    documents: list[str]
    texts: list[str]
    labels: Labels
    decision_ids: list[int]
    disagreements: int  # segments where coders applied different codes of one exclusive group


def training_data(store: Store, codebook: Codebook, coders: list[str] | None = None) -> TrainingData:
    """The label matrix over decided segments, from the current decisions."""
    sql = ("SELECT d.id, d.coder, d.segment_id, d.code_id, d.verdict, s.document_id, s.text FROM current_decisions d"
           " JOIN segments s ON s.id = d.segment_id ORDER BY d.id")
    rows = [r for r in store.query(sql) if not coders or r["coder"] in coders]
    codes = [c.id for c in codebook.codable]
    index = {c: j for j, c in enumerate(codes)}
    groups = [g for g in ([index[c] for c in ids if c in index] for ids in codebook.exclusive_groups().values()) if g]
    _check_exclusive(rows, codebook)
    order: dict[str, int] = {}
    docs, texts = [], []
    for r in rows:
        if r["segment_id"] not in order:
            order[r["segment_id"]] = len(order)
            docs.append(r["document_id"])
            texts.append(r["text"])
    matrix = np.full((len(order), len(codes)), -1, dtype=np.int8)
    decided = np.zeros(len(order), dtype=bool)
    for r in rows:
        i = order[r["segment_id"]]
        decided[i] = True
        j = index.get(r["code_id"]) if r["code_id"] else None
        if j is not None:
            matrix[i, j] = max(matrix[i, j], 1 if r["verdict"] in ("accepted", "added") else 0)
    # decided but not applied: a negative (the coder saw the segment and chose otherwise)
    matrix[decided[:, None] & (matrix == -1)] = 0
    disagreements = sum(int(((matrix[:, g] == 1).sum(axis=1) > 1).sum()) for g in groups)
    return TrainingData(list(order), docs, texts, Labels(codes, matrix, groups), sorted(r["id"] for r in rows), disagreements)


def _check_exclusive(rows: list, codebook: Codebook) -> None:
    """One coder applying two codes of an exclusive group to one segment contradicts the codebook."""
    group_of = {c: g for g, ids in codebook.exclusive_groups().items() for c in ids}
    applied: dict[tuple, set[str]] = {}
    for r in rows:
        if r["verdict"] in ("accepted", "added") and r["code_id"] in group_of:
            applied.setdefault((r["coder"], r["segment_id"], group_of[r["code_id"]]), set()).add(r["code_id"])
    bad = [(k, v) for k, v in applied.items() if len(v) > 1]
    if bad:
        shown = "; ".join(f"coder {c} applied {', '.join(sorted(v))} to segment {s}" for (c, s, _g), v in bad[:5])
        raise InputError(f"{len(bad)} decision(s) contradict an exclusive code group ({shown}{'; ...' if len(bad) > 5 else ''}). "
                         f"Codes of an exclusive group are alternatives: correct the decisions (re-confirm the segment "
                         f"with one code) or learn from other coders with --coder; nothing was learned or saved")


def zero_shot_scores(store: Store, codebook: Codebook, embedder: TextEmbedder, X: np.ndarray) -> np.ndarray:
    """Calibrated definition scores of rows X, on the background of every current segment
    (the scale a suggestion run uses), in codebook.codable order."""
    def embed(batch: list[str]) -> np.ndarray:
        return embed_cached(store, embedder, batch)[0]

    background = embed([r[0] for r in store.query("SELECT text FROM current_segments")])
    definition = CodebookSuggester(threshold=0).fit(codebook, embed, background)
    return definition.predict_proba(X)  # the scores a suggestion run shows


def learn(store: Store, codebook: Codebook, embedder: TextEmbedder, models_dir: Path, coders: list[str] | None = None,
          tuned: dict | None = None) -> LearnedModel:
    """Fit, cross-validate and save a learned suggester from the decision log.

    tuned: {"tuned_from": base model identity, "tuned_model": "tuned/<folder>",
    "tuned_precision": ...} when the embedder is a fine-tuned model (recorded in the card, so
    later runs load it).
    Raises InputError, saving nothing, when no code has enough confirmations."""
    data = training_data(store, codebook, coders)
    if not data.segment_ids or data.labels.positives().sum() == 0:
        raise InputError("no confirmed codes to learn from yet; confirm some suggestions first (`deductive confirm`)")
    X, _ = embed_cached(store, embedder, data.texts)
    prior = zero_shot_scores(store, codebook, embedder, X)
    model = LearnedSuggester().fit(X, data.labels, prior, data.documents, surface_features(data.texts),
                                   lexical_features(data.texts))
    if not model.units_:
        raise InputError(_too_few(data.labels, codebook))
    model_id = hashlib.sha256(json.dumps([codebook.version, embedder.identity, data.decision_ids]).encode()).hexdigest()[:12]
    card = {**_card(model_id, codebook, embedder, data, model, coders), **(tuned or {})}
    meta = {"id": model_id, "codebook_version": codebook.version, "embedding_model": embedder.identity,
            "trained_on": data.segment_ids}
    path = models_dir / "learned" / model_id
    save_model(path, model, meta, {"card.json": json.dumps(card, indent=2, ensure_ascii=False), "card.md": _card_markdown(card)})
    return LearnedModel(model_id, path, card, model, data.segment_ids)


def _too_few(labels: Labels, codebook: Codebook) -> str:
    counts = dict(zip(labels.codes, labels.positives()))
    names = {j: g for g, ids in codebook.exclusive_groups().items() for j in ids}
    parts = [f"{c} {int(n)}" + (f" (group {names[c]})" if c in names else "") for c, n in counts.items() if n]
    return (f"too few confirmations to learn anything: each code needs {MIN_POSITIVES} confirmed segments (and "
            f"{MIN_POSITIVES} negatives; an exclusive group at least two codes with {MIN_POSITIVES} each); "
            f"confirmed so far: {', '.join(parts) or 'none'}. Confirm more (`deductive queue STUDY --coder NAME --order uncertainty`); "
            f"nothing was saved")


def _card(model_id: str, codebook: Codebook, embedder: TextEmbedder, data: TrainingData, model: LearnedSuggester,
          coders: list[str] | None) -> dict:
    modelled = set(model.modelled())
    trusted = trust(model, data.labels, data.documents)
    return {
        "id": model_id,
        "created_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "codebook_version": codebook.version,
        "embedding_model": embedder.identity,
        "decisions": len(data.decision_ids),
        "decisions_hash": decisions_hash(data.decision_ids),
        "segments": len(data.segment_ids),
        "disagreements_left_out": data.disagreements,
        "coders": coders or "all",
        "method": METHOD_DESCRIPTION,
        "surface_features": True,
        "views": {model.codes_[j]: list(u.views) for u in model.units_ for j in u.codes},
        "mix": {model.codes_[j]: u.mix for u in model.units_ for j in u.codes},
        "zero_shot_only": [c for c in model.codes_ if c not in modelled],
        "validation": "5-fold cross-validation grouped by document of the deployed configuration; permutation test of "
                      "the AUC within documents (200 permutations)",
        "codes": [_clean(asdict(t)) for t in trusted],
    }


def learn_tuned(store: Store, codebook: Codebook, base: EmbedSettings, models_dir: Path, coders: list[str] | None = None,
                progress: Progress | None = None, settings: TuneSettings = TuneSettings()) -> LearnedModel:
    """Fine-tune the embedding model on the confirmed segments (pipeline.suggest.finetune),
    then learn on the tuned model's vectors. A failure removes the tuned model again."""
    from pipeline.embed import load_embedder
    from pipeline.embed.source import resolve_model
    from pipeline.suggest.finetune import fine_tune, uses_bf16

    if base.model == "fake":
        raise InputError("--fine-tune needs a real sentence-transformers model, not the fake test embedder")
    data = training_data(store, codebook, coders)
    if not data.segment_ids or data.labels.positives().sum() == 0:
        raise InputError("no confirmed codes to learn from yet; confirm some suggestions first (`deductive confirm`)")
    source = resolve_model(base.model)
    base_identity = source.identity(base.backend)
    folder = "tuned-" + hashlib.sha256(json.dumps([base_identity, data.decision_ids]).encode()).hexdigest()[:12]
    target = models_dir / TUNED_DIR / folder
    target.parent.mkdir(parents=True, exist_ok=True)
    fine_tune(source.path, data.texts, data.labels, target, settings, progress)
    try:
        embedder = load_embedder(replace(base, model=str(target)))
        return learn(store, codebook, embedder, models_dir, coders,
                     tuned={"tuned_from": base_identity, "tuned_model": f"{TUNED_DIR}/{folder}",
                            "tuned_precision": "bfloat16 autocast" if uses_bf16(settings) else "float32"})
    except Exception:
        shutil.rmtree(target, ignore_errors=True)
        raise


def tuned_for(models_dir: Path, codebook_version: str, base_identity: str) -> Path | None:
    """The fine-tuned embedding model later runs should use: that of the newest learned
    model of this codebook version on this base model, if it was fine-tuned.

    StudyError if that model's folder is missing or lies outside models/tuned/."""
    newest = None
    for card_path in (models_dir / "learned").glob("*/card.json"):
        try:
            card = json.loads(card_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise StudyError(f"{card_path}: not a readable model card ({exc}); delete its folder or re-learn") from exc
        if card.get("codebook_version") != codebook_version:
            continue
        if base_identity in (card.get("embedding_model"), card.get("tuned_from")):
            if newest is None or str(card.get("created_at")) >= str(newest[0].get("created_at")):
                newest = (card, card_path.parent)
    if newest is None or not newest[0].get("tuned_model"):
        return None
    card, folder = newest
    path = (models_dir / str(card["tuned_model"])).resolve()
    if path.parent != (models_dir / TUNED_DIR).resolve():
        raise StudyError(f"{folder / 'card.json'}: tuned_model {card['tuned_model']!r} is not a folder under "
                         f"{models_dir / TUNED_DIR}; delete {folder} or re-learn")
    if not (path / "config.json").exists():
        raise StudyError(f"{folder}: this learned model needs its fine-tuned embedding model {path}, which is missing; "
                         f"re-run `deductive learn STUDY --fine-tune`, or delete {folder} to go back to the base model")
    return path


def decisions_hash(decision_ids: list[int]) -> str:
    return hashlib.sha256(json.dumps(sorted(decision_ids)).encode()).hexdigest()[:16]


def current_decision_ids(store: Store) -> list[int]:
    return sorted(r[0] for r in store.query("SELECT id FROM current_decisions"))


def load_latest(models_dir: Path, codebook: Codebook, embedding_model: str, store: Store | None = None,
                trust_pickle: bool = False) -> LearnedModel | None:
    """The newest saved learned suggester for this codebook version and embedding model.

    Checked before use: its codes must be the codebook's, and (given the store) the
    segments it was trained on must be this study's."""
    best = None
    for card_path in sorted((models_dir / "learned").glob("*/card.json")):
        try:
            card = json.loads(card_path.read_text(encoding="utf-8"))
            key = (card["codebook_version"], card["embedding_model"], str(card["created_at"]))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise StudyError(f"{card_path}: not a readable model card ({exc}); delete its folder or re-learn") from exc
        if key[:2] == (codebook.version, embedding_model) and (best is None or key[2] >= best[0]["created_at"]):
            best = (card, card_path.parent)
    if best is None:
        return None
    card, path = best
    model, meta = read_model(path, trust_pickle)
    trained_on = None if meta.get("converted_from_pickle") else [str(s) for s in meta.get("trained_on", [])]
    learned = LearnedModel(card["id"], path, card, model, trained_on)
    _check_fits(learned, codebook, store)
    return learned


def _check_fits(learned: LearnedModel, codebook: Codebook, store: Store | None) -> None:
    codes = [c.id for c in codebook.codable]
    if learned.model.codes_ != codes:
        raise StudyError(f"{learned.path}: learned for codes {', '.join(learned.model.codes_)} but codebook version "
                         f"{codebook.version} has {', '.join(codes)} (the codebook changed, or the model was copied); "
                         f"re-learn with `deductive learn STUDY` or delete the folder")
    if store is not None and learned.trained_on:
        known = _known_segments(store, learned.trained_on)
        if known == 0:
            raise StudyError(f"{learned.path}: trained on {len(learned.trained_on)} segments none of which are in this "
                             f"study (a model copied from another study?); delete the folder or re-learn with "
                             f"`deductive learn STUDY`")


def _known_segments(store: Store, ids: list[str]) -> int:
    found = 0
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        found += store.query(f"SELECT COUNT(*) FROM segments WHERE id IN ({','.join('?' * len(chunk))})", tuple(chunk))[0][0]
    return found


def _clean(values: dict) -> dict:
    """NaN is not JSON: undefined metrics are stored as null."""
    return {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in values.items()}


def _card_markdown(card: dict) -> str:
    lines = [f"# Learned suggester {card['id']}", "",
             f"- created: {card['created_at']}", f"- codebook version: {card['codebook_version']}",
             f"- embedding model: {card['embedding_model']}", f"- learned from {card['decisions']} decisions on {card['segments']} segments",
             f"- method: {card['method']}", f"- validation: {card['validation']}",
             f"- codes left at their zero-shot score (too few confirmations): {', '.join(card['zero_shot_only']) or 'none'}", "",
             "| code | examples | mix | precision | recall | kappa | AUC | p | trusted |", "|---|---|---|---|---|---|---|---|---|"]
    fmt = lambda x: "" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:.2f}"  # noqa: E731
    for c in card["codes"]:
        lines.append(f"| {c['code']} | {c['positives']} | {fmt(card['mix'].get(c['code']))} | {fmt(c['precision'])} | "
                     f"{fmt(c['recall'])} | {fmt(c['kappa'])} | {fmt(c['auc'])} | {fmt(c['p_value'])} | {'yes' if c['trusted'] else 'no'} |")
    return "\n".join(lines) + "\n"
