"""Flow tests: one Prefect test server for the whole session, with its home in a temp folder.

Prefect reads its environment when first imported, so the environment is set here,
before any test module (which imports ``flows``) is collected.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

_HOME = tempfile.mkdtemp(prefix="deductive-prefect-home-")
os.environ["PREFECT_HOME"] = _HOME  # never the user's ~/.prefect
os.environ["PREFECT_LOGGING_LEVEL"] = "WARNING"

from flows.settings import configure  # noqa: E402

configure(None)


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    """The session's Prefect test server (it takes several seconds to start: start it once)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def fake_settings(study_dir: Path) -> Path:
    """The conftest study with the fake embedder configured in deductive.toml."""
    path = study_dir / "deductive.toml"
    text = path.read_text(encoding="utf-8").replace('model = "all-MiniLM-L6-v2"', 'model = "fake"')
    assert 'model = "fake"' in text
    path.write_text(text, encoding="utf-8")
    return study_dir
