"""The slow flow tests: a local Dask cluster, and the demo with the network cut off."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from pipeline.study import Study

pytestmark = pytest.mark.integration


def _outputs(study_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    with Study(study_dir) as study:
        docs = study.documents().drop(columns=["source_path", "ingested_at"])
        shown = study.suggestions()[["segment_id", "case", "document", "text", "code", "score", "rank", "raw_score"]]
    return docs.reset_index(drop=True), shown.reset_index(drop=True)


@pytest.mark.usefixtures("prefect_server")
def test_dask_cluster_of_two_workers_matches_one_process(fake_settings: Path, corpus: Path, tmp_path: Path) -> None:
    from flows.code_study import run_code_study

    other = tmp_path / "other"
    shutil.copytree(fake_settings, other)
    single = run_code_study(fake_settings, paths=[corpus])
    dask = run_code_study(other, paths=[corpus], dask_workers=2)
    assert single.ok and dask.ok and dask.embed_batches >= 1
    for left, right in zip(_outputs(fake_settings), _outputs(other)):
        pd.testing.assert_frame_equal(left, right)


def _offline_prefix() -> list[str]:
    """Run a command in a new network namespace that has only loopback (or skip)."""
    probe = subprocess.run(["unshare", "-rn", "sh", "-c", "ip link set lo up"], capture_output=True)
    if shutil.which("unshare") is None or probe.returncode != 0:
        pytest.skip("needs `unshare -rn` (user and network namespaces) to cut the network off")
    return ["unshare", "-rn", "sh", "-c", 'ip link set lo up && exec "$@"', "offline"]


def test_demo_runs_with_the_network_cut_off(tmp_path: Path) -> None:
    target = tmp_path / "demo"
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect-home")}
    for key in ("PREFECT_API_URL", "PREFECT_PROFILE"):
        env.pop(key, None)  # the demo must start its own local server, not reach for one
    script = Path(sys.executable).parent / "deductive"
    if not script.exists():
        pytest.skip(f"needs the installed `deductive` command beside {sys.executable}")
    command = [str(script), "demo", str(target), "--model", "fake"]
    done = subprocess.run(_offline_prefix() + command, capture_output=True, text=True, env=env, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "where to look:" in done.stdout
    assert "were not imported" in done.stdout  # the coders' workbooks need the packaged model
    assert (target / "data" / "summary" / "summary.xlsx").is_file()
    assert list((target / "data" / "review").glob("*.xlsx"))
    for symptom in ("Network is unreachable", "ConnectError", "telemetry"):
        assert symptom not in done.stderr, done.stderr[-3000:]
