"""Carry the two fictional coders' coding onto the review workbooks the current version queues.

The shipped workbooks (ana.xlsx, ben.xlsx) carry the ids of the queues `deductive demo`
writes, and those ids change whenever the suggestions do (a new scoring method, codebook or
model). The coding itself does not change. This script keeps it and moves it onto fresh queues:

    deductive decisions OLD_DEMO --out old.csv      # a demo study made by the version that
                                                    # wrote the current workbooks
    python data/reviews/refresh.py old.csv          # writes data/reviews/ana.xlsx and ben.xlsx

Each segment is matched by its document and character offsets. On the new workbook, a coder
accepts each suggestion of a code they applied to the segment and rejects the others, adds
the codes no suggestion offered (Add code), marks Nothing applies where they applied none
(and either said so or no suggestion is left to reject),
and keeps their memo. Segments the new queue no longer holds are listed at the end; the
coders' decisions on them are not carried (nothing else is changed).
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from flows.demo import DEMO_CODERS, demo_flow, prepare_demo  # noqa: E402
from flows.settings import configure  # noqa: E402
from pipeline.review import layout as L  # noqa: E402
from pipeline.study import Study  # noqa: E402

APPLIED = ("accepted", "added")


def coding_by_span(decisions: pd.DataFrame) -> dict[tuple[str, str, int, int], tuple[set[str], bool, str]]:
    """(coder, document, start, end) -> (codes applied, decided 'nothing applies', memo)."""
    out: dict[tuple[str, str, int, int], tuple[set[str], bool, str]] = {}
    for key, rows in decisions.groupby(["coder", "document", "start", "end"]):
        codes = set(rows.loc[rows["verdict"].isin(APPLIED), "code_id"].dropna())
        memos = [m for m in rows["memo"].fillna("").astype(str) if m.strip()]
        out[(key[0], key[1], int(key[2]), int(key[3]))] = (codes, bool((rows["verdict"] == "none").any()), memos[0] if memos else "")
    return out


def fill(workbook: Path, coder: str, coding: dict, spans: dict[str, tuple[str, int, int]],
         suggestion_codes: dict[str, str], choices: dict[str, str]) -> tuple[int, int]:
    """Write the coder's decisions into a fresh queue workbook; returns (rows filled, rows left blank)."""
    book = load_workbook(workbook)
    sheet = book[L.QUEUE_SHEET]
    headers = {sheet.cell(1, c).value: c for c in range(1, sheet.max_column + 1)}
    filled = blank = overflow = 0
    for r in range(2, sheet.max_row + 1):
        segment = sheet.cell(r, headers[L.SEGMENT_KEY]).value
        if not segment:
            continue
        found = coding.get((coder, *spans[segment]))
        if found is None:
            blank += 1
            continue
        codes, nothing, memo = found
        ids = str(sheet.cell(r, headers[L.SUGGESTIONS_KEY]).value or "").split(L.SUGGESTION_SEPARATOR)
        offered = []
        for slot, sid in enumerate([s for s in ids if s], start=1):
            code = suggestion_codes.get(sid)
            if code is None or L.decision_header(slot) not in headers:
                continue
            offered.append(code)
            sheet.cell(r, headers[L.decision_header(slot)]).value = L.ACCEPT if code in codes else L.REJECT
        added = sorted(codes - set(offered))
        slots = [L.add_header(k) for k in range(1, L.ADD_SLOTS + 1) if L.add_header(k) in headers]
        for header, code in zip(slots, added):
            sheet.cell(r, headers[header]).value = choices[code]
        overflow += max(0, len(added) - len(slots))
        if not codes and (nothing or not offered):  # decided, with no code: keep it decided
            sheet.cell(r, headers[L.NOTHING_HEADER]).value = L.NOTHING_APPLIES
        if memo:
            sheet.cell(r, headers[L.MEMO_HEADER]).value = memo
        filled += 1
    book.save(workbook)
    if overflow:
        print(f"{workbook.name}: {overflow} code(s) did not fit the {L.ADD_SLOTS} Add code slots of their rows")
    return filled, blank


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old_decisions", type=Path, help="`deductive decisions OLD_DEMO --out FILE` of the old demo")
    parser.add_argument("--out", type=Path, default=HERE, help="where to write ana.xlsx and ben.xlsx")
    args = parser.parse_args(argv)
    old = pd.read_csv(args.old_decisions, dtype={"code_id": str, "memo": str})
    coding = coding_by_span(old)
    with tempfile.TemporaryDirectory(prefix="deductive-reviews-") as tmp:
        demo = Path(tmp) / "demo"
        configure(demo, quiet=True)
        prepare_demo(demo)
        demo_flow(demo, None, None)  # the queues `deductive demo` writes, without any review
        with Study(demo) as study:
            segments = study.segments()
            spans = {r["segment_id"]: (r["source_key"], int(r["start"]), int(r["end"])) for r in segments.to_dict("records")}
            book = study.codebook()
            choices = {c.id: L.choice_text(c.label, c.id, tuple(a.label for a in reversed(book.ancestors(c.id))))
                       for c in book.codable}
        with sqlite3.connect(demo / "data" / "study.sqlite") as conn:  # read only: suggestion id -> code
            suggestion_codes = {sid: code for sid, code in conn.execute("SELECT id, code_id FROM suggestions")
                                if code is not None}
        args.out.mkdir(parents=True, exist_ok=True)
        for coder in DEMO_CODERS:
            [queued] = sorted((demo / "data" / "review").glob(f"queue-{coder}-*.xlsx"))
            filled, blank = fill(queued, coder, coding, spans, suggestion_codes, choices)
            target = args.out / f"{coder}.xlsx"
            target.write_bytes(queued.read_bytes())
            missing = len({k for k in coding if k[0] == coder}) - filled
            print(f"{target}: {filled} rows carry {coder}'s coding, {blank} rows {coder} never coded (left blank); "
                  f"{missing} segment(s) {coder} coded are not in the new queue")


if __name__ == "__main__":
    main()
