"""Helpers the pseudonymisation tests import (a conftest is not importable by name)."""

from __future__ import annotations

from pipeline.study import Study


def snapshot(study: Study) -> list[str]:
    """Everything stored, for "nothing changed" checks."""
    return list(study.store.conn.iterdump())
