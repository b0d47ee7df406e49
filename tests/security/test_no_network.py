"""No text leaves the machine (issue 16, point 5): the whole loop runs in a network
namespace without any interface, not even loopback.

Every command but the Prefect flow commands succeeds there, with the packaged embedding
model; ``run``, ``demo`` and ``serve`` need Prefect's local server on loopback and say so
in one line instead of a traceback.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from offline_loop import FLOWS, steps

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
LOOP = Path(__file__).with_name("offline_loop.py")


def _no_network_prefix() -> list[str]:
    """A new network namespace with no interface up (root: -n; others: a user namespace too)."""
    if shutil.which("unshare") is None:
        pytest.skip("needs `unshare` (util-linux) to cut the network off")
    for prefix in (["unshare", "-n"], ["unshare", "-rn"]):
        if subprocess.run(prefix + ["true"], capture_output=True).returncode == 0:
            return prefix
    pytest.skip("cannot create a network namespace here (needs root or unprivileged user namespaces)")


def test_the_whole_loop_runs_without_any_network(mini_codebook: Path, corpus: Path, tmp_path: Path) -> None:
    prefix = _no_network_prefix()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_API", "HF_", "TRANSFORMERS_"))}
    env["PYTHONPATH"] = str(ROOT)
    probe = "import socket; socket.create_connection(('127.0.0.1', 9), 2)"
    check = subprocess.run(prefix + [sys.executable, "-c", probe], capture_output=True, text=True)
    assert "Network is unreachable" in check.stderr  # not even loopback
    done = subprocess.run(prefix + [sys.executable, str(LOOP), str(tmp_path), str(mini_codebook), str(corpus)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    results = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert [r["command"][0] for r in results] == [s[0] for s in steps(tmp_path, mini_codebook, corpus)]
    for result in results:
        name = " ".join(result["command"][:2])
        if result["command"][0] in FLOWS:
            assert result["exit_code"] == 1, f"{name}: {result['output']}"
            assert "need the loopback network (127.0.0.1) for Prefect's local server" in result["output"], result["output"]
            assert "Traceback" not in result["output"]
        else:
            assert result["exit_code"] == 0, f"{name}: {result['output']}"
    assert "Network is unreachable" not in done.stderr
