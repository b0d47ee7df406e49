"""A test that needs ../shared skips on a laptop without it and fails in CI."""

from __future__ import annotations

import pytest

from shared_data import shared_file


def test_missing_shared_data_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must have the shared data"):
        shared_file("no-such-folder", "missing.csv")


def test_missing_shared_data_skips_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no-such-folder"):
        shared_file("no-such-folder", "missing.csv")
