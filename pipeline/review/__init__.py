"""Review: the Excel loop in which coders confirm suggestions.

    queue(study, QueueOptions(coder="ana"))          -> workbooks written and recorded
    confirm(study, "returned.xlsx")                  -> decisions appended to the log
    decision_table(study, coder="ana")               -> current decisions as a DataFrame
    import_decisions(study, "gold.csv", ImportOptions(...))  -> coding done elsewhere

Modules: layout (column names and vocabulary), selection (which segments, SQL only),
workbook (writes and reads the workbook through pipeline.sheets), instructions (the help sheet), queue,
confirm, log (the append-only decision log), decisions (tables in and out).
"""

from pipeline.review.confirm import ConfirmReport, confirm
from pipeline.review.decisions import ImportOptions, ImportReport, decision_table, import_decisions
from pipeline.review.queue import QueuedWorkbook, queue
from pipeline.review.selection import QueueOptions

__all__ = [
    "QueueOptions", "QueuedWorkbook", "queue",
    "ConfirmReport", "confirm",
    "decision_table", "ImportOptions", "ImportReport", "import_decisions",
]
