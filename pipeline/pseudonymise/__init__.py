"""Pseudonymisation: find identifiers, let the researcher review them, replace them with
study-wide codes as new document versions, and keep the key apart.

    detect     rules, the study's names and the model -> mentions linked to entities
    workbook   the review workbook (openpyxl) and re-identified report workbooks
    apply      replacing spans, mapping block offsets, restoring codes
    key        the key file outside the study folder
    stage      propose / apply_review over a Study
    reidentify restore codes in a report for the key holder

Pseudonymisation is assisted, not guaranteed: the review is part of the method.
"""

from pipeline.pseudonymise.reidentify import reidentify
from pipeline.pseudonymise.stage import ApplyReport, ProposeReport, apply_review, default_workbook, propose

__all__ = ["propose", "apply_review", "reidentify", "ProposeReport", "ApplyReport", "default_workbook"]
