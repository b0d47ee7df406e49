"""Study settings: one typed object, loaded once from ``DIR/deductive.toml``.

Every section and key is validated on load; an unknown key or a wrong type is a
``ConfigError`` that names the file and the key. Command-line flags override settings
for one run through ``Settings.override`` and never rewrite the file.

The ``[embedding]`` section is read straight into ``pipeline.embed.EmbedSettings``, the
one settings class the embedding backends take, so there is nothing to translate.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.embed.seam import BACKENDS, EmbedSettings
from pipeline.errors import ConfigError

__all__ = [
    "SETTINGS_FILE",
    "UNITS",
    "IngestSettings",
    "SegmentSettings",
    "EmbedSettings",
    "SuggestSettings",
    "RoleSettings",
    "InterchangeSettings",
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
class SuggestSettings:
    top_k: int = 3
    threshold: float = 0.5
    # Set aside a code set the study is measurably less like than generic text (docs/method.md
    # step 4). False: the researcher says the codebook belongs; every group is trusted.
    set_aside: bool = True


@dataclass(frozen=True)
class RoleSettings:
    """Speaker labels per role, from ``[roles]`` (e.g. ``counsellor = ["therapist"]``).

    A role listed here replaces the built-in labels of that role; unlisted speakers are
    participants (pipeline.suggest.scope, docs/units-and-scope.md).
    """

    labels: tuple[tuple[str, tuple[str, ...]], ...] = ()
@dataclass(frozen=True)
class InterchangeSettings:
    """Limits on a .qdpx project (a zip) from another tool, checked before anything in it is
    read (issue 16): all members together unpack to at most ``max_unpacked_mb``; no member
    of 1 MB or more unpacks to more than ``max_ratio`` times its packed size (text and XML
    pack 3-20x; zip bombs 1000x); at most ``max_members`` files. Media sources count
    towards the size: raise it for projects that carry audio or video."""

    max_unpacked_mb: int = 2048
    max_ratio: int = 100
    max_members: int = 10_000


@dataclass(frozen=True)
class Settings:
    ingest: IngestSettings = field(default_factory=IngestSettings)
    segment: SegmentSettings = field(default_factory=SegmentSettings)
    embedding: EmbedSettings = field(default_factory=EmbedSettings)
    suggest: SuggestSettings = field(default_factory=SuggestSettings)
    roles: RoleSettings = field(default_factory=RoleSettings)
    interchange: InterchangeSettings = field(default_factory=InterchangeSettings)

    def override(self, section: str, **values: Any) -> "Settings":
        """A copy with some keys of one section replaced; ``None`` values are ignored."""
        given = {k: v for k, v in values.items() if v is not None}
        if not given:
            return self
        checked = _validate_section(section, given, "option", base=getattr(self, section))
        return dataclasses.replace(self, **{section: checked})


_SECTIONS: dict[str, type] = {
    "ingest": IngestSettings,
    "segment": SegmentSettings,
    "embedding": EmbedSettings,
    "suggest": SuggestSettings,
    "interchange": InterchangeSettings,
}
# The type of settable fields whose default is None ("the library's default"). Other
# fields defaulting to None (embedding.cache_dir: where this machine keeps converted
# models) are not properties of a study and cannot be set in its file.
_OPTIONAL_TYPES = {("embedding", "threads"): int}


def _settable(name: str) -> dict[str, type]:
    """The keys of a section a settings file may set, with their types."""
    defaults = _SECTIONS[name]()
    out = {}
    for f in dataclasses.fields(defaults):
        default = getattr(defaults, f.name)
        if default is not None:
            out[f.name] = type(default)
        elif (name, f.name) in _OPTIONAL_TYPES:
            out[f.name] = _OPTIONAL_TYPES[(name, f.name)]
    return out


def _validate_section(name: str, values: dict[str, Any], where: str, base: Any = None) -> Any:
    """``base`` (default: the section's defaults) with ``values`` checked and put in."""
    base = base if base is not None else _SECTIONS[name]()
    fields = _settable(name)
    for key, value in values.items():
        if key not in fields:
            raise ConfigError(
                f"{where}: unknown key '{name}.{key}'; valid keys: {', '.join(sorted(fields))}"
            )
        expected = fields[key]
        ok = isinstance(value, expected) and not (expected is int and isinstance(value, bool))
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
            values[key] = value
            ok = True
        if not ok:
            raise ConfigError(
                f"{where}: '{name}.{key}' must be {expected.__name__}, got {value!r}"
            )
    if name == "embedding" and values.get("threads") == 0:
        values["threads"] = None  # the file's 0 is the library's default
    obj = dataclasses.replace(base, **values)
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
        if obj.backend not in BACKENDS:
            raise ConfigError(f"{where}: 'embedding.backend' is {obj.backend!r}; use one of {', '.join(BACKENDS)}")
        if obj.batch_size < 1 or (obj.threads is not None and obj.threads < 0):
            raise ConfigError(f"{where}: 'embedding.batch_size' must be >= 1 and 'embedding.threads' >= 0")
    if name == "suggest":
        if obj.top_k < 1 or not 0.0 <= obj.threshold <= 1.0:
            raise ConfigError(f"{where}: 'suggest.top_k' must be >= 1 and 'suggest.threshold' in [0, 1]")
    if name == "interchange":
        if min(obj.max_unpacked_mb, obj.max_ratio, obj.max_members) < 1:
            raise ConfigError(f"{where}: 'interchange.max_unpacked_mb', 'max_ratio' and 'max_members' must be >= 1")


def _roles(values: Any, where: str) -> RoleSettings:
    """[roles]: role name = list of speaker labels (or one label)."""
    if not isinstance(values, dict):
        raise ConfigError(f"{where}: 'roles' must be a [roles] table of role = [\"label\", ...]")
    out = []
    for role, labels in values.items():
        if isinstance(labels, str):
            labels = [labels]
        if not isinstance(labels, list) or not labels or not all(isinstance(x, str) and x.strip() for x in labels):
            raise ConfigError(f"{where}: 'roles.{role}' must be a non-empty list of speaker labels, "
                              f"e.g. {role} = [\"Interviewer\", \"I\"]")
        out.append((role.strip().lower(), tuple(x.strip() for x in labels)))
    return RoleSettings(tuple(out))


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
        if name == "roles":
            sections[name] = _roles(values, str(path))
            continue
        if name not in _SECTIONS:
            raise ConfigError(f"{path}: unknown section [{name}]; valid sections: {', '.join(_SECTIONS)}, roles")
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
backend = "{s.embedding.backend}"           # onnx (same vectors as torch, faster) | torch | onnx-int8 | torch-bf16 | openvino-bf16 (approximate, faster)
batch_size = {s.embedding.batch_size}
threads = {s.embedding.threads or 0}                 # 0: library default

[suggest]
top_k = {s.suggest.top_k}
threshold = {s.suggest.threshold}

# Speaker roles for codes with a scope (docs/units-and-scope.md). Built in: Interviewer, Int,
# I, Q, Moderator, Facilitator and Researcher are interviewers; everyone else is a participant.
# [roles]
# interviewer = ["Interviewer", "I"]
# counsellor = ["therapist"]

[interchange]               # limits on a .qdpx from another tool, checked before it is read
max_unpacked_mb = {s.interchange.max_unpacked_mb}      # all files in it, unpacked (raise it for projects with audio/video)
max_ratio = {s.interchange.max_ratio}             # unpacked/packed size of any file of 1 MB or more (zip bombs: ~1000)
max_members = {s.interchange.max_members}         # files in the zip
"""
