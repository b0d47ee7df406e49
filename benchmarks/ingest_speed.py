"""Ingest AnnoMI-simple.csv as tabular input and print what was stored and how fast.

    python benchmarks/ingest_speed.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _annomi import READ, require_annomi  # noqa: E402

from pipeline.study import Study  # noqa: E402


def main() -> None:
    source = require_annomi()
    with tempfile.TemporaryDirectory() as tmp:
        with Study.create(Path(tmp) / "annomi") as study:
            study.settings = study.settings.override("segment", unit="row")
            started = time.perf_counter()
            report = study.ingest([source], read=READ)
            seconds = time.perf_counter() - started
            status = study.status()
            cases = study.cases()
            again_started = time.perf_counter()
            again = study.ingest([source], read=READ)
            again_seconds = time.perf_counter() - again_started
    assert report.ok, report.failed
    print(f"file        {source.name} ({source.stat().st_size / 1e6:.1f} MB)")
    print(f"documents   {status['documents']}")
    print(f"segments    {status['segments']}")
    print(f"cases       {status['cases']}")
    print(f"attributes  case attributes: {', '.join(c for c in cases.columns if c != 'case')}")
    print(f"seconds     {seconds:.2f} ({status['segments'] / seconds:,.0f} segments/s)")
    print(f"re-ingest   {again_seconds:.2f} s, statuses: {sorted({o.status for o in again.outcomes})}")


if __name__ == "__main__":
    main()
