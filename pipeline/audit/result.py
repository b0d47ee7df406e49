"""Run the whole audit and hold its results; write them as Excel, HTML and JSON."""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from pipeline.audit.charts import kappa_chart
from pipeline.audit.disagreements import Disagreement, find_disagreements
from pipeline.audit.drift import RULE, batch_rates, drift_table
from pipeline.audit.sample import AuditOptions, Coding, load_coding
from pipeline.audit.stats import Agreement, agreement
from pipeline.errors import InputError
from pipeline.reliability import Bootstrap

if TYPE_CHECKING:
    from pipeline.study import Study

__all__ = ["AuditResult", "audit", "write_outputs"]


@dataclass(frozen=True)
class AuditResult:
    coding: Coding
    agreement: Agreement
    disagreements: list[Disagreement]
    drift: pd.DataFrame
    batches: pd.DataFrame
    options: AuditOptions
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """Everything as JSON-ready values (NaN and infinity become null)."""
        c, a = self.coding, self.agreement
        return _clean({
            "study_codebook": {"name": c.codebook.name, "version": c.codebook.version},
            "coders": list(c.coders), "run_id": c.run_id, "sample_segments": len(c.sample),
            "codes": list(c.codes), "bootstrap": {"replicates": self.options.bootstrap, "seed": self.options.seed},
            "overall": {**vars(a.overall), "masi_alpha_low": a.masi_low, "masi_alpha_high": a.masi_high},
            "per_code": a.per_code.to_dict("records"), "groups": a.groups.to_dict("records"),
            "model_vs_coders": a.model_pairs.to_dict("records"),
            "disagreements": [{"segment_id": d.segment_id, "case": d.case, "document": d.document,
                               "codes": {k: list(v) for k, v in d.codes.items()}, "memos": d.memos}
                              for d in self.disagreements],
            "drift": {"rule": RULE, "rates": self.drift.to_dict("records"),
                      "by_batch": self.batches.to_dict("records")},
            "warnings": list(c.warnings), "seconds": self.seconds,
        })


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return _clean(value.item())
    return value


def audit(study: "Study", options: AuditOptions) -> AuditResult:
    """Compare the coders of ``options`` on the segments all of them decided."""
    if options.bootstrap < 0:
        raise InputError(f"--bootstrap must be 0 (no intervals) or a positive number of replicates, got {options.bootstrap}")
    started = time.perf_counter()
    coding = load_coding(study, options)
    boot = Bootstrap(n_boot=options.bootstrap, seed=options.seed) if options.bootstrap else None
    return AuditResult(coding, agreement(coding, boot), find_disagreements(coding), drift_table(coding),
                       batch_rates(coding), options, time.perf_counter() - started)


def write_outputs(result: AuditResult, out: Path) -> dict[str, Path]:
    """audit.xlsx, audit.html, audit.json, kappa.png and disagreements.xlsx in ``out``."""
    from pipeline.audit.excel import write_audit_workbook, write_disagreements_workbook
    from pipeline.audit.report import html_page

    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"--out {out}: cannot create the folder ({exc})") from exc
    chart = kappa_chart(result.agreement.per_code)
    paths = {"workbook": out / "audit.xlsx", "disagreements": out / "disagreements.xlsx",
             "html": out / "audit.html", "json": out / "audit.json", "chart": out / "kappa.png"}
    write_audit_workbook(paths["workbook"], result, chart)
    write_disagreements_workbook(paths["disagreements"], result.disagreements, result.coding)
    paths["html"].write_text(html_page(result, chart), encoding="utf-8")
    paths["json"].write_text(json.dumps(result.to_dict(), indent=2, ensure_ascii=False), encoding="utf-8")
    paths["chart"].write_bytes(chart)
    return paths
