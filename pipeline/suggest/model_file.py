"""Learned-model files that cannot run code: numbers in ``model.npz``, the rest in JSON.

A study folder travels between researchers, so whatever sits in ``models/learned/`` is
untrusted. A model is saved as ``model.json`` (codes, mixes, the segments it was trained
on) and ``model.npz`` (the logistic weights), read back with ``allow_pickle=False``:
loading it only ever builds float arrays. Old versions saved ``model.pkl``; unpickling
can execute any code, so such a file is refused unless the caller explicitly trusts it
(``deductive suggest --trust-pickle``), and then it is converted once to the safe format.

Both files are written to a temporary folder that is renamed into place, so a failed
save leaves no half-written model behind.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.errors import StudyError
from pipeline.suggest.learner import LearnedSuggester, _Unit

__all__ = ["save_model", "read_model", "PICKLE_FILE", "ARRAYS_FILE", "META_FILE", "UnsafeModelError"]

ARRAYS_FILE, META_FILE, PICKLE_FILE = "model.npz", "model.json", "model.pkl"
FORMAT = "deductive-learned-v2"
MAX_META_BYTES = 50_000_000  # a model.json this large is not one we wrote


class UnsafeModelError(StudyError):
    """A learned model exists only as a pickle, which loading could use to run code."""


def save_model(folder: Path, model: LearnedSuggester, meta: dict[str, Any], files: dict[str, str]) -> None:
    """Write model.json + model.npz (+ other text files) into ``folder`` atomically."""
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    state, arrays = model.to_arrays()
    np.savez(tmp / ARRAYS_FILE, **{k: np.asarray(v, dtype=np.float64) for k, v in arrays.items()})
    (tmp / META_FILE).write_text(json.dumps({"format": FORMAT, "state": state, **meta}, ensure_ascii=False), encoding="utf-8")
    for name, text in files.items():
        (tmp / name).write_text(text, encoding="utf-8")
    if folder.exists():
        shutil.rmtree(folder)  # same id = same decisions: the new files replace it (and any old pickle)
    tmp.rename(folder)


def read_model(folder: Path, trust_pickle: bool = False) -> tuple[LearnedSuggester, dict[str, Any]]:
    """The model and its metadata; never unpickles unless ``trust_pickle``."""
    if (folder / ARRAYS_FILE).exists() and (folder / META_FILE).exists():
        return _read_safe(folder)
    if (folder / PICKLE_FILE).exists():
        if not trust_pickle:
            raise UnsafeModelError(
                f"{folder / PICKLE_FILE}: a learned model saved by an older version as a pickle, which could run code "
                f"when loaded; it was not loaded. Re-learn it from the decision log with `deductive learn STUDY` "
                f"(safe format), delete the folder, or, only if you trust where this study folder came from, "
                f"convert it once with `deductive suggest STUDY --trust-pickle`")
        return _convert_pickle(folder)
    raise StudyError(f"{folder}: no {ARRAYS_FILE} and {META_FILE}; delete the folder or re-learn with `deductive learn STUDY`")


def _read_safe(folder: Path) -> tuple[LearnedSuggester, dict[str, Any]]:
    meta_path = folder / META_FILE
    if meta_path.stat().st_size > MAX_META_BYTES:
        raise StudyError(f"{meta_path}: too large to be a learned model ({meta_path.stat().st_size} bytes); delete the folder")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        with np.load(folder / ARRAYS_FILE, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        if meta.get("format") != FORMAT:
            raise ValueError(f"format {meta.get('format')!r}, expected {FORMAT!r}")
        model = LearnedSuggester.from_arrays(meta["state"], arrays)
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
        raise StudyError(f"{folder}: not a readable learned model ({exc}); delete the folder or re-learn with "
                         f"`deductive learn STUDY`") from exc
    return model, meta


def _convert_pickle(folder: Path) -> tuple[LearnedSuggester, dict[str, Any]]:
    """The caller trusts this pickle: read it once, keep its models, save it safely."""
    import pickle

    old = pickle.loads((folder / PICKLE_FILE).read_bytes())  # noqa: S301 (explicitly trusted by the user)
    card = json.loads((folder / "card.json").read_text(encoding="utf-8"))
    state = vars(old)
    evidence = np.asarray(state["evidence_"], dtype=float)
    weights = evidence / (evidence + float(state.get("prior_strength", 20.0)))
    model = LearnedSuggester(use_prior=False)
    model.codes_, model.evidence_ = list(state["codes_"]), evidence.astype(int)
    # The old blend weighted each code by its evidence; a unit takes its codes' mean weight.
    model.units_ = [_Unit([int(j) for j in codes], np.asarray(lr.coef_, float), np.asarray(lr.intercept_, float),
                          float(np.mean(weights[list(codes)])), 1.0) for codes, lr in state["models_"]]
    meta = {"id": card["id"], "codebook_version": card["codebook_version"], "embedding_model": card["embedding_model"],
            "trained_on": [], "converted_from_pickle": True}
    files = {name: (folder / name).read_text(encoding="utf-8") for name in ("card.json", "card.md") if (folder / name).exists()}
    save_model(folder, model, meta, files)
    return model, {"format": FORMAT, **meta}
