"""Audit: coder consistency on the segments all compared coders decided.

    result = audit(study, AuditOptions(coders=("ana", "ben"), include_model=True))
    write_outputs(result, Path("audit"))      -> audit.xlsx, disagreements.xlsx, audit.html, ...
    resolve(study, "disagreements.xlsx")      -> resolutions become decisions of 'consensus'
    merge_into(study, ("ana", "ben", "cy"), ("at_least", 2))  -> a merged coder

Modules: sample (who decided what; the shared sample), stats (agreement via
pipeline.reliability), disagreements, merge, drift, charts, report (HTML, terminal),
excel (the workbooks, through pipeline.sheets), result (runs it all, writes the files).
"""

from pipeline.audit.disagreements import Disagreement, ResolveReport, find_disagreements, resolve
from pipeline.audit.merge import MergeReport, merge_into, merged_labels
from pipeline.audit.report import html_section, terminal_table
from pipeline.audit.result import AuditResult, audit, write_outputs
from pipeline.audit.sample import CONSENSUS, MODEL_PREFIX, AuditOptions, Coding, load_coding

__all__ = [
    "AuditOptions", "Coding", "load_coding", "CONSENSUS", "MODEL_PREFIX",
    "AuditResult", "audit", "write_outputs", "html_section", "terminal_table",
    "Disagreement", "find_disagreements", "ResolveReport", "resolve",
    "MergeReport", "merge_into", "merged_labels",
]
