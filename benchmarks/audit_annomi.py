"""Audit timings on AnnoMI: the seven transcripts all ten annotators coded, as ten coders.

Builds a study from AnnoMI-full.csv (428 utterances, 10 coders, the AnnoMI codebook of
benchmarks/annomi_codebook.yaml), then times, in one run: reading the shared sample alone
(the baseline every audit pays), the audit without intervals, with 100 and with the
default 500 bootstrap replicates, and writing the files. Also prints the per-code Fleiss'
kappa range and the MASI alpha with its interval.

    python benchmarks/audit_annomi.py
"""

from __future__ import annotations

import csv
import os
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.audit import AuditOptions, load_audit_sample  # noqa: E402
from pipeline.review import ImportOptions  # noqa: E402
from pipeline.study import Study  # noqa: E402

SHARED = Path(os.environ.get("DEDUCTIVE_SHARED") or ROOT.parent / "shared")  # as in tests/shared_data.py
ANNOMI_FULL = SHARED / "benchmarks" / "annomi" / "AnnoMI-full.csv"
CODEBOOK = ROOT / "benchmarks" / "annomi_codebook.yaml"
FIELDS = {"therapist": "main_therapist_behaviour", "client": "client_talk_type"}
KEYS = ("transcript_id", "utterance_id")


def ten_coder_rows() -> pd.DataFrame:
    if not ANNOMI_FULL.exists():
        sys.exit(f"needs {ANNOMI_FULL} (the shared AnnoMI benchmark data beside the repository)")
    with ANNOMI_FULL.open(newline="", encoding="utf-8") as handle:  # pandas mis-reads some rows
        rows = pd.DataFrame(list(csv.DictReader(handle)))
    per_transcript = rows.groupby("transcript_id")["annotator_id"].nunique()
    rows = rows[rows["transcript_id"].isin(per_transcript[per_transcript == 10].index)].copy()
    rows["code"] = [r[FIELDS[r["interlocutor"]]] for r in rows.to_dict("records")]
    rows["annotator_id"] = "annotator " + rows["annotator_id"]
    return rows


def build(rows: pd.DataFrame, folder: Path) -> Path:
    rows.drop_duplicates(list(KEYS))[[*KEYS, "interlocutor", "utterance_text"]].to_csv(folder / "utt.csv", index=False)
    rows[[*KEYS, "annotator_id", "code"]].to_csv(folder / "coding.csv", index=False)
    with Study.create(folder / "study", codebook=CODEBOOK) as study:
        study.settings = study.settings.override("segment", unit="row")
        study.ingest([folder / "utt.csv"], read=study.read_options(
            text_column="utterance_text", id_columns=KEYS, case_column="transcript_id", speaker_column="interlocutor"))
        study.import_decisions(folder / "coding.csv", ImportOptions(code_column="code", id_columns=KEYS,
                                                                     coder_column="annotator_id"))
    return folder / "study"


def timed(action):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    value = action()
    return value, time.perf_counter() - started


def main() -> None:
    rows = ten_coder_rows()
    with tempfile.TemporaryDirectory() as tmp, Study(build(rows, Path(tmp))) as study:
        sample, load_s = timed(lambda: load_audit_sample(study, AuditOptions()))
        print(f"sample: {len(sample.sample)} utterances decided by all {len(sample.coders)} coders, "
              f"{len(sample.codes)} codes")
        print(f"  reading the sample alone (baseline): {load_s:.2f} s")
        result = None
        for replicates in (0, 100, 500):
            result, seconds = timed(lambda r=replicates: study.audit(AuditOptions(bootstrap=r)))
            print(f"  audit, --bootstrap {replicates:>3}: {seconds:6.2f} s")
        _, write_s = timed(lambda: study.write_audit(result, Path(tmp) / "out"))
        print(f"  writing the files (500 replicates): {write_s:.2f} s")
        per_code = result.agreement.per_code.dropna(subset=["kappa"])
        low, high = per_code.loc[per_code["kappa"].idxmin()], per_code.loc[per_code["kappa"].idxmax()]
        overall = result.agreement
        print(f"per-code Fleiss' kappa from {low['kappa']:.2f} ({low['label']}) to {high['kappa']:.2f} ({high['label']}); "
              f"MASI alpha {overall.overall.masi_alpha:.2f} [{overall.masi_low:.2f}, {overall.masi_high:.2f}]")


if __name__ == "__main__":
    main()
