"""A Methods paragraph for a paper, filled with the study's own facts.

``methods_facts`` collects what a reader of the paper needs to judge and repeat the
coding: the embedding model and its identity, the codebook and its version, the
suggestion settings, what the coders saw, how many segments each decided, and the
agreement between coders with its 95% interval. ``methods_paragraph`` writes them as
text a researcher adapts; every number in it comes from the store.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeline.context import StudyContext

__all__ = ["MethodsFacts", "methods_facts", "methods_paragraph"]


@dataclass(frozen=True)
class MethodsFacts:
    study: str
    documents: int
    cases: int
    segments: int
    unit: str
    codebook_name: str
    codebook_version: str
    codable_codes: int
    model: str | None  # identity of the embedding model of the latest run (name@hash:backend)
    method: str | None
    top_k: int | None
    threshold: float | None
    decisions_by_coder: dict[str, int] = field(default_factory=dict)
    agreement: dict[str, Any] | None = None  # MASI alpha with interval, mean kappa, units, coders
    agreement_note: str = ""
    set_aside: list[str] = field(default_factory=list)  # code sets the run judged not to belong to the text
    fit_test: bool = True  # False: the researchers said every code set belongs ([suggest] set_aside = false)


def methods_facts(study: "StudyContext", bootstrap: int = 500, seed: int = 0) -> MethodsFacts:
    """The facts of ``study`` that a Methods section reports (agreement needs two coders)."""
    from pipeline.review import decision_table
    from pipeline.suggest.stage import latest_run, set_aside_labels

    codebook = study.codebook()
    run = latest_run(study.store, codebook.version)
    row = study.store.query("SELECT model, method, params FROM suggestion_runs WHERE id = ?", (run,)) if run else []
    params = json.loads(row[0]["params"]) if row else {}
    decisions = decision_table(study)
    by_coder = {str(k): int(v) for k, v in decisions.groupby("coder")["segment_id"].nunique().items()} if len(decisions) else {}
    agreement, note = _agreement(study, by_coder, bootstrap, seed)
    documents = study.documents()
    return MethodsFacts(
        study=study.root.name, documents=len(documents), cases=int(documents["case"].nunique()) if len(documents) else 0,
        segments=len(study.segments()), unit=study.settings.segment.unit,
        codebook_name=codebook.name, codebook_version=codebook.version, codable_codes=len(codebook.codable),
        model=row[0]["model"] if row else None, method=row[0]["method"] if row else None,
        top_k=params.get("top_k"), threshold=params.get("threshold"),
        decisions_by_coder=by_coder, agreement=agreement, agreement_note=note,
        set_aside=list(set_aside_labels(codebook, params)), fit_test=params.get("set_aside", True) is not False,
    )


def _agreement(study: "StudyContext", by_coder: dict[str, int], bootstrap: int, seed: int) -> tuple[dict[str, Any] | None, str]:
    from pipeline.audit import AuditOptions, audit
    from pipeline.errors import DeductiveError

    coders = tuple(c for c in by_coder if c != "consensus")
    if len(coders) < 2:
        return None, "agreement between coders needs at least two coders who decided the same segments"
    try:
        result = audit(study, AuditOptions(coders=coders, bootstrap=bootstrap, seed=seed))
    except DeductiveError as exc:
        return None, f"agreement not computed: {exc}"
    overall = result.agreement.overall
    return {
        "coders": list(result.coding.coders), "units": overall.n_units, "codes": overall.n_codes,
        "masi_alpha": overall.masi_alpha, "low": result.agreement.masi_low, "high": result.agreement.masi_high,
        "kappa_mean": overall.kappa_mean, "bootstrap": bootstrap,
    }, ""


def _number(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def methods_paragraph(facts: MethodsFacts) -> str:
    """Markdown a researcher adapts for the Methods section of a paper."""
    model = facts.model or "(no suggestion run yet)"
    coders = ", ".join(f"{c} ({n} segments)" for c, n in facts.decisions_by_coder.items()) or "(no decisions yet)"
    lines = [
        f"# Methods: {facts.study}",
        "",
        f"We coded {facts.documents} documents from {facts.cases} cases deductively against the codebook "
        f"\"{facts.codebook_name}\" (version {facts.codebook_version}, {facts.codable_codes} codable codes), "
        f"using deductive, an open-source tool that runs entirely on the researchers' computer. The texts were "
        f"split into {facts.segments} segments ({facts.unit} units, with document and character offsets kept). "
        f"For each segment the tool suggested codes by comparing a sentence embedding of the segment "
        f"(model {model}) with embeddings of each code's label, definition, inclusion criteria and examples "
        f"(and its parent's definition); it showed coders at most {facts.top_k if facts.top_k is not None else 'n/a'} "
        f"suggestions per segment whose estimated probability reached {_number(facts.threshold)} "
        f"(method: {facts.method or 'n/a'}).{_fit_sentence(facts)}",
        "",
        f"Coders reviewed the suggestions in spreadsheets showing each segment with its context, the suggested "
        f"codes and their scores; they accepted, rejected or replaced each suggestion, added codes the tool had "
        f"not suggested, and wrote memos. Every decision was kept in an append-only log. Coders: {coders}.",
        "",
    ]
    a = facts.agreement
    if a:
        lines.append(
            f"Agreement between {', '.join(a['coders'])} on the {a['units']} segments they all decided, over "
            f"{a['codes']} codes: Krippendorff's alpha with the MASI distance {_number(a['masi_alpha'])} "
            f"(95% bootstrap interval {_number(a['low'])} to {_number(a['high'])}, {a['bootstrap']} replicates); "
            f"mean per-code Cohen's/Fleiss' kappa {_number(a['kappa_mean'])}. Disagreements were resolved by "
            f"discussion and recorded as a consensus coder.")
    else:
        lines.append(f"Agreement: {facts.agreement_note}.")
    lines += ["", "Facts as JSON (for a supplement):", "", "```json",
              json.dumps(_json_ready(vars(facts)), indent=2), "```", ""]
    return "\n".join(lines)


def _fit_sentence(facts: MethodsFacts) -> str:
    """What the run's test of whether each code set belongs to the text decided (method step 4)."""
    if facts.model is None:
        return ""
    if not facts.fit_test:
        return " The researchers declared every code set relevant to the texts, so none was set aside."
    if not facts.set_aside:
        return ""
    names = ", ".join(f"\"{n}\"" for n in facts.set_aside)
    return (f" The tool judged that the texts were no closer to {names} than generic sentences are, so these codes "
            f"were suggested only where a segment was clearly close to one of them.")


def _json_ready(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
