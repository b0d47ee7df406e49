"""Helpers the pseudonymisation tests import (a conftest is not importable by name)."""

from __future__ import annotations

from pipeline.pseudonymise.detect import SourceText, detect
from pipeline.pseudonymise.names import KnownName
from pipeline.study import Study


def snapshot(study: Study) -> list[str]:
    """Everything stored, for "nothing changed" checks."""
    return list(study.store.conn.iterdump())


def found_kinds(text: str, names: list[KnownName], model=None) -> list[tuple[str, str]]:
    """(kind, text) of each mention ``detect`` keeps in ``text`` read as one turn."""
    return [(m.kind, m.text) for m in detect([SourceText("d", text, ((0, len(text)),))], names, model)]


def stand_in_model(*found: tuple[str, str]):
    """A stand-in model that finds the given (text, kind) pairs wherever they occur."""
    def model(text, spans):
        for written, kind in found:
            start = text.find(written)
            while start >= 0:
                yield start, start + len(written), kind
                start = text.find(written, start + 1)
    return model
