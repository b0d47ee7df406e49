"""The audit as an HTML section (chart embedded as base64 PNG) and as a terminal table."""

from __future__ import annotations

import base64
import html
import math
from typing import TYPE_CHECKING, Any, Sequence

import pandas as pd

from pipeline.audit.drift import RULE
from pipeline.audit.stats import POSITIVES_RULE, headline_coders

if TYPE_CHECKING:
    from pipeline.audit.result import AuditResult

__all__ = ["html_section", "html_page", "terminal_table", "fmt"]

STYLE = """
.audit { font-family: Calibri, Carlito, Arial, sans-serif; color: #222; max-width: 1100px; }
.audit h2 { color: #1F4E78; margin-bottom: 0.2em; } .audit h3 { color: #1F4E78; margin-top: 1.4em; }
.audit table { border-collapse: collapse; font-size: 13px; margin: 0.4em 0 1em; }
.audit th { background: #1F4E78; color: #fff; text-align: left; padding: 4px 8px; }
.audit td { border-bottom: 1px solid #d9d9d9; padding: 3px 8px; vertical-align: top; }
.audit td.num { text-align: right; font-variant-numeric: tabular-nums; }
.audit .over { background: #FCE4D6; } .audit .under { background: #DDEBF7; }
.audit .note { color: #666; font-size: 12px; } .audit img { max-width: 100%; }
.audit tr.few td { color: #A6A6A6; }
"""


def fmt(value: Any, digits: int = 3) -> str:
    """Numbers to fixed decimals, NaN to an en dash, everything else as text."""
    if isinstance(value, float):
        return "–" if not math.isfinite(value) else f"{value:.{digits}f}"
    return "" if value is None else str(value)


def _interval(row: Any, name: str) -> str:
    low, high = row.get(f"{name}_low", float("nan")), row.get(f"{name}_high", float("nan"))
    return "" if not (math.isfinite(low) and math.isfinite(high)) else f"[{low:.2f}, {high:.2f}]"


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]], classes: Sequence[str] = ()) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = []
    for i, row in enumerate(rows):
        cells = "".join(f'<td class="num">{html.escape(fmt(v))}</td>' if isinstance(v, (int, float)) and not
                        isinstance(v, bool) else f"<td>{html.escape(fmt(v))}</td>" for v in row)
        cls = f' class="{classes[i]}"' if i < len(classes) and classes[i] else ""
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def html_section(result: "AuditResult", chart_png: bytes) -> str:
    """A self-contained <section>: summary, chart, per-code, groups, model, drift, disagreements."""
    c, a, o = result.coding, result.agreement, result.agreement.overall
    image = base64.b64encode(chart_png).decode("ascii")
    boot = result.options.bootstrap
    parts = [
        '<section class="audit">', "<h2>Coder consistency audit</h2>",
        f"<p>{html.escape(_who(result))} on the {len(c.sample)} segments all of them "
        f"decided; codebook {html.escape(c.codebook.name)} version {c.codebook.version}. "
        + html.escape(_model_note(result))
        + (f"95% intervals from {boot} bootstrap resamples of segments (seed {result.options.seed})." if boot else
           "No bootstrap intervals (--bootstrap 0).") + "</p>",
        _table(["Overall", "value", "95% interval"], [
            ["Krippendorff's alpha, MASI distance over code sets", o.masi_alpha,
             "" if not math.isfinite(a.masi_low) else f"[{a.masi_low:.2f}, {a.masi_high:.2f}]"],
            ["Mean per-code kappa", o.kappa_mean, ""],
            ["Range of per-code kappa", f"{fmt(o.kappa_min)} to {fmt(o.kappa_max)}", ""],
            ["Codes with undefined kappa", o.n_kappa_undefined, ""],
            ["Segments where coders differ", len(result.disagreements), ""]]),
        f'<img alt="Per-code kappa with 95% bootstrap intervals" src="data:image/png;base64,{image}">',
        "<h3>Per code (presence or absence on each segment)</h3>",
        f'<p class="note">{html.escape(POSITIVES_RULE[:1].upper() + POSITIVES_RULE[1:])}.</p>', _per_code_html(a.per_code),
    ]
    if len(a.groups):
        parts += ["<h3>Mutually exclusive groups (nominal)</h3>", _table(
            ["Group", "Codes", "n", "% agree", "kappa", "95% CI", "alpha", "95% CI", "rule broken"],
            [[g["label"], g["codes"], g["n_units"], g["percent_agreement"], g["kappa"], _interval(g, "kappa"),
              g["alpha"], _interval(g, "alpha"), g["n_broken"]] for g in a.groups.to_dict("records")])]
    if len(a.model_pairs):
        parts += [f"<h3>The model ({html.escape(c.model or '')}) against each coder</h3>", _table(
            ["Code", "Coder", "n", "% agree", "Cohen's kappa", "AC1", "model rate", "coder rate"],
            [[r["label"], r["coder"], r["n_units"], r["percent_agreement"], r["kappa"], r["ac1"], r["model_rate"],
              r["coder_rate"]] for r in a.model_pairs.to_dict("records")])]
    parts += ["<h3>Drift: each coder against the others</h3>", f'<p class="note">{html.escape(RULE[:1].upper() + RULE[1:])}.</p>',
              _drift_html(result.drift), "<h3>Rates per successive batch of each coder</h3>",
              _batches_html(result), f"<h3>Disagreements ({len(result.disagreements)})</h3>",
              _disagreements_html(result), "</section>"]
    return "\n".join(parts)


def _who(result: "AuditResult") -> str:
    """Whose agreement the headline is: the humans (the model has its own table below)."""
    coders = headline_coders(result.coding)
    return f"{len(coders)} coders ({', '.join(coders)})"


def _model_note(result: "AuditResult") -> str:
    model = result.coding.model
    if model and model not in headline_coders(result.coding):
        return f"The model ({model}) is compared with each coder in its own table and is not counted in these figures. "
    return ""


def _per_code_html(per_code: pd.DataFrame) -> str:
    records = per_code.to_dict("records")
    rows = [[r["label"], r["code"], r["n_units"], r.get("positives", ""), r["prevalence"], r["percent_agreement"],
             r["kappa"], _interval(r, "kappa"), r["alpha"], _interval(r, "alpha"), r["ac1"], r["pabak"],
             r["note"] or ("" if r.get("reported", True) else "too few segments with the code")]
            for r in records]
    classes = ["" if r.get("reported", True) else "few" for r in records]
    return _table(["Code", "id", "n", "coded", "prevalence", "% agree", "kappa", "95% CI", "alpha", "95% CI", "AC1",
                   "PABAK", "note"], rows, classes)


def _drift_html(drift: pd.DataFrame) -> str:
    shown = drift[drift["count"] + drift["others_count"] > 0]
    rows = [[r["coder"], r["label"], r["count"], r["rate"], r["others_rate"], r["ratio"], r["p_value"], r["flag"]]
            for r in shown.to_dict("records")]
    return _table(["Coder", "Code", "applied", "rate", "others' rate", "ratio", "p", "flag"], rows,
                  list(shown["flag"]))


def _batches_html(result: "AuditResult") -> str:
    codes = list(result.coding.codes)
    labels = [result.coding.codebook.get(code).label for code in codes]
    rows = [[r["coder"], r["position"], r["batch"], r["batch_at"], r["n_units"], *[r[k] for k in codes]]
            for r in result.batches.to_dict("records")]
    return _table(["Coder", "#", "Batch", "Created", "segments", *labels], rows)


def _disagreements_html(result: "AuditResult", limit: int = 200) -> str:
    coders, book = result.coding.coders, result.coding.codebook
    rows = [[d.case, d.document, d.text[:300], *["; ".join(book.get(k).label for k in d.codes[c]) or "(no code)"
                                                  for c in coders]]
            for d in result.disagreements[:limit]]
    note = (f'<p class="note">First {limit} of {len(result.disagreements)}; all are in disagreements.xlsx.</p>'
            if len(result.disagreements) > limit else "")
    return _table(["Case", "Document", "Segment", *coders], rows) + note


def html_page(result: "AuditResult", chart_png: bytes) -> str:
    """A whole HTML document around :func:`html_section`."""
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Coder consistency audit</title>'
            f"<style>{STYLE}</style></head><body>\n{html_section(result, chart_png)}\n</body></html>\n")


def terminal_table(result: "AuditResult") -> str:
    """A compact plain-text summary for the command line. Labels are never cut: two codes
    must never print alike."""
    c, a, o = result.coding, result.agreement, result.agreement.overall
    labels = list(a.per_code["label"]) + [f"group {g}" for g in a.groups["label"]]
    width = max([4] + [len(label) for label in labels])
    note = _model_note(result).strip()
    lines = [f"{_who(result)}, {len(c.sample)} segments decided by all" + (f". {note}" if note else ""),
             f"MASI alpha {fmt(o.masi_alpha)}" + (f" [{a.masi_low:.2f}, {a.masi_high:.2f}]" if math.isfinite(a.masi_low) else "")
             + f"; per-code kappa mean {fmt(o.kappa_mean)}, range {fmt(o.kappa_min)} to {fmt(o.kappa_max)}"
             + (f" ({o.n_kappa_undefined} undefined)" if o.n_kappa_undefined else ""),
             f"  {'code':<{width}} {'n':>5} {'prev':>5} {'agree':>6} {'kappa':>6} {'95% CI':>14} {'alpha':>6} {'AC1':>6}"]
    few = 0
    for r in a.per_code.to_dict("records"):
        ci = _interval(r, "kappa")
        mark = "" if r.get("reported", True) else "  (too few coded: not in the mean)"
        few += bool(mark)
        lines.append(f"  {r['label']:<{width}} {r['n_units']:>5} {fmt(r['prevalence'], 2):>5} "
                     f"{fmt(r['percent_agreement'], 2):>6} {fmt(r['kappa']):>6} {ci:>14} {fmt(r['alpha']):>6} "
                     f"{fmt(r['ac1']):>6}{mark}")
    if few:
        lines.append(f"  {few} code(s) too rarely coded: {POSITIVES_RULE}")
    for g in a.groups.to_dict("records"):
        lines.append(f"  {'group ' + g['label']:<{width}} {g['n_units']:>5} {'':>5} "
                     f"{fmt(g['percent_agreement'], 2):>6} {fmt(g['kappa']):>6} {_interval(g, 'kappa'):>14} "
                     f"{fmt(g['alpha']):>6}")
    flagged = result.drift[result.drift["flag"] != ""]
    lines.append(f"{len(result.disagreements)} segments with disagreements; {len(flagged)} drift flag(s)")
    for r in flagged.to_dict("records"):
        lines.append(f"  {r['coder']} {r['flag']}-applies {r['label']}: {r['rate']:.2f} vs {r['others_rate']:.2f}")
    lines += [f"warning: {w}" for w in c.warnings]
    return "\n".join(lines)
