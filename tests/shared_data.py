"""The shared benchmark data beside the repository (../shared), for the tests that need it.

Outside CI a test whose data is missing is skipped with the reason; in CI (CI=true) it
fails instead, so that a checkout without ../shared cannot pass quietly.
DEDUCTIVE_SHARED points the tests at another copy (a git worktree keeps its own ../).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("DEDUCTIVE_SHARED") or ROOT.parent / "shared")

__all__ = ["SHARED", "in_ci", "missing", "shared_file"]


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def missing(reason: str) -> None:
    """Skip the test for missing shared data, or fail it in CI."""
    if in_ci():
        pytest.fail(f"{reason}; CI must have the shared data (set DEDUCTIVE_SHARED or check it out at ../shared)",
                    pytrace=False)
    pytest.skip(reason)


def shared_file(*parts: str) -> Path:
    """A file or folder under ../shared; skips (fails in CI) when it is not there."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        missing(f"needs {path} (the shared benchmark data beside the repository)")
    return path
