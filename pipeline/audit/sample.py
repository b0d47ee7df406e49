"""Who coded what: the current decisions of the compared coders, read from the store.

A coder *decided* a segment when they have any current decision row for it (accepted,
rejected, added or none). The audited sample is the set of current segments that every
compared coder decided: agreement is measured on those segments only, never on text
nobody looked at. With the model as a coder ("model:<run id>"), its shown suggestions
are its codes and it decided every segment the run covered.
"""

from __future__ import annotations

from collections import Counter
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Mapping, Sequence

import pandas as pd

from pipeline.codebook import Codebook
from pipeline.errors import InputError, StudyError
from pipeline.reliability import CODE, CODER, UNIT
from pipeline.suggest.scope import check_scope, in_scope, segment_roles, study_role_map
from pipeline.suggest.stage import latest_run

if TYPE_CHECKING:
    from pipeline.context import StudyContext

__all__ = ["AuditOptions", "AuditSample", "load_audit_sample", "MODEL_PREFIX", "CONSENSUS", "expand_codes", "names"]

MODEL_PREFIX = "model:"
CONSENSUS = "consensus"
POSITIVE = ("accepted", "added")
# Columns of AuditSample.decisions: one row per (coder, segment) that the coder decided.
BATCH, BATCH_AT, CODES, MEMO = "batch", "batch_at", "codes", "memo"


@dataclass(frozen=True)
class AuditOptions:
    """What to compare. coders: names (default: every coder with decisions except
    'consensus'); include_model: add the latest (or ``run_id``) suggestion run as a
    coder; codes: only these codes and their sub-codes; bootstrap: replicates for the
    95% intervals (0: none); seed: the bootstrap's random seed."""

    coders: tuple[str, ...] = ()
    include_model: bool = False
    run_id: str | None = None
    codes: tuple[str, ...] = ()
    codebook_version: str | None = None
    bootstrap: int = 500
    seed: int = 0


@dataclass(frozen=True)
class AuditSample:
    """The compared coders' decisions, and the sample all of them decided."""

    codebook: Codebook
    coders: tuple[str, ...]
    codes: tuple[str, ...]  # audited codable codes, codebook order
    sample: tuple[str, ...]  # segment ids every coder decided, document order
    segments: pd.DataFrame  # the sample's segments: id, case, document, seq, text
    decisions: pd.DataFrame  # coder, unit, codes (frozenset), memo, batch, batch_at: every decided segment
    run_id: str | None = None
    warnings: tuple[str, ...] = field(default=())
    roles: Mapping[str, str | None] = field(default_factory=dict)  # segment id -> speaker role (issue 13)

    def in_scope(self, code_id: str) -> tuple[str, ...]:
        """The sample's segments whose speaker the code (or group) applies to."""
        return tuple(u for u in self.sample if in_scope(self.codebook, code_id, self.roles.get(u)))

    @property
    def table(self) -> pd.DataFrame:
        """(unit, coder, code) rows over the sample: the coding table of pipeline.reliability."""
        return self.coding_table(self.sample)

    def coding_table(self, units: Sequence[str]) -> pd.DataFrame:
        keep = self.decisions[self.decisions[UNIT].isin(set(units))]
        rows = [(u, c, code) for u, c, codes in zip(keep[UNIT], keep[CODER], keep[CODES]) for code in sorted(codes)]
        return pd.DataFrame(rows, columns=[UNIT, CODER, CODE])

    def code_sets(self) -> dict[tuple[str, str], frozenset[str]]:
        """(coder, segment) -> the codes the coder applied, for the sample."""
        keep = self.decisions[self.decisions[UNIT].isin(set(self.sample))]
        return {(c, u): s for c, u, s in zip(keep[CODER], keep[UNIT], keep[CODES])}

    @property
    def model(self) -> str | None:
        return next((c for c in self.coders if c.startswith(MODEL_PREFIX)), None)

    @property
    def humans(self) -> tuple[str, ...]:
        return tuple(c for c in self.coders if not c.startswith(MODEL_PREFIX))


def names(values: Sequence[str]) -> tuple[str, ...]:
    """'a,b' and repeated values alike, blanks dropped, order kept."""
    return tuple(dict.fromkeys(p.strip() for v in values for p in v.split(",") if p.strip()))


def expand_codes(codebook: Codebook, wanted: Sequence[str]) -> tuple[str, ...]:
    """The codable codes among ``wanted`` and their descendants, in codebook order."""
    if not wanted:
        return tuple(c.id for c in codebook.codable)
    chosen = codebook.with_descendants(wanted)
    return tuple(c.id for c in codebook.codable if c.id in chosen)


def load_audit_sample(study: "StudyContext", options: AuditOptions) -> AuditSample:
    """Read the compared coders' current decisions and find the sample they share."""
    codebook = study.codebook(options.codebook_version)
    codes = expand_codes(codebook, options.codes)
    humans = _human_decisions(study, codes)
    coders = _choose_coders(humans, options)
    warnings = _dropped_codes(study, codebook, coders)
    frames = [humans[humans[CODER].isin(coders)]]
    run_id = None
    if options.include_model:
        run_id = _run(study, codebook, options.run_id)
        model, note = _model_decisions(study, run_id, codes)
        frames.append(model)
        coders = coders + (MODEL_PREFIX + run_id,)
        warnings = warnings + (note,)
    decisions = pd.concat(frames, ignore_index=True)
    if len(coders) < 2:
        found = ", ".join(sorted(humans[CODER].unique())) or "none"
        raise InputError(f"an audit compares at least two coders; coders with decisions: {found}. "
                         f"Name two or more with --coders, or add --include-model")
    segments = _segments(study)
    sample = _sample(decisions, coders, segments)
    # Scope (docs/units-and-scope.md): each code's agreement counts only its speakers' segments.
    role_map = study_role_map(study.store, study.settings.roles)
    roles = segment_roles(study.store, role_map)
    check_scope(codebook, role_map, Counter(roles.values()))
    return AuditSample(codebook, coders, codes, sample, segments[segments["id"].isin(set(sample))].reset_index(drop=True),
                       decisions, run_id, warnings, roles)


def _human_decisions(study: "StudyContext", codes: Sequence[str]) -> pd.DataFrame:
    rows = study.store.query(
        "SELECT d.id, d.coder, d.segment_id, d.code_id, d.verdict, d.memo, d.workbook_id, d.import_id,"
        " w.created_at AS workbook_at, i.imported_at"
        " FROM current_decisions d JOIN current_segments s ON s.id = d.segment_id"
        " LEFT JOIN workbooks w ON w.id = d.workbook_id JOIN imports i ON i.id = d.import_id ORDER BY d.id")
    wanted = set(codes)
    grouped: dict[tuple[str, str], dict] = {}
    for r in rows:
        entry = grouped.setdefault((r["coder"], r["segment_id"]), {CODES: set(), MEMO: []})
        if r["verdict"] in POSITIVE and r["code_id"] in wanted:
            entry[CODES].add(r["code_id"])
        if r["memo"] and not r["memo"].startswith("(implied"):
            entry[MEMO].append(r["memo"])
        # The segment belongs to the batch of its latest decision (ordered by id).
        entry[BATCH] = r["workbook_id"] or f"import {r['import_id']}"
        entry[BATCH_AT] = r["workbook_at"] or r["imported_at"]
    records = [{CODER: c, UNIT: u, CODES: frozenset(e[CODES]), MEMO: " | ".join(dict.fromkeys(e[MEMO])),
                BATCH: e[BATCH], BATCH_AT: e[BATCH_AT]} for (c, u), e in grouped.items()]
    return pd.DataFrame(records, columns=[CODER, UNIT, CODES, MEMO, BATCH, BATCH_AT])


def _choose_coders(humans: pd.DataFrame, options: AuditOptions) -> tuple[str, ...]:
    known = list(dict.fromkeys(sorted(humans[CODER])))
    if not options.coders:
        return tuple(c for c in known if c != CONSENSUS)
    wanted = [c for c in options.coders if not c.startswith(MODEL_PREFIX)]
    missing = [c for c in wanted if c not in known]
    if missing:
        raise InputError(f"--coders: no decisions by {', '.join(map(repr, missing))}; coders with decisions: "
                         f"{', '.join(known) or 'none'} (use --include-model for the model)")
    return tuple(wanted)


def _dropped_codes(study: "StudyContext", codebook: Codebook, coders: Sequence[str]) -> tuple[str, ...]:
    """Say when applied codes are not in the audited codebook (a codebook changed)."""
    known = {c.id for c in codebook.codes}
    rows = study.store.query(
        "SELECT d.coder, d.code_id, COUNT(*) AS n FROM current_decisions d JOIN current_segments s"
        " ON s.id = d.segment_id WHERE d.verdict IN ('accepted', 'added') AND d.code_id IS NOT NULL"
        " GROUP BY d.coder, d.code_id")
    return tuple(f"{r['n']} decision(s) of {r['coder']} apply code '{r['code_id']}', which codebook "
                 f"{codebook.name} (version {codebook.version}) does not have; they count as not applied"
                 for r in rows if r["coder"] in coders and r["code_id"] not in known)


def _run(study: "StudyContext", codebook: Codebook, run_id: str | None) -> str:
    if run_id is not None:
        if not study.store.query("SELECT 1 FROM suggestion_runs WHERE id = ?", (run_id,)):
            raise InputError(f"--run: no suggestion run '{run_id}' in {study.root}; see `deductive suggestions`")
        return run_id
    found = latest_run(study.store, codebook.version)
    if found is None:
        raise StudyError(f"{study.root}: --include-model needs suggestions for codebook version "
                         f"{codebook.version}; run `deductive suggest {study.root}` first")
    return found


def _model_decisions(study: "StudyContext", run_id: str, codes: Sequence[str]) -> tuple[pd.DataFrame, str]:
    """The model's shown suggestions as its codes; every segment of the run is decided,
    except those its learned model was trained on (comparing on them would be a leak).
    Also a note naming the run's method and how many segments were left out."""
    created, method, params = study.store.query(
        "SELECT created_at, method, params FROM suggestion_runs WHERE id = ?", (run_id,))[0]
    trained = _trained_on(run_id, method, json.loads(params))
    rows = study.store.query(
        "SELECT g.segment_id, g.code_id, g.suggested FROM suggestions g JOIN current_segments s"
        " ON s.id = g.segment_id WHERE g.run_id = ?", (run_id,))
    wanted = set(codes)
    sets: dict[str, set[str]] = {}
    left_out = {r["segment_id"] for r in rows if r["segment_id"] in trained}
    for r in rows:
        if r["segment_id"] in trained:
            continue
        applied = sets.setdefault(r["segment_id"], set())
        if r["suggested"] and r["code_id"] in wanted:
            applied.add(r["code_id"])
    coder = MODEL_PREFIX + run_id
    records = [{CODER: coder, UNIT: u, CODES: frozenset(s), MEMO: "", BATCH: run_id, BATCH_AT: created}
               for u, s in sets.items()]
    note = f"model run {run_id}: method {method}" + (
        f"; {len(left_out)} segments its learned model was trained on are left out of the comparison" if trained else "")
    return pd.DataFrame(records, columns=[CODER, UNIT, CODES, MEMO, BATCH, BATCH_AT]), note


def _trained_on(run_id: str, method: str, params: dict) -> set[str]:
    if "learned_model" not in params:
        return set()
    if params.get("trained_on") is None:
        raise InputError(f"run {run_id} ({method}) used a learned model but does not record which segments trained it, "
                         f"so the model cannot be audited without a leak; re-learn and re-suggest (`deductive learn`, "
                         f"`deductive suggest`) or pass --run with a definitions-only run")
    return set(params["trained_on"])


def _segments(study: "StudyContext") -> pd.DataFrame:
    rows = study.store.query(
        "SELECT s.id, d.case_name AS 'case', d.source_key AS document, s.seq, s.speaker, s.external_id, s.text"
        " FROM current_segments s JOIN documents d ON d.id = s.document_id ORDER BY d.case_name, d.source_key, s.seq")
    return pd.DataFrame([dict(r) for r in rows], columns=["id", "case", "document", "seq", "speaker", "external_id", "text"])


def _sample(decisions: pd.DataFrame, coders: Sequence[str], segments: pd.DataFrame) -> tuple[str, ...]:
    shared: set[str] | None = None
    for coder in coders:
        units = set(decisions.loc[decisions[CODER] == coder, UNIT])
        shared = units if shared is None else shared & units
    if not shared:
        raise InputError(f"no segment was decided by all of {', '.join(coders)}; double-code a sample first "
                         f"(e.g. `deductive queue --overlap 0.2 --with OTHER`) or compare fewer coders")
    return tuple(s for s in segments["id"] if s in shared)
