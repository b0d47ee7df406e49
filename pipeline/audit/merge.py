"""Merge several coders into one (e.g. 'consensus') by a rule, with reliability.merge_coders.

Over the segments every named coder decided, a code is kept when enough of them applied
it: 'unanimous' (all), 'majority' (more than half) or ('at_least', k). A segment where no
code is kept gets 'none' (reviewed, no code applies). The merged coder's decisions are
appended in one transaction; merging the same decisions again changes nothing. Segments
the merged coder holds from `resolve` (a hand resolution) are left as they are: a rule
never overwrites a person's decision, so resolve-then-merge equals merge-then-resolve.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from pipeline.audit.resolve import KIND as RESOLVE_KIND
from pipeline.audit.sample import CODES, CONSENSUS, MODEL_PREFIX, AuditOptions, load_audit_sample
from pipeline.hashing import sha256
from pipeline.errors import InputError
from pipeline.reliability import CODER, LABEL, UNIT, merge_coders
from pipeline.reliability.consensus import Rule
from pipeline.review import log

if TYPE_CHECKING:
    from pipeline.context import StudyContext

__all__ = ["MergeReport", "merge_into", "merged_labels"]

KIND = "merge"

REPLACED = "(merge replaced it)"


@dataclass(frozen=True)
class MergeReport:
    into: str
    status: str  # "merged" | "already merged"
    segments: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    kept_resolutions: int = 0  # segments left as resolved by hand (`resolve`)


def merged_labels(study: "StudyContext", coders: tuple[str, ...], rule: Rule,
                  codebook_version: str | None = None) -> tuple[pd.DataFrame, tuple[str, ...], str]:
    """(unit, label) rows kept by ``rule``, the segments merged, and the codebook version."""
    if len(coders) < 2:
        raise InputError("merging needs at least two coders; name them with --coders A,B,C")
    if any(c.startswith(MODEL_PREFIX) for c in coders):
        raise InputError("the model cannot be merged into a human coder; leave model:... out of --coders")
    coding = load_audit_sample(study, AuditOptions(coders=coders, codebook_version=codebook_version))
    sample = set(coding.sample)
    rows = []
    for coder, unit, codes in zip(coding.decisions[CODER], coding.decisions[UNIT], coding.decisions[CODES]):
        if unit in sample:
            # A row with no label says the coder decided the unit and applied nothing.
            rows += [(unit, coder, code) for code in sorted(codes)] or [(unit, coder, None)]
    labels = pd.DataFrame(rows, columns=[UNIT, CODER, LABEL])
    return merge_coders(labels, rule), coding.sample, coding.codebook.version


def merge_into(study: "StudyContext", coders: tuple[str, ...], rule: Rule, into: str = CONSENSUS,
               codebook_version: str | None = None) -> MergeReport:
    """Append the merged coding of ``coders`` as decisions of ``into``."""
    if into in coders:
        raise InputError(f"--into '{into}' is one of the merged coders; merge into another name")
    kept, sample, version = merged_labels(study, coders, rule, codebook_version)
    hand = hand_resolved(study.store.conn, into)
    sample = tuple(u for u in sample if u not in hand)  # a rule never overwrites a hand resolution
    by_unit: dict[str, list[str]] = {}
    for unit, label in zip(kept[UNIT], kept[LABEL]):
        by_unit.setdefault(unit, []).append(label)
    decisions = [log.Decision(u, code, "added", f"merged: {_rule_text(rule)} of {', '.join(coders)}")
                 for u in sample for code in by_unit.get(u, [])]
    decisions += [log.Decision(u, None, "none", f"merged: {_rule_text(rule)} of {', '.join(coders)}")
                  for u in sample if u not in by_unit]
    digest = sha256(json.dumps([into, version, sorted((d.segment_id, d.code_id or "") for d in decisions),
                                list(coders), _rule_text(rule)]))
    if log.imported_before(study.store.conn, KIND, digest) is not None:
        return MergeReport(into, "already merged", len(sample), kept_resolutions=len(hand))
    counts: dict[str, int] = {}
    with study.store.transaction() as conn:
        import_id = log.insert_import(conn, KIND, None, digest, f"merge of {', '.join(coders)}")
        writes = log.plan(conn, into, None, decisions + _dropped(conn, into, by_unit, sample)).writes
        log.write_all(conn, import_id, into, None, version, writes)
        for d in writes:
            counts[d.verdict] = counts.get(d.verdict, 0) + 1
    return MergeReport(into, "merged", len(sample), counts, len(hand))


def hand_resolved(conn: Any, coder: str) -> set[str]:
    """Segments whose current decisions of ``coder`` came from `resolve` (a person's call)."""
    rows = conn.execute("SELECT DISTINCT d.segment_id FROM current_decisions d JOIN imports i ON i.id = d.import_id"
                        " WHERE d.coder = ? AND i.kind = ?", (coder, RESOLVE_KIND))
    return {r[0] for r in rows}


def _dropped(conn: object, into: str, by_unit: dict[str, list[str]], sample: tuple[str, ...]) -> list[log.Decision]:
    """Codes the merged coder had on a kept segment that the merge no longer keeps."""
    out = []
    for unit in sample:
        if unit not in by_unit:
            continue  # 'none' retires them (log.plan)
        rows = conn.execute("SELECT code_id FROM current_decisions WHERE coder = ? AND segment_id = ? AND"  # type: ignore[attr-defined]
                            " code_id IS NOT NULL AND verdict IN ('accepted', 'added')", (into, unit))
        out += [log.Decision(unit, r[0], "rejected", REPLACED) for r in rows if r[0] not in by_unit[unit]]
    return out


def _rule_text(rule: Rule) -> str:
    return f"at least {rule[1]}" if isinstance(rule, tuple) else str(rule)
