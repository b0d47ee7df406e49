"""Run the whole audit (``audit``) and write its files (``write_outputs``)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.audit.charts import kappa_chart
from pipeline.audit.disagreements import find_disagreements
from pipeline.audit.drift import batch_rates, drift_table
from pipeline.audit.result import AuditResult
from pipeline.audit.sample import AuditOptions, load_audit_sample
from pipeline.progress import report
from pipeline.audit.stats import agreement
from pipeline.errors import InputError
from pipeline.reliability import Bootstrap

if TYPE_CHECKING:
    from pipeline.context import StudyContext

__all__ = ["audit", "write_outputs"]


def audit(study: "StudyContext", options: AuditOptions) -> AuditResult:
    """Compare the coders of ``options`` on the segments all of them decided."""
    if options.bootstrap < 0:
        raise InputError(f"--bootstrap must be 0 (no intervals) or a positive number of replicates, got {options.bootstrap}")
    started = time.perf_counter()
    report("audit", 0, 3)
    coding = load_audit_sample(study, options)
    boot = Bootstrap(n_boot=options.bootstrap, seed=options.seed) if options.bootstrap else None
    report("audit", 1, 3)  # the agreement (with its bootstrap) is the long step
    stats = agreement(coding, boot)
    report("audit", 2, 3)
    result = AuditResult(coding, stats, find_disagreements(coding), drift_table(coding),
                         batch_rates(coding), options, time.perf_counter() - started)
    report("audit", 3, 3)
    return result


def write_outputs(result: AuditResult, out: Path) -> dict[str, Path]:
    """audit.xlsx, audit.html, audit.json, kappa.png and disagreements.xlsx in ``out``."""
    # imported here so that `import pipeline.audit` does not load openpyxl (command-line start-up)
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
