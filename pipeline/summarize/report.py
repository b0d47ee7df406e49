"""The summary as one self-contained HTML page (charts embedded as PNG data URIs)."""

from __future__ import annotations

import base64
import html
from pathlib import Path

import pandas as pd

from pipeline.errors import StudyError
from pipeline.summarize.cooccurrence import top_pairs
from pipeline.summarize.matrices import ALL_CASES, wide
from pipeline.summarize.source import UNCONFIRMED
from pipeline.summarize.summary import Summary

__all__ = ["render_report", "write_report"]

MAX_TABLE_CASES = 60
MAX_GROUP_ROWS = 30
CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#1f4e78;color:#fff;padding:18px 28px}
header h1{margin:0 0 4px;font-size:22px} header p{margin:2px 0;opacity:.9;font-size:13px}
.warn{background:#c00000;color:#fff;font-weight:700;padding:8px 28px;position:sticky;top:0;z-index:2}
main{padding:8px 28px 40px;max-width:1400px}
section{background:#fff;border:1px solid #e3e3e3;border-radius:6px;padding:14px 18px;margin:16px 0}
h2{font-size:17px;color:#1f4e78;margin:0 0 8px} h3{font-size:14px;margin:14px 0 6px}
.badge{background:#c00000;color:#fff;font-size:11px;border-radius:3px;padding:2px 6px;margin-left:8px;vertical-align:middle}
table{border-collapse:collapse;font-size:12px;margin:6px 0}
th,td{border:1px solid #e0e0e0;padding:3px 7px;text-align:right;vertical-align:top}
th{background:#f0f4f8;font-weight:600} td.l,th.l{text-align:left}
tr.total td{font-weight:700;background:#f7f7f7}
.scroll{overflow-x:auto} .note{color:#666;font-size:12px}
img{max-width:100%;border:1px solid #eee}
blockquote{margin:4px 0 8px;padding:4px 10px;border-left:3px solid #9dc3e6;background:#f7fbff;font-size:13px}
blockquote cite{display:block;color:#777;font-size:11px;font-style:normal;margin-top:2px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(380px,1fr));gap:8px 20px}
"""


def write_report(summary: Summary, path: Path) -> None:
    try:
        path.write_text(render_report(summary), encoding="utf-8")
    except OSError as exc:
        raise StudyError(f"{path}: cannot write the report ({exc})") from exc


def render_report(summary: Summary) -> str:
    coding = summary.coding
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Summary: {_e(coding.codebook.name)}</title>"
             f"<style>{CSS}</style></head><body>", _top(summary), "<main>"]
    parts += [_section(summary, "Cases", _cases(summary)),
              _section(summary, "Codes by case", _matrix(summary)),
              _section(summary, "Across cases", _overall(summary))]
    parts += [_section(summary, f"By {g.attribute}", _groups(summary, g)) for g in summary.groups]
    if len(summary.phases):
        parts.append(_section(summary, "Phases by domain and case", _phases(summary)))
    parts += [_section(summary, "Codes applied together", _pairs(summary)),
              _section(summary, "Exemplar quotes", _exemplars(summary)),
              _section(summary, "Ratings", _ratings(summary))]
    parts.append("</main></body></html>")
    return "\n".join(parts)


def _e(value: object) -> str:
    return html.escape("" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value))


def _top(summary: Summary) -> str:
    coding = summary.coding
    segs = coding.segments
    warn = (f"<div class='warn'>{UNCONFIRMED}: built from model suggestions no coder has reviewed. "
            f"Do not report these numbers as findings.</div>" if coding.unconfirmed else "")
    notes = "".join(f"<p>Note: {_e(n)}</p>" for n in coding.notes)
    return (f"<header><h1>Case and cross-case summary: {_e(coding.codebook.name)}</h1>"
            f"<p>Coding: {_e(coding.label)}</p>"
            f"<p>{segs['case'].nunique()} cases, {segs['document_id'].nunique()} documents, {len(segs)} segments, "
            f"{coding.applied['segment_id'].nunique()} segments with a code; codebook version {coding.codebook.version}; "
            f"created {summary.created_at}</p>{notes}</header>{warn}")


def _section(summary: Summary, title: str, body: str) -> str:
    badge = f"<span class='badge'>{UNCONFIRMED}</span>" if summary.coding.unconfirmed else ""
    return f"<section><h2>{_e(title)}{badge}</h2>{body}</section>"


def _image(summary: Summary, name: str) -> str:
    png = summary.charts.get(name)
    if png is None:
        return ""
    return f"<p><img alt='{_e(name)}' src='data:image/png;base64,{base64.b64encode(png).decode('ascii')}'></p>"


def _table(frame: pd.DataFrame, left: tuple[str, ...] = (), percent: tuple[str, ...] = (), raw: tuple[str, ...] = (),
           nowrap: tuple[str, ...] = ()) -> str:
    """An HTML table; text columns align left, ``raw`` columns hold HTML already escaped."""
    left = tuple(left) + tuple(c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])
                               and not frame[c].astype(str).str.fullmatch(r"[\d./]+( \(\d+%\))?").all())
    head = "".join(f"<th class='{'l' if c in left else ''}'>{_e(c)}</th>" for c in frame.columns)
    # Counts that pandas turned into floats (after a merge or pivot) print as counts, not "0.000".
    counts = {c for c in frame.columns if pd.api.types.is_float_dtype(frame[c])
              and frame[c].dropna().map(float.is_integer).all()}
    rows = []
    for record in frame.to_dict("records"):
        is_total = any(v == ALL_CASES for v in record.values())
        cells = []
        for c, v in record.items():
            text = f"{v:.1%}" if c in percent and isinstance(v, (int, float)) and not pd.isna(v) else (
                f"{int(v)}" if c in counts and isinstance(v, float) and not pd.isna(v) else
                f"{v:.3f}" if isinstance(v, float) and not pd.isna(v) else (str(v) if c in raw else _e(v)))
            style = " style='white-space:nowrap'" if c in nowrap else ""
            cells.append(f"<td class='{'l' if c in left else ''}'{style}>{text}</td>")
        rows.append(f"<tr class='{'total' if is_total else ''}'>{''.join(cells)}</tr>")
    return f"<div class='scroll'><table><tr>{head}</tr>{''.join(rows)}</table></div>"


def _cases(summary: Summary) -> str:
    frame = summary.cases.head(MAX_TABLE_CASES)
    left = ("case",)
    more = f"<p class='note'>First {MAX_TABLE_CASES} of {len(summary.cases)} cases; all are in the workbook.</p>" \
        if len(summary.cases) > MAX_TABLE_CASES else ""
    return _table(frame, left) + more


def _used(summary: Summary) -> list[str]:
    used = set(summary.counts.loc[summary.counts["segments"] > 0, "code_id"])
    return [c for c in summary.order if c in used]


def _matrix(summary: Summary) -> str:
    codes = _used(summary)
    if not codes:
        return "<p>No codes applied yet.</p>"
    segments = wide(summary.counts, "segments", codes)
    shares = wide(summary.counts, "share", codes)
    cells = segments.astype(int).astype(str) + " (" + (shares * 100).round(0).astype(int).astype(str) + "%)"
    note = ("<p class='note'>Segments coded (share of the case's segments). Parent codes (bold) count a segment once "
            "when any code below them applies. Every count is traceable in the workbook's Evidence sheet.</p>")
    if len(cells) - 1 <= len(codes):  # few cases: codes down the page, indented under their parents
        depth = summary.coding.codebook.depth
        parents = {c.parent for c in summary.coding.codebook.codes if c.parent}
        frame = cells.T
        names = [("&nbsp;" * 4 * depth(c)) + (f"<b>{_e(summary.labels[c])}</b>" if c in parents else _e(summary.labels[c]))
                 for c in frame.index]
        frame.insert(0, "Code", names)
        return _image(summary, "heatmap") + note + _table(frame, left=("Code",), raw=("Code",))
    if len(cells) > MAX_TABLE_CASES + 1:
        cells = pd.concat([cells.head(MAX_TABLE_CASES), cells.tail(1)])
        note += f"<p class='note'>First {MAX_TABLE_CASES} cases and all cases together; every case is in the workbook.</p>"
    frame = cells.rename(columns=summary.labels).reset_index().rename(columns={"case": "Case"})
    return _image(summary, "heatmap") + note + _table(frame, left=("Case",))


def _overall(summary: Summary) -> str:
    frame = summary.overall[summary.overall["segments"] > 0].copy()
    frame.insert(1, "label", frame["code_id"].map(summary.labels))
    return _table(frame, left=("code_id", "label", "top_case"), percent=("share", "mean_case_share", "top_case_share"))


def _groups(summary: Summary, group) -> str:
    frame = group.comparison.copy()
    frame.insert(0, "code", frame["code_id"].map(summary.labels))
    if "difference" in frame.columns:
        frame = frame.reindex(frame["difference"].abs().sort_values(ascending=False).index)
    shares = tuple(c for c in frame.columns if c.startswith("share: "))
    sizes = group.groups.value_counts().sort_index()
    note = ("<p class='note'>Cases per group: " + ", ".join(f"{_e(k)}: {v}" for k, v in sizes.items()) +
            ". Difference: share of segments in the first group minus the second (with more groups: highest minus "
            "lowest), with a 95% Newcombe interval over segments (descriptive: segments within a case are not "
            "independent). p: test on how many cases of each group have the code.</p>")
    used = set(_used(summary))
    frame = frame[frame["code_id"].isin(used)].drop(columns=["code_id"])
    if len(frame) > MAX_GROUP_ROWS:
        frame = frame.head(MAX_GROUP_ROWS)
        note += f"<p class='note'>The {MAX_GROUP_ROWS} codes that differ most; all are in the workbook.</p>"
    return _image(summary, f"by_{_slug(group.attribute)}") + note + _table(
        frame, left=("code", "compared", "test"), percent=shares + ("difference", "ci_low", "ci_high"),
        nowrap=("compared", "test"))


def _slug(text: str) -> str:
    from pipeline.summarize.summary import _slug as slug
    return slug(text)


def _phases(summary: Summary) -> str:
    table = summary.phases.pivot_table(index=["case", "phase"], columns="domain", values="segments", sort=False)
    domains = list(dict.fromkeys(summary.phases["domain"]))
    frame = table[domains].reset_index()
    frame["phase"] = frame["phase"].map(summary.labels)
    frame = frame.rename(columns={**summary.labels, "case": "Case", "phase": "Phase"})
    return ("<p class='note'>Segments coded with both the phase and a code of the domain.</p>"
            + _table(frame.head(3 * (MAX_TABLE_CASES + 1)), left=("Case", "Phase")))


def _pairs(summary: Summary) -> str:
    pairs = top_pairs(summary.cooccurrence_segments, 20)
    if pairs.empty:
        return "<p>No two codes share a segment.</p>"
    pairs["code_a"] = pairs["code_a"].map(summary.labels)
    pairs["code_b"] = pairs["code_b"].map(summary.labels)
    return ("<p class='note'>Pairs of codes on the same segment (Jaccard: shared / either). Document-level counts are "
            "in the workbook.</p>" + _table(pairs, left=("code_a", "code_b")))


def _exemplars(summary: Summary) -> str:
    ex = summary.exemplars
    if ex.empty:
        return "<p>No coded segments.</p>"
    blocks = [f"<p class='note'>Up to {int(ex['rank'].max())} quotes per code and case; method: {_e(ex['method'].iloc[0])}.</p>"]
    for code in [c for c in summary.order if c in set(ex["code_id"])]:
        part = ex[ex["code_id"] == code]
        cells = []
        for case, quotes in part.groupby("case", sort=True):
            items = "".join(f"<blockquote>{_e(_short(q['text']))}<cite>{_e(q['document'])}"
                            f"{', ' + _e(q['speaker']) if isinstance(q['speaker'], str) and q['speaker'] else ''}, "
                            f"chars {int(q['start'])}-{int(q['end'])}; decision {_e(q['decision_ids'])}</cite></blockquote>"
                            for q in quotes.to_dict("records"))
            cells.append(f"<div><h3>{_e(case)}</h3>{items}</div>")
            if len(cells) >= 12:
                break
        blocks.append(f"<h3>{_e(summary.labels[code])} <span class='note'>({_e(code)})</span></h3>"
                      f"<div class='grid'>{''.join(cells)}</div>")
    return "".join(blocks)


def _short(text: str, limit: int = 400) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " ..."


def _ratings(summary: Summary) -> str:
    ratings = summary.ratings
    rated = ratings[ratings["rating"] != ""]
    if rated.empty:
        return ("<p>No ratings stored yet. Type them into the Ratings sheet of summary.xlsx and read them in with "
                "<code>deductive ratings DIR summary.xlsx</code>.</p>")
    table = rated.pivot(index="code_id", columns="case", values="rating").fillna("")
    table.insert(0, "construct", [summary.labels.get(c, c) for c in table.index])
    return ("<p class='note'>Stored ratings (-2 .. +2, X mixed, blank missing).</p>"
            + _table(table.reset_index(), left=("code_id", "construct")))
