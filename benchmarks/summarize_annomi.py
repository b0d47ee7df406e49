"""Summarize AnnoMI's gold labels (one coder) by mi_quality and print what it took.

    python benchmarks/summarize_annomi.py
"""

from __future__ import annotations

import dataclasses

import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _annomi import CODEBOOK, READ, ROLES, require_annomi  # noqa: E402

from pipeline.review import ImportOptions, import_decisions  # noqa: E402
from pipeline.study import Study  # noqa: E402
from pipeline.summarize import SummaryOptions, summarize, write_summary  # noqa: E402


def main() -> None:
    source = require_annomi()
    frame = pd.read_csv(source, dtype=str, keep_default_na=False)
    frame["code"] = frame["main_therapist_behaviour"].where(frame["interlocutor"] == "therapist", frame["client_talk_type"])
    with tempfile.TemporaryDirectory() as tmp:
        labels = Path(tmp) / "gold.csv"
        frame[["transcript_id", "utterance_id", "code"]].to_csv(labels, index=False)
        with Study.create(Path(tmp) / "annomi", codebook=CODEBOOK) as study:
            study.settings = dataclasses.replace(study.settings.override("segment", unit="row"), roles=ROLES)
            study.ingest([source], read=READ)
            import_decisions(study, labels, ImportOptions(code_column="code", coder="gold",
                                                          id_columns=("transcript_id", "utterance_id")))
            started = time.perf_counter()
            summary = summarize(study, SummaryOptions(by=("mi_quality",)))
            built = time.perf_counter() - started
            files = write_summary(summary, Path(tmp) / "out")
            written = time.perf_counter() - started - built
            sizes = files.workbook.stat().st_size / 1e6, files.report.stat().st_size / 1e6
    print(f"cases {frame['transcript_id'].nunique()}, segments {len(frame)}, codes applied {len(summary.coding.applied)}")
    print(f"summarize {built:.1f} s (tables and charts), write {written:.1f} s (xlsx {sizes[0]:.1f} MB, html {sizes[1]:.1f} MB)")
    table = summary.groups[0].comparison
    for row in table.dropna(subset=["difference"]).to_dict("records"):
        print(f"  {row['code_id']:<20} high {row['share: high']:.3f} low {row['share: low']:.3f} "
              f"diff {row['difference']:+.3f} [{row['ci_low']:+.3f}, {row['ci_high']:+.3f}] p {row['p']:.3g}")


if __name__ == "__main__":
    main()
