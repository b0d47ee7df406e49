"""The README's Python API example runs as written (on a small study of its own)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest


ROOT = Path(__file__).resolve().parents[1]
TRANSCRIPT = """I: How did the programme start?

P3: The board decided in May and we had to find nurses. The training was short.

I: And how is it going now?

P3: The dashboard is slow, but the team helps each other and the alerts come in on time.
"""


def _example() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Python API", 1)[1]
    return re.search(r"```python\n(.*?)```", section, flags=re.S).group(1)


@pytest.mark.integration  # the example uses the study's default, the packaged model
def test_the_readme_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "codebook").mkdir()
    shutil.copy(ROOT / "codebook" / "cfir2.yaml", tmp_path / "codebook" / "cfir2.yaml")
    for case in ("alpha", "beta"):
        (tmp_path / "interviews" / case).mkdir(parents=True)
        (tmp_path / "interviews" / case / "interview.txt").write_text(TRANSCRIPT, encoding="utf-8")
    (tmp_path / "interviews" / "cases.csv").write_text("case,country\nalpha,UK\nbeta,Norway\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(_example(), "README.md", "exec"), namespace)  # noqa: S102 - our own README
    workbook = namespace["workbook"]
    assert Path(workbook.path).is_file() and workbook.coder == "alice"
    assert (tmp_path / "my-study" / "data" / "summary" / "summary.html").is_file()
