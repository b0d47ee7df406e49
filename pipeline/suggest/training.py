"""The learn stage: turn the decision log into a learned suggester saved under models/.

A learned suggester is saved as ``models/learned/<id>/`` with ``model.pkl`` (the
scikit-learn models) and a model card (``card.json`` and ``card.md``): codebook version,
embedding model, examples per code, date, and grouped cross-validated metrics per code.
Its id is a hash of the codebook version, the embedding model and the decisions it
learned from, so learning twice from the same decisions gives the same model.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from pipeline.codebook import Codebook
from pipeline.errors import InputError
from pipeline.suggest.learner import Labels, LearnedSuggester, cross_validate
from pipeline.store import Store
from pipeline.suggest.scoring import CodebookSuggester
from pipeline.embed.cache import TextEmbedder, embed_cached

__all__ = ["LearnedModel", "training_data", "learn", "load_latest", "augment_codebook", "with_examples", "decisions_hash", "current_decision_ids", "AUTO_LEARN_MIN"]

AUTO_LEARN_MIN = 30  # positive decisions before `suggest` learns by itself
MAX_CONFIRMED_EXAMPLES = 20


@dataclass
class LearnedModel:
    id: str
    path: Path
    card: dict
    model: LearnedSuggester

    @property
    def untrusted(self) -> list[str]:
        return [c["code"] for c in self.card["codes"] if not c["trusted"]]


def training_data(store: Store, codebook: Codebook, coders: list[str] | None = None) -> tuple[list[str], list[str], list[str], Labels, list[int]]:
    """Segment ids, their documents, texts, the label matrix, and the decision ids used."""
    sql = ("SELECT d.id, d.coder, d.segment_id, d.code_id, d.verdict, s.document_id, s.text FROM current_decisions d"
           " JOIN segments s ON s.id = d.segment_id")
    rows = store.query(sql)
    if coders:
        rows = [r for r in rows if r["coder"] in coders]
    codes = [c.id for c in codebook.codable]
    index = {c: j for j, c in enumerate(codes)}
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
            value = 1 if r["verdict"] in ("accepted", "added") else 0
            matrix[i, j] = max(matrix[i, j], value)
    groups = [[index[c] for c in ids if c in index] for ids in codebook.exclusive_groups().values()]
    # decided but not applied: a negative (the coder saw the segment and chose otherwise)
    matrix[decided[:, None] & (matrix == -1)] = 0
    return list(order), docs, texts, Labels(codes, matrix, [g for g in groups if g]), sorted(r["id"] for r in rows)


def augment_codebook(codebook: Codebook, texts: list[str], labels: Labels) -> Codebook:
    """Confirmed segments join each code's examples (at most MAX_CONFIRMED_EXAMPLES, latest first)."""
    extra: dict[str, list[str]] = {}
    for j, code in enumerate(labels.codes):
        rows = np.where(labels.matrix[:, j] == 1)[0][::-1][:MAX_CONFIRMED_EXAMPLES]
        extra[code] = [texts[i] for i in rows]
    return with_examples(codebook, extra)


def with_examples(codebook: Codebook, extra: dict[str, list[str]]) -> Codebook:
    """A copy of the codebook whose codable codes have extra example texts."""
    codes = tuple(replace(c, examples=c.examples + tuple(extra.get(c.id, ()))) if c.codable else c for c in codebook.codes)
    return replace(codebook, codes=codes)


def learn(store: Store, codebook: Codebook, embedder: TextEmbedder, models_dir: Path, coders: list[str] | None = None) -> LearnedModel:
    """Fit, cross-validate and save a learned suggester from the decision log."""
    segment_ids, docs, texts, labels, decision_ids = training_data(store, codebook, coders)
    if not segment_ids or labels.positives().sum() == 0:
        raise InputError("no confirmed codes to learn from yet; confirm some suggestions first (`deductive confirm`)")
    model_id = hashlib.sha256(json.dumps([codebook.version, embedder.identity, decision_ids]).encode()).hexdigest()[:12]
    X, _ = embed_cached(store, embedder, texts)

    def embed(batch: list[str]) -> np.ndarray:
        return embed_cached(store, embedder, batch)[0]

    background = embed([r[0] for r in store.query("SELECT text FROM current_segments")])
    definition = CodebookSuggester(threshold=0).fit(codebook, embed, background)
    definition_scores = definition.predict_proba(X)
    trust = cross_validate(X, labels, docs, definition_scores)
    model = LearnedSuggester().fit(X, labels)
    augmented = augment_codebook(codebook, texts, labels)
    card = {
        "id": model_id,
        "created_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "codebook_version": codebook.version,
        "embedding_model": embedder.identity,
        "decisions": len(decision_ids),
        "decisions_hash": decisions_hash(decision_ids),
        "segments": len(segment_ids),
        "coders": coders or "all",
        "method": "logistic regression per exclusive group / per code, blended with definition scores",
        "validation": "5-fold cross-validation grouped by document; permutation test of AUC (200 permutations)",
        "codes": [_clean(asdict(t)) for t in trust],
        "confirmed_examples": {c.id: list(c.examples[len(codebook.get(c.id).examples):]) for c in augmented.codable},
    }
    path = models_dir / "learned" / model_id
    path.mkdir(parents=True, exist_ok=True)
    tmp = path / "model.pkl.tmp"
    tmp.write_bytes(pickle.dumps(model))
    tmp.replace(path / "model.pkl")
    (path / "card.json").write_text(json.dumps(card, indent=2, ensure_ascii=False), encoding="utf-8")
    (path / "card.md").write_text(_card_markdown(card), encoding="utf-8")
    return LearnedModel(model_id, path, card, model)


def decisions_hash(decision_ids: list[int]) -> str:
    return hashlib.sha256(json.dumps(sorted(decision_ids)).encode()).hexdigest()[:16]


def current_decision_ids(store: Store) -> list[int]:
    return sorted(r[0] for r in store.query("SELECT id FROM current_decisions"))


def load_latest(models_dir: Path, codebook_version: str, embedding_model: str) -> LearnedModel | None:
    """The newest saved learned suggester for this codebook version and embedding model."""
    best = None
    for card_path in sorted((models_dir / "learned").glob("*/card.json")):
        card = json.loads(card_path.read_text(encoding="utf-8"))
        if card["codebook_version"] != codebook_version or card["embedding_model"] != embedding_model:
            continue
        if best is None or card["created_at"] >= best[0]["created_at"]:
            best = (card, card_path.parent)
    if best is None:
        return None
    card, path = best
    return LearnedModel(card["id"], path, card, pickle.loads((path / "model.pkl").read_bytes()))


def _clean(values: dict) -> dict:
    """NaN is not JSON: undefined metrics are stored as null."""
    return {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in values.items()}


def _card_markdown(card: dict) -> str:
    lines = [f"# Learned suggester {card['id']}", "",
             f"- created: {card['created_at']}", f"- codebook version: {card['codebook_version']}",
             f"- embedding model: {card['embedding_model']}", f"- learned from {card['decisions']} decisions on {card['segments']} segments",
             f"- method: {card['method']}", f"- validation: {card['validation']}", "",
             "| code | examples | precision | recall | kappa | AUC | p | trusted |", "|---|---|---|---|---|---|---|---|"]
    for c in card["codes"]:
        fmt = lambda x: "" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:.2f}"  # noqa: E731
        lines.append(f"| {c['code']} | {c['positives']} | {fmt(c['precision'])} | {fmt(c['recall'])} | {fmt(c['kappa'])} | "
                     f"{fmt(c['auc'])} | {fmt(c['p_value'])} | {'yes' if c['trusted'] else 'no'} |")
    return "\n".join(lines) + "\n"
