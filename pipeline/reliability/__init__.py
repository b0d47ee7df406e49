"""Inter-coder reliability statistics: pure functions on reliability matrices.

A *reliability matrix* is coders x units (numpy array, nested lists or a DataFrame
with coders as index); ``None``/``NaN`` marks a unit a coder did not rate. A *coding
table* is a DataFrame with columns ``unit``, ``coder``, ``code`` (one row per code a
coder applied to a unit) read together with ``decided``: the units each coder decided,
so that "decided and applied nothing" counts as a real absence of every code.

Statistics return ``nan`` when they are undefined (no shared unit, a single value in
the data); the per-code table says why in its ``note`` column. Nothing here prints,
reads files or touches the store.
"""

from pipeline.reliability.coefficients import (
    Bootstrap,
    bootstrap_ci,
    cohen_kappa,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    krippendorff_alpha_masi,
    masi_distance,
    pabak,
    percent_agreement,
    prevalence,
    prevalence_index,
)
from pipeline.reliability.consensus import merge_coders
from pipeline.reliability.matrix import CODE, CODER, LABEL, LEVELS, UNIT
from pipeline.reliability.tables import (
    OverallAgreement,
    code_sets_matrix,
    overall_agreement,
    per_code_agreement,
    presence_matrix,
)

__all__ = [
    "UNIT",
    "CODER",
    "CODE",
    "LABEL",
    "LEVELS",
    "Bootstrap",
    "OverallAgreement",
    "percent_agreement",
    "cohen_kappa",
    "fleiss_kappa",
    "gwet_ac1",
    "pabak",
    "prevalence",
    "prevalence_index",
    "krippendorff_alpha",
    "masi_distance",
    "krippendorff_alpha_masi",
    "bootstrap_ci",
    "presence_matrix",
    "code_sets_matrix",
    "per_code_agreement",
    "overall_agreement",
    "merge_coders",
]
