"""The audit's results as one frozen object, and their JSON-ready form.

Built by pipeline.audit.run; read by the writers (excel, report), so it sits below them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from pipeline.audit.disagreements import Disagreement
from pipeline.audit.drift import RULE
from pipeline.audit.sample import AuditOptions, AuditSample
from pipeline.audit.stats import Agreement

__all__ = ["AuditResult"]


@dataclass(frozen=True)
class AuditResult:
    coding: AuditSample
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
