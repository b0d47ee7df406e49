"""The hostile-inputs table (benchmarks/hostile_inputs.py) as tests: each bad input ends in
its message and exit code, no traceback, and an unchanged store (issue 15)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "hostile_inputs.py"
_spec = importlib.util.spec_from_file_location("hostile_inputs", _PATH)
hostile = importlib.util.module_from_spec(_spec)
sys.modules["hostile_inputs"] = hostile  # dataclasses look their module up there
_spec.loader.exec_module(hostile)  # type: ignore[union-attr]

CASES = hostile.cases()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return hostile.build_template(tmp_path_factory.mktemp("hostile") / "template")


def test_the_table_is_wide_enough() -> None:
    assert len(CASES) >= 60
    assert {c.area for c in CASES} == {"ingest", "codebook", "settings", "workbook", "REFI import", "flows"}


@pytest.mark.parametrize("case", CASES, ids=[f"{c.area}: {c.name}" for c in CASES])
def test_hostile_input(case, template: Path, tmp_path: Path) -> None:
    outcome = hostile.run_case(case, template, tmp_path)
    assert not outcome.traceback, f"a traceback escaped: {outcome.line}"
    assert outcome.line != "(message not found)", f"expected a message matching {case.message!r}"
    assert outcome.exit_code == case.exit_code
    assert outcome.integrity == "ok"
    assert outcome.store_ok, f"the store should be {case.store}"
