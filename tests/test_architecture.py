"""The layering, enforced.

    cli/       the command line: may import flows/ and pipeline/
    flows/     Prefect orchestration: may import pipeline/, never cli/; holds no SQL
    pipeline/  the library: imports neither flows/, cli/ nor prefect

Inside the library, each heavy third-party library is imported by the one module that
wraps it, and no two modules import each other (directly or round a longer circle).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PIPELINE = ROOT / "pipeline"

# library -> the only module(s) allowed to import it
OWNERS = {
    "spacy": {"segment.py"},
    "sentence_transformers": {"embed/torch_backend.py"},
    "onnxruntime": {"embed/onnx_backend.py", "embed/onnx_export.py"},  # running; exporting and quantising
    "tokenizers": {"embed/onnx_backend.py"},
    # workbooks are written by the review queue, the summary and the audit (one module each)
    "openpyxl": {"review", "summarize/excel.py", "audit/excel.py"},
    "docx": {"ingest/docx_file.py"},
    "pypdf": {"ingest/pdf_file.py"},
}


def _import_nodes(path: Path) -> list[ast.Import | ast.ImportFrom]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]


def _imports(path: Path) -> set[str]:
    """Top-level package names imported anywhere in the file (lazy imports included)."""
    names = set()
    for node in _import_nodes(path):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


MODULES = _files("pipeline")


@pytest.mark.parametrize("path", MODULES, ids=_rel)
def test_library_layering(path: Path) -> None:
    rel = path.relative_to(PIPELINE).as_posix()
    imported = _imports(path)
    for upper in ("prefect", "flows", "cli"):
        assert upper not in imported, f"pipeline/{rel} imports {upper}: the library sits below flows/ and cli/"
    for library, owners in OWNERS.items():
        if library in imported:
            allowed = rel in owners or rel.split("/")[0] in owners
            assert allowed, f"pipeline/{rel} imports {library}; only {sorted(owners)} may"


@pytest.mark.parametrize("path", _files("flows"), ids=_rel)
def test_flows_sit_below_the_command_line_and_hold_no_sql(path: Path) -> None:
    assert "cli" not in _imports(path), f"{_rel(path)} imports the command line"
    source = path.read_text(encoding="utf-8")
    sql = re.search(r"\b(SELECT|INSERT|UPDATE|DELETE)\b\s+\S+.*\b(FROM|INTO|SET)\b|\.execute\(", source)
    assert sql is None, f"{_rel(path)} holds SQL ({sql.group(0)!r}); move it into the library"


@pytest.mark.parametrize("path", MODULES, ids=_rel)
def test_library_never_prints_or_exits(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in ("print", "exit", "quit"), f"{_rel(path)} calls {node.func.id}()"
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            assert (node.value.id, node.attr) != ("sys", "exit"), f"{_rel(path)} calls sys.exit"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _graph() -> dict[str, set[str]]:
    """Module -> the pipeline modules it imports (any import, lazy ones included).

    A package's ``__init__`` that re-exports its submodules is a facade, not a layer: an
    import of ``pipeline.embed`` from outside counts as an import of what it re-exports.
    """
    modules = {_module_name(p): p for p in MODULES}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets: set[str] = set()
        for node in _import_nodes(path):
            if isinstance(node, ast.Import):
                wanted = [alias.name for alias in node.names]
            elif node.module and node.level == 0:
                wanted = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                continue
            targets |= {w for w in wanted if w in modules and w != name}
        graph[name] = targets
    # a facade's importers depend on the submodules it re-exports, not on the facade
    for name, path in modules.items():
        if path.name == "__init__.py":
            for other, targets in graph.items():
                if name in targets and not other.startswith(name + "."):
                    targets.discard(name)
                    targets |= graph[name]
    return graph


def test_no_import_circles_in_the_library() -> None:
    graph = _graph()
    circles: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph[node]):
            if target.startswith(node + "."):
                continue  # a package importing its own submodules is not a circle
            if state.get(target) == 1:
                circles.append(trail[trail.index(target):] + [target])
            elif target not in state:
                visit(target, trail + [target])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not circles, "import circles: " + "; ".join(" -> ".join(c) for c in circles)


@pytest.mark.parametrize("path", MODULES, ids=_rel)
def test_public_surface_is_honest(path: Path) -> None:
    """Every name a module lists in __all__ exists in it."""
    import importlib

    module = importlib.import_module(_module_name(path))
    for exported in getattr(module, "__all__", []):
        assert hasattr(module, exported), f"{module.__name__}.__all__ lists {exported!r}, which it does not define"
