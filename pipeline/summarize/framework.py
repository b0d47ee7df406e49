"""Framework matrices (the Framework Method): per top-level domain, cases x codes of quotes.

Each cell holds the quotes coded with that code in that case, each with its reference
(document, speaker, location, decision ids), so a summary written beside it can be
checked against the data. Top-level codes with no codes below them share one sheet.
"""

from __future__ import annotations

import pandas as pd

from pipeline.summarize.matrices import code_order, sorted_cases
from pipeline.summarize.source import SummaryCoding

__all__ = ["reference", "domains", "framework_matrix", "evidence_table", "UNGROUPED", "CELL_LIMIT"]

UNGROUPED = "(top-level codes)"
CELL_LIMIT = 30000  # Excel holds 32,767 characters in a cell; keep room for the note


def reference(row: pd.Series | dict) -> str:
    """Where a quote is: document, speaker, page or time, character offsets."""
    parts = [str(row["document"])]
    if isinstance(row.get("speaker"), str) and row["speaker"]:
        parts.append(row["speaker"])
    if pd.notna(row.get("page")) and row.get("page") not in (None, ""):
        parts.append(f"p. {int(row['page'])}")
    if isinstance(row.get("timestamp"), str) and row["timestamp"]:
        parts.append(row["timestamp"])
    parts.append(f"chars {int(row['start'])}-{int(row['end'])}")
    return ", ".join(parts)


def domains(coding: SummaryCoding) -> dict[str, list[str]]:
    """Top-level code -> the codes below it (depth first); childless roots go together."""
    book = coding.codebook
    out: dict[str, list[str]] = {}
    order = code_order(book)
    for code in order:
        chain = book.ancestors(code)
        root = chain[-1].id if chain else code
        if chain:
            out.setdefault(root, []).append(code)
        elif not book.children(code):
            out.setdefault(UNGROUPED, []).append(code)
    return out


def evidence_table(coding: SummaryCoding) -> pd.DataFrame:
    """One row per code applied to a segment: the decisions behind every number."""
    book = coding.codebook
    position = {c: i for i, c in enumerate(code_order(book))}
    table = coding.applied.merge(coding.segments, on="segment_id")
    table["position"] = table["code_id"].map(position)
    table = table.sort_values(["case", "position", "document", "seq"]).reset_index(drop=True)
    table["label"] = table["code_id"].map(lambda c: book.get(c).label)
    table["rolls_up_to"] = table["code_id"].map(lambda c: ";".join(a.id for a in book.ancestors(c)))
    table["reference"] = [reference(r) for r in table.to_dict("records")]
    return table[["case", "code_id", "label", "rolls_up_to", "document", "speaker", "informant", "start", "end",
                  "reference", "decision_ids", "coders", "verdicts", "segment_id", "text"]]


def framework_matrix(coding: SummaryCoding, evidence: pd.DataFrame, codes: list[str], per_cell: int = 8) -> pd.DataFrame:
    """Rows cases, columns codes; each cell the quotes (document order) with references."""
    cases = sorted_cases(coding.segments["case"])
    # Each evidence row also counts for the codes above it (a construct's quotes fill its domain's column).
    rows = evidence.assign(target=evidence["code_id"] + ";" + evidence["rolls_up_to"])
    rows = rows.assign(target=rows["target"].str.split(";")).explode("target")
    rows = rows[rows["target"].isin(codes)].drop_duplicates(["target", "segment_id"])
    groups = {key: part for key, part in rows.groupby(["target", "case"], sort=False)}
    empty = evidence.iloc[0:0]
    cells = {code: {case_name: _cell(groups.get((code, case_name), empty), per_cell) for case_name in cases}
             for code in codes}
    return pd.DataFrame(cells, index=cases, columns=codes)


def _cell(rows: pd.DataFrame, per_cell: int) -> str:
    quotes = [f"\u201c{r['text'].strip()}\u201d ({r['reference']}; decision {r['decision_ids']})"
              for r in rows.head(per_cell).to_dict("records")]
    if len(rows) > per_cell:
        quotes.append(f"... and {len(rows) - per_cell} more (see the Evidence sheet)")
    text = "\n\n".join(quotes)
    if len(text) > CELL_LIMIT:
        text = text[:CELL_LIMIT] + "\n... (cut: see the Evidence sheet)"
    return text
