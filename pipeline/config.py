"""Study settings: one typed object, loaded once from ``DIR/deductive.toml``.

Every section and key is validated on load; an unknown key or a wrong type is a
``ConfigError`` that names the file and the key. Command-line flags override settings
for one run through ``Settings.override`` and never rewrite the file.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import ConfigError

__all__ = [
    "SETTINGS_FILE",
    "UNITS",
    "IngestSettings",
    "SegmentSettings",
    "EmbeddingSettings",
    "SuggestSettings",
    "Settings",
    "load_settings",
    "default_settings_text",
]

SETTINGS_FILE = "deductive.toml"
UNITS = ("sentence", "paragraph", "turn", "row")

@dataclass(frozen=True)
class IngestSettings:
    """How files are read. ``speaker_pattern`` is a regex; see docs/README."""

    speaker_pattern: str = ""  # empty: the reader's default pattern


@dataclass(frozen=True)
class SegmentSettings:
    """How documents are cut into segments.

    unit: sentence | paragraph | turn | row. min_chars: shorter fragments ("Yeah.") are
    merged with a neighbour in the same turn. max_chars: longer paragraphs and turns are
    split at sentence boundaries into pieces of at most this length. spacy_model:
    "blank" (rule-based sentencizer, no download) or an installed spaCy package name.
    """

    unit: str = "sentence"
    min_chars: int = 15
    max_chars: int = 1500
    spacy_model: str = "blank"


@dataclass(frozen=True)
class EmbeddingSettings:
    """Which embedding model and backend; see pipeline.embed."""

    model: str = "all-MiniLM-L6-v2"
    backend: str = "onnx"  # fp32 ONNX: torch's vectors ~2x faster (pipeline.embed.backends)
    batch_size: int = 64
    threads: int = 0  # 0: the library's default


@dataclass(frozen=True)
class SuggestSettings:
    top_k: int = 3
    threshold: float = 0.5


@dataclass(frozen=True)
class Settings:
    ingest: IngestSettings = field(default_factory=IngestSettings)
    segment: SegmentSettings = field(default_factory=SegmentSettings)
    embedding: EmbeddingSettings = field(default_factory=EmbeddingSettings)
    suggest: SuggestSettings = field(default_factory=SuggestSettings)

    def override(self, section: str, **values: Any) -> "Settings":
        """A copy with some keys of one section replaced; ``None`` values are ignored."""
        given = {k: v for k, v in values.items() if v is not None}
        if not given:
            return self
        current = getattr(self, section)
        checked = _validate_section(section, {**dataclasses.asdict(current), **given}, "option")
        return dataclasses.replace(self, **{section: checked})


_SECTIONS: dict[str, type] = {
    "ingest": IngestSettings,
    "segment": SegmentSettings,
    "embedding": EmbeddingSettings,
    "suggest": SuggestSettings,
}


def _validate_section(name: str, values: dict[str, Any], where: str) -> Any:
    cls = _SECTIONS[name]
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key, value in values.items():
        if key not in fields:
            raise ConfigError(
                f"{where}: unknown key '{name}.{key}'; valid keys: {', '.join(sorted(fields))}"
            )
        expected = type(getattr(cls(), key))
        ok = isinstance(value, expected) and not (expected is int and isinstance(value, bool))
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
            values[key] = value
            ok = True
        if not ok:
            raise ConfigError(
                f"{where}: '{name}.{key}' must be {expected.__name__}, got {value!r}"
            )
    obj = cls(**values)
    _check_ranges(name, obj, where)
    return obj


def _check_ranges(name: str, obj: Any, where: str) -> None:
    if name == "segment":
        if obj.unit not in UNITS:
            raise ConfigError(f"{where}: 'segment.unit' is {obj.unit!r}; use one of {', '.join(UNITS)}")
        if obj.min_chars < 0 or obj.max_chars < 50 or obj.min_chars >= obj.max_chars:
            raise ConfigError(
                f"{where}: 'segment.min_chars' ({obj.min_chars}) must be >= 0 and below "
                f"'segment.max_chars' ({obj.max_chars}), which must be >= 50"
            )
    if name == "embedding":
        if obj.backend not in ("torch", "onnx", "onnx-int8"):
            raise ConfigError(f"{where}: 'embedding.backend' is {obj.backend!r}; use torch, onnx or onnx-int8")
        if obj.batch_size < 1 or obj.threads < 0:
            raise ConfigError(f"{where}: 'embedding.batch_size' must be >= 1 and 'embedding.threads' >= 0")
    if name == "suggest":
        if obj.top_k < 1 or not 0.0 <= obj.threshold <= 1.0:
            raise ConfigError(f"{where}: 'suggest.top_k' must be >= 1 and 'suggest.threshold' in [0, 1]")


def load_settings(path: Path) -> Settings:
    """Read and validate a settings file; a missing file means all defaults."""
    if not path.exists():
        return Settings()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}); fix the file or delete it for defaults") from exc
    sections: dict[str, Any] = {}
    for name, values in raw.items():
        if name not in _SECTIONS:
            raise ConfigError(f"{path}: unknown section [{name}]; valid sections: {', '.join(_SECTIONS)}")
        if not isinstance(values, dict):
            raise ConfigError(f"{path}: '{name}' must be a [{name}] table")
        sections[name] = _validate_section(name, dict(values), str(path))
    return Settings(**sections)


def default_settings_text() -> str:
    """The commented settings file that ``init`` writes."""
    s = Settings()
    return f"""# Settings of this deductive study. Command-line flags override them for one run.

[segment]
unit = "{s.segment.unit}"          # sentence | paragraph | turn | row
min_chars = {s.segment.min_chars}           # shorter fragments are merged with a neighbour in the same turn
max_chars = {s.segment.max_chars}         # longer turns/paragraphs are split at sentence boundaries
spacy_model = "{s.segment.spacy_model}"      # "blank" (rule-based sentencizer) or an installed spaCy package

[ingest]
speaker_pattern = ""        # empty: the built-in pattern (Interviewer:, I:, P3:, JKG-01:, [Speaker 2], [00:12:31] ...)

[embedding]
model = "{s.embedding.model}"   # the packaged model, or a path to a sentence-transformers model
backend = "{s.embedding.backend}"           # onnx (same vectors as torch, faster) | torch | onnx-int8 (approximate)
batch_size = {s.embedding.batch_size}
threads = {s.embedding.threads}                 # 0: library default

[suggest]
top_k = {s.suggest.top_k}
threshold = {s.suggest.threshold}
"""
