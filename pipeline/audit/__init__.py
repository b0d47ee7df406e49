"""Audit: coder consistency on the segments all compared coders decided.

    result = audit(study, AuditOptions(coders=("ana", "ben"), include_model=True))
    write_outputs(result, Path("audit"))      -> audit.xlsx, disagreements.xlsx, audit.html, ...
    resolve(study, "disagreements.xlsx")      -> resolutions become decisions of 'consensus'
    merge_into(study, ("ana", "ben", "cy"), ("at_least", 2))  -> a merged coder

Modules, lowest first: sample (who decided what; the shared sample), stats (agreement
via pipeline.reliability), disagreements (where coders differ; the sheet's layout),
drift, charts, result (the AuditResult), report (HTML, terminal), excel (the workbooks,
through pipeline.sheets), run (runs it all, writes the files), resolve (reads the
disagreements workbook back), merge (a merged coder).
"""

from pipeline.audit.disagreements import Disagreement, find_disagreements
from pipeline.audit.merge import MergeReport, merge_into, merged_labels
from pipeline.audit.report import html_section, terminal_table
from pipeline.audit.resolve import ResolveReport, resolve
from pipeline.audit.result import AuditResult
from pipeline.audit.run import audit, write_outputs
from pipeline.audit.sample import CONSENSUS, MODEL_PREFIX, AuditOptions, AuditSample, load_audit_sample

__all__ = [
    "AuditOptions", "AuditSample", "load_audit_sample", "CONSENSUS", "MODEL_PREFIX",
    "AuditResult", "audit", "write_outputs", "html_section", "terminal_table",
    "Disagreement", "find_disagreements", "ResolveReport", "resolve",
    "MergeReport", "merge_into", "merged_labels",
]
