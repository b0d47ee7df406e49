"""Zero-shot suggestion quality on AnnoMI, beside the majority and TF-IDF baselines.

Builds a study from AnnoMI-simple.csv (one segment per utterance), suggests codes from
benchmarks/annomi_codebook.yaml with the packaged all-MiniLM-L6-v2, and evaluates the
therapist codes on therapist utterances and the client codes on client utterances
(each gold column says "n/a" for the other speaker; those rows are reported, not scored).
The threshold is 0, so every utterance gets one code per group (forced choice).

    python benchmarks/annomi_suggest.py [--backend torch|onnx|onnx-int8]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _annomi import CODEBOOK, READ, ROLES, require_annomi  # noqa: E402

from cli.study import format_evaluation  # noqa: E402
from pipeline.suggest.evaluate import read_gold  # noqa: E402
from pipeline.study import Study  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="torch", choices=["torch", "onnx", "onnx-int8"])
    args = parser.parse_args()
    source = require_annomi()
    with tempfile.TemporaryDirectory() as tmp:
        with Study.create(Path(tmp) / "annomi", codebook=CODEBOOK) as study:
            study.settings = study.settings.override("segment", unit="row")
            study.settings = study.settings.override("suggest", threshold=0.0, top_k=4)
            study.settings = study.settings.override("embedding", backend=args.backend)
            study.settings = dataclasses.replace(study.settings, roles=ROLES)
            study.ingest([source], read=READ)
            started = time.perf_counter()
            report = study.suggest()
            print(f"suggested {report.segments} utterances in {time.perf_counter() - started:.1f} s "
                  f"(model {report.model}, codebook {report.codebook_version})\n")
            for column in ("main_therapist_behaviour", "client_talk_type"):
                gold = read_gold(source, column, READ.id_columns)
                print(format_evaluation(study.evaluate(gold, column, top_k=2), 2), end="\n\n")


if __name__ == "__main__":
    main()
