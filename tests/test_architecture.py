"""The layering, enforced.

    cli/       the command line: may import flows/ and pipeline/
    flows/     Prefect orchestration: may import pipeline/, never cli/; holds no SQL
    pipeline/  the library: imports neither flows/, cli/ nor prefect

Callers (cli/, flows/) reach the library through ``pipeline.study.Study``: they never
touch ``study.store`` and import from the stages only types, options and constants (plus
a few pure steps that touch no study). Inside the library, no module imports the Study
(stages are typed against ``pipeline.context.StudyContext``), each heavy third-party
library is imported by the one module that wraps it, and no two modules import each
other (directly or round a longer circle).
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PIPELINE = ROOT / "pipeline"

# library -> the only module(s) allowed to import it
OWNERS = {
    # the segmenter, and the named-entity model of pseudonymisation (issue 19)
    "spacy": {"segment.py", "pseudonymise/ner.py"},
    "sentence_transformers": {"embed/torch_backend.py", "suggest/finetune.py"},  # finetune: learn --fine-tune trains the model
    "onnxruntime": {"embed/onnx_backend.py", "embed/onnx_export.py"},  # running; exporting and quantising
    "tokenizers": {"embed/onnx_backend.py"},
    "openvino": {"embed/openvino_backend.py"},  # the openvino-bf16 backend
    "transformers": {"embed/bf16_backend.py", "embed/onnx_export.py"},  # bfloat16 backend; exporting to ONNX
    # every workbook cell is written through the one spreadsheet toolkit (no formula from outside text)
    "openpyxl": {"sheets.py"},
    "xlsxwriter": {"sheets_stream.py"},  # large workbooks row by row, under the same cell rules
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


# ---------------------------------------------------------------------------- the callers' seam

CALLERS = _files("cli") + _files("flows")
# Pure steps a caller may call directly: they touch no study (a file, a worker's model, a result).
PURE_STEPS = {
    "pipeline.ingest.stage": {"discover", "parse_candidate"},
    "pipeline.audit": {"terminal_table"},
    "pipeline.suggest.evaluate": {"read_gold"},
    "pipeline.interchange.codebooks": {"import_codebook"},  # file to file when no study is given
    "pipeline.outputs": {"code_digest", "record_outputs", "saved_outputs"},
    "pipeline.embed": {"load_embedder", "resolve_model"},
    "pipeline.embed.cache": {"embedding_key"},  # a flow task's cache key
}
# Modules whose functions are the library's own business; callers go through the Study.
STAGES = ("pipeline.review", "pipeline.summarize", "pipeline.audit", "pipeline.ingest.stage", "pipeline.suggest",
          "pipeline.interchange", "pipeline.outputs", "pipeline.documents", "pipeline.embed.cache", "pipeline.store")


def _graph_of(path: Path) -> set[str]:
    """Dotted names of every module imported by ``path`` (lazy and TYPE_CHECKING ones included)."""
    names = set()
    for node in _import_nodes(path):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_library_module_imports_the_study() -> None:
    importers = [_module_name(p) for p in MODULES if p.name != "study.py" and "pipeline.study" in _graph_of(p)]
    assert not importers, f"{importers} import pipeline.study; type the study as pipeline.context.StudyContext"


@pytest.mark.parametrize("path", CALLERS, ids=_rel)
def test_callers_go_through_the_study(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert not re.search(r"\bstudy\.store\b", source), f"{_rel(path)} reaches into study.store; add a Study method"
    for node in _import_nodes(path):
        if not isinstance(node, ast.ImportFrom) or not node.module or not node.module.startswith(STAGES):
            continue
        for alias in node.names:
            name = alias.name
            is_type_or_constant = name[:1].isupper()
            allowed = name in PURE_STEPS.get(node.module, set())
            assert is_type_or_constant or allowed, (
                f"{_rel(path)} imports {node.module}.{name}; call the Study method instead "
                f"(or list it in PURE_STEPS if it touches no study)")


def test_make_benchmarks_runs_every_benchmark() -> None:
    """Every script under benchmarks/ (helpers start with '_') is in the Makefile's list."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    listed = re.search(r"^BENCHMARKS := (.*?)\n\n", makefile, re.S | re.M)
    assert listed, "the Makefile has no BENCHMARKS list"
    names = set(listed.group(1).replace("\\", " ").split())
    scripts = {p.stem for p in (ROOT / "benchmarks").glob("*.py") if not p.name.startswith("_")}
    assert scripts <= names, f"benchmarks not run by `make benchmarks`: {sorted(scripts - names)}"


def test_every_benchmark_script_imports() -> None:
    """Each benchmark script's imports still resolve (benchmarks/annomi_ceiling.py once imported a
    module that had been removed, and `make benchmarks` would have stopped there). Importing
    runs no benchmark: every script runs under ``if __name__ == "__main__"`` only."""
    scripts = sorted(p.stem for p in (ROOT / "benchmarks").glob("*.py") if not p.name.startswith("_"))
    code = ("import importlib, sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]; "
            "[importlib.import_module(name) for name in sys.argv[3:]]")
    done = subprocess.run([sys.executable, "-c", code, str(ROOT / "benchmarks"), str(ROOT), *scripts],
                          capture_output=True, text=True, timeout=300, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    for name in scripts:
        text = (ROOT / "benchmarks" / f"{name}.py").read_text(encoding="utf-8")
        assert 'if __name__ == "__main__":' in text, f"{name}.py runs on import"
