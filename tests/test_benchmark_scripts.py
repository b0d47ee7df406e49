"""The speed benchmarks still run end to end on a few AnnoMI rows.

They are not run by the suite otherwise (`make benchmarks` is slow), and a change elsewhere
can break one quietly: speaker scopes once stopped three of them at the scope check. Sizes
here are tiny; the figures they print are not checked, only that each script finishes and
prints its result lines.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from shared_data import SHARED, shared_file

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.integration


def run_script(name: str, *args: str) -> str:
    shared_file("benchmarks", "annomi", "AnnoMI-simple.csv")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DEDUCTIVE_SHARED": str(SHARED), "HF_HUB_OFFLINE": "1",
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / name), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{name} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def test_annomi_end_to_end_runs_the_whole_loop_through_the_cli() -> None:
    out = run_script("annomi_end_to_end.py", "--limit", "40")
    # each step prints its process's last line: suggest's may be a note, so check the steps ran
    assert all(f"  {step} " in out for step in ("init", "ingest", "suggest", "queue"))
    assert "every segment in scope was queued" in out and "warm re-run" in out


def test_suggest_speed_compares_every_backend_with_torch() -> None:
    out = run_script("suggest_speed.py", "--n", "30", "--repeat", "1")
    assert "suggest stage (onnx)" in out and re.search(r"onnx-int8 +vs torch", out)


def test_backend_quality_compares_each_backend_with_torch_on_a_benchmark() -> None:
    out = run_script("backend_quality.py", "--only", "annomi-counsellor", "--limit", "300", "--backends", "onnx")
    assert re.search(r"annomi-counsellor +onnx +[0-9.]+ +\+0\.000 +100\.0%", out)  # the same vectors as torch
    assert re.search(r"onnx +100\.0% +\+0\.000 +within the limits", out)


def test_int8_recipes_scores_quality_against_the_gold_codes() -> None:
    out = run_script("int8_recipes.py", "--n", "30", "--rounds", "1", "--recipes", "fp32")
    assert "fp32" in out and "kappa" in out


def test_queue_speed_compares_the_queue_with_a_baseline_commit() -> None:
    # HEAD: present in a shallow clone too (the default baseline commit may not be)
    out = run_script("queue_speed.py", "--limit", "40", "--rounds", "1", "--fake", "--baseline", "HEAD")
    assert "whole study" in out and "2,000 by score" in out and "x faster" in out


def test_fit_sample_cost_times_the_fit_sentences() -> None:
    out = run_script("fit_sample_cost.py", "--limit", "40")
    assert "(a) embed every segment" in out and "fit test's extra cost" in out
