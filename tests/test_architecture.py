"""The layering, enforced: the library never imports Prefect, and each heavy
third-party library is imported by the one module that wraps it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PIPELINE = Path(__file__).resolve().parents[1] / "pipeline"

# library -> the only module(s) allowed to import it
OWNERS = {
    "spacy": {"segment.py"},
    "sentence_transformers": {"embed.py"},
    "onnxruntime": {"embed_onnx.py"},
    "tokenizers": {"embed_onnx.py"},
    # workbooks are written by the review queue, the summary and the audit (one module each)
    "openpyxl": {"review", "summarize/excel.py", "audit/excel.py"},
    "docx": {"ingest/docx_file.py"},
    "pypdf": {"ingest/pdf_file.py"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


MODULES = sorted(PIPELINE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PIPELINE)))
def test_library_layering(path: Path) -> None:
    rel = path.relative_to(PIPELINE).as_posix()
    imported = _imports(path)
    assert "prefect" not in imported, f"{rel} imports prefect: orchestration belongs in flows/"
    for library, owners in OWNERS.items():
        if library in imported:
            allowed = rel in owners or rel.split("/")[0] in owners
            assert allowed, f"{rel} imports {library}; only {sorted(owners)} may"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PIPELINE)))
def test_library_never_prints_or_exits(path: Path) -> None:
    if path.name.startswith("cli"):
        return  # the command line is the one place that prints and exits
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in ("print", "exit", "quit"), f"{path.name} calls {node.func.id}()"
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            assert (node.value.id, node.attr) != ("sys", "exit"), f"{path.name} calls sys.exit"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PIPELINE)))
def test_public_surface_is_honest(path: Path) -> None:
    """Every name a module lists in __all__ exists in it."""
    import importlib

    rel = path.relative_to(PIPELINE.parent).with_suffix("")
    name = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
    module = importlib.import_module(name)
    for exported in getattr(module, "__all__", []):
        assert hasattr(module, exported), f"{name}.__all__ lists {exported!r}, which it does not define"
