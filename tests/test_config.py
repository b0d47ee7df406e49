"""Study settings: defaults, validation that names the key, overrides for one run."""

from pathlib import Path

import pytest

from pipeline.config import Settings, default_settings_text, load_settings
from pipeline.errors import ConfigError


def test_missing_file_means_defaults_and_init_text_round_trips(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "none.toml") == Settings()
    path = tmp_path / "deductive.toml"
    path.write_text(default_settings_text())
    assert load_settings(path) == Settings()


@pytest.mark.parametrize(
    "content, message",
    [
        # a typo in a key is named, with the valid keys
        ("[segment]\nunits = 'turn'\n", "unknown key 'segment.units'"),
        # a whole unknown section
        ("[segmentation]\nunit = 'turn'\n", "unknown section [segmentation]"),
        # a wrong type names the key and the expected type
        ("[suggest]\ntop_k = 'three'\n", "'suggest.top_k' must be int"),
        # a value outside its range
        ("[segment]\nunit = 'chapter'\n", "'segment.unit' is 'chapter'"),
        ("[suggest]\nthreshold = 1.5\n", "'suggest.threshold' in [0, 1]"),
        ("[embedding]\nbackend = 'cuda'\n", "'embedding.backend' is 'cuda'"),
        # broken TOML says so
        ("[segment\nunit = 'turn'\n", "not valid TOML"),
    ],
)
def test_invalid_settings_name_file_and_key(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "deductive.toml"
    path.write_text(content)
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert message in str(info.value) and str(path) in str(info.value)


def test_override_changes_one_run_and_validates() -> None:
    settings = Settings()
    changed = settings.override("segment", unit="turn", min_chars=None)
    assert changed.segment.unit == "turn" and changed.segment.min_chars == settings.segment.min_chars
    assert settings.segment.unit == "sentence"  # the original is untouched
    assert settings.override("suggest", threshold=1).suggest.threshold == 1.0  # ints become floats
    with pytest.raises(ConfigError, match="top_k"):
        settings.override("suggest", top_k=0)


def test_embedding_section_is_the_embedders_settings(tmp_path: Path) -> None:
    from pipeline.embed import EmbedSettings

    path = tmp_path / "deductive.toml"
    path.write_text("[embedding]\nbackend = 'onnx'\nthreads = 2\n")
    assert load_settings(path).embedding == EmbedSettings(backend="onnx", threads=2)
    path.write_text("[embedding]\nthreads = 0\n")  # the file's 0 is the library's default
    assert load_settings(path).embedding.threads is None
    path.write_text("[embedding]\ncache_dir = 'x'\n")  # a machine's folder, not a study setting
    with pytest.raises(ConfigError, match="unknown key 'embedding.cache_dir'; valid keys: backend, batch_size, model, threads"):
        load_settings(path)


def test_read_options_are_built_from_the_settings_in_one_place(study_dir: Path) -> None:
    from pipeline.ingest.read import ReadOptions
    from pipeline.study import Study

    with Study(study_dir) as study:
        assert study.read_options() == ReadOptions()  # empty pattern: the reader's default
        study.settings = study.settings.override("ingest", speaker_pattern=r"(?P<speaker>[A-Z]+):")
        options = study.read_options(text_column="answer")
    assert options == ReadOptions(speaker_pattern=r"(?P<speaker>[A-Z]+):", text_column="answer")
