"""Agreement over the audited sample, computed by pipeline.reliability.

Per code: presence/absence on every sample segment. Per mutually exclusive group: one
nominal value per segment (the group's code, '(none)' when no code of the group was
applied, codes joined with '+' when a coder broke the exclusivity). Overall: MASI alpha
over each segment's code set and the spread of per-code kappa. With the model as a coder,
a pairwise table compares it with each human, code by code.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Sequence

import numpy as np
import pandas as pd

from pipeline.audit.sample import AuditSample
from pipeline.reliability import (
    CODE,
    CODER,
    UNIT,
    Bootstrap,
    OverallAgreement,
    bootstrap_ci,
    code_sets_matrix,
    cohen_kappa,
    fleiss_kappa,
    krippendorff_alpha,
    krippendorff_alpha_masi,
    overall_agreement,
    per_code_agreement,
    percent_agreement,
)

__all__ = ["Agreement", "agreement", "headline_coders", "MIN_POSITIVES", "POSITIVES_RULE", "NO_GROUP_CODE"]

NO_GROUP_CODE = "(none)"
NAN = float("nan")
# With one or two segments coded, a code's kappa jumps between -1 and 1 on a single
# segment (one shared positive gives 1.000 [1.00, 1.00]); it is shown greyed, and left out
# of the mean, until at least this many segments have it and this many do not.
MIN_POSITIVES = 5
POSITIVES_RULE = (f"kappa is reported for a code that at least one coder applied to {MIN_POSITIVES} or more of the "
                  f"segments compared, and that at least {MIN_POSITIVES} segments lack; other codes are shown greyed "
                  "and left out of the mean")


@dataclass(frozen=True)
class Agreement:
    per_code: pd.DataFrame  # code, label, group, n_units, prevalence, percent_agreement, kappa(+CI), alpha(+CI), ac1(+CI), pabak, ...
    groups: pd.DataFrame  # group, label, codes, n_units, percent_agreement, kappa(+CI), alpha(+CI), n_broken
    overall: OverallAgreement
    masi_low: float
    masi_high: float
    model_pairs: pd.DataFrame  # code, label, coder, n_units, percent_agreement, kappa, ac1, model_rate, coder_rate


def headline_coders(coding: AuditSample) -> tuple[str, ...]:
    """Whose agreement the headline reports: the human coders. The model is compared with
    each of them in its own table; only with a single human coder does it join the headline."""
    return coding.humans if len(coding.humans) >= 2 else coding.coders


def agreement(coding: AuditSample, boot: Bootstrap | None) -> Agreement:
    """Every statistic of the audit over ``coding.sample``."""
    coders = list(headline_coders(coding))
    table, decided = coding.table, {c: set(coding.sample) for c in coders}
    table = table[table[CODER].isin(coders)]
    per_code = _with_positives(_labelled(coding, _per_code_in_scope(coding, coders, boot)), coding, table)
    overall = overall_agreement(table, decided, coders, list(coding.codes), per_code)
    kappa = per_code.loc[per_code["reported"], "kappa"].to_numpy(dtype=float)
    kappa = kappa[np.isfinite(kappa)]
    spread = (kappa.mean(), kappa.min(), kappa.max()) if kappa.size else (NAN, NAN, NAN)
    overall = replace(overall, kappa_mean=float(spread[0]), kappa_min=float(spread[1]), kappa_max=float(spread[2]))
    sets = code_sets_matrix(table, decided, coders, list(coding.codes)).to_numpy()
    low, high = (bootstrap_ci(krippendorff_alpha_masi, sets, boot.n_boot, boot.seed, boot.level)
                 if boot is not None and np.isfinite(overall.masi_alpha) else (NAN, NAN))
    return Agreement(per_code, _groups(coding, coders, boot), overall, low, high, _model_pairs(coding))


def _with_positives(per_code: pd.DataFrame, coding: AuditSample, table: pd.DataFrame) -> pd.DataFrame:
    """How many in-scope segments some coder gave each code, and whether its kappa means something."""
    positives, units = [], []
    for code in per_code[CODE]:
        scoped = set(coding.in_scope(code))
        rows = table[(table[CODE] == code) & table[UNIT].isin(scoped)]
        positives.append(int(rows[UNIT].nunique()))
        units.append(len(scoped))
    per_code["positives"] = positives
    per_code["reported"] = [(p >= MIN_POSITIVES) and (n - p >= MIN_POSITIVES) for p, n in zip(positives, units)]
    return per_code


def _per_code_in_scope(coding: AuditSample, coders: Sequence[str], boot: Bootstrap | None) -> pd.DataFrame:
    """Per-code agreement of ``coders``, each code over the sample segments of its scope
    (codes sharing a scope are computed together); codebook order."""
    by_scope: dict[tuple[str, ...], list[str]] = {}
    for code in coding.codes:
        by_scope.setdefault(coding.codebook.scope_of(code), []).append(code)
    frames = []
    for codes in by_scope.values():
        units = coding.in_scope(codes[0])
        frames.append(per_code_agreement(coding.coding_table(units), {c: set(units) for c in coders},
                                         list(coders), codes, boot))
    frame = pd.concat(frames, ignore_index=True) if frames else per_code_agreement(
        coding.table, {c: set() for c in coders}, list(coders), [], boot)
    order = {c: i for i, c in enumerate(coding.codes)}
    return frame.sort_values(CODE, key=lambda col: col.map(order)).reset_index(drop=True)


def _labelled(coding: AuditSample, per_code: pd.DataFrame) -> pd.DataFrame:
    book = coding.codebook
    group_of = {code: group for group, members in book.exclusive_groups().items() for code in members}
    per_code.insert(1, "label", [book.get(c).label for c in per_code[CODE]])
    per_code.insert(2, "group", [group_of.get(c, "") for c in per_code[CODE]])
    return per_code


def group_matrix(coding: AuditSample, members: Sequence[str], units: Sequence[str] | None = None,
                 coders: Sequence[str] | None = None) -> np.ndarray:
    """Coders x sample segments (or ``units``), the group's value for each as an integer category."""
    sets = coding.code_sets()
    wanted = set(members)
    values = [["+".join(sorted(sets.get((c, u), frozenset()) & wanted)) or NO_GROUP_CODE
               for u in (coding.sample if units is None else units)] for c in (coders or coding.coders)]
    categories = sorted({v for row in values for v in row})
    index = {v: i for i, v in enumerate(categories)}
    # Integer categories take the fast numeric path in the bootstrap.
    return np.array([[index[v] for v in row] for row in values], dtype=float).reshape(len(values), -1)


def _groups(coding: AuditSample, coders: Sequence[str], boot: Bootstrap | None) -> pd.DataFrame:
    rows = []
    audited, sets = set(coding.codes), coding.code_sets()
    for group, members in coding.codebook.exclusive_groups().items():
        members = tuple(m for m in members if m in audited)
        if not members:
            continue
        units = coding.in_scope(group)  # only the segments of the group's speakers (issue 13)
        if not units:
            continue
        scoped = set(units)
        broken = sum(1 for (c, u), s in sets.items() if c in coders and u in scoped and len(s & set(members)) > 1)
        m = group_matrix(coding, members, units, coders)
        kappa = cohen_kappa if m.shape[0] == 2 else fleiss_kappa
        row: dict[str, Any] = {"group": group, "label": coding.codebook.get(group).label, "codes": ", ".join(members),
                               "n_units": m.shape[1], "kappa_type": "cohen" if m.shape[0] == 2 else "fleiss",
                               "percent_agreement": percent_agreement(m), "n_broken": broken}
        for name, fn in (("kappa", kappa), ("alpha", krippendorff_alpha)):
            row[name] = fn(m)
            bounds = (bootstrap_ci(fn, m, boot.n_boot, boot.seed, boot.level)
                      if boot is not None and np.isfinite(row[name]) else (NAN, NAN))
            row[f"{name}_low"], row[f"{name}_high"] = bounds
        rows.append(row)
    columns = ["group", "label", "codes", "n_units", "kappa_type", "percent_agreement", "kappa", "kappa_low",
               "kappa_high", "alpha", "alpha_low", "alpha_high", "n_broken"]
    return pd.DataFrame(rows, columns=columns)


def _model_pairs(coding: AuditSample) -> pd.DataFrame:
    """Per code, the model against each human (Cohen's kappa): where suggestions can be trusted."""
    columns = [CODE, "label", "coder", "n_units", "percent_agreement", "kappa", "ac1", "model_rate", "coder_rate"]
    model = coding.model
    if model is None:
        return pd.DataFrame(columns=columns)
    table, decided = coding.table, {c: set(coding.sample) for c in coding.coders}
    frames = []
    for human in coding.humans:
        pair = per_code_agreement(table, decided, [model, human], list(coding.codes))
        pair["coder"] = human
        frames.append(pair)
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[CODE, "coder"])
    rates = _rates(coding)
    out["model_rate"] = [rates.get((model, c), NAN) for c in out[CODE]]
    out["coder_rate"] = [rates.get((h, c), NAN) for h, c in zip(out["coder"], out[CODE])]
    out["label"] = [coding.codebook.get(c).label for c in out[CODE]]
    return out[columns]


def _rates(coding: AuditSample) -> dict[tuple[str, str], float]:
    """(coder, code) -> share of sample segments the coder applied the code to."""
    n = len(coding.sample)
    counts: dict[tuple[str, str], int] = {}
    for (coder, _), codes in coding.code_sets().items():
        for code in codes:
            counts[(coder, code)] = counts.get((coder, code), 0) + 1
    return {(coder, code): counts.get((coder, code), 0) / n for coder in coding.coders for code in coding.codes}
