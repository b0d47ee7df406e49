"""Which codes count as "the coding" of a segment, and the tables everything else reads.

Confirmed (the default): a coder's codes on a segment are that coder's current decisions
with verdict accepted or added. Choose the coder with ``coder``, or ``consensus`` (the
coder named 'consensus'); with several coders and neither, ``any_coder`` takes a code
as applied when any coder applied it (and every output says so); otherwise the choice is
required. Suggested: the codes shown to coders by the latest suggestion run, labelled
"first pass, unconfirmed" wherever they appear.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from pipeline.codebook import Codebook
from pipeline.errors import ConfigError, StudyError
from pipeline.suggest.stage import latest_run

if TYPE_CHECKING:
    from pipeline.context import StudyContext

__all__ = ["SourceOptions", "SummaryCoding", "load_summary_coding", "CONSENSUS_CODER", "UNCONFIRMED", "DEFAULT_INTERVIEWER",
           "APPLIED_COLUMNS"]

CONSENSUS_CODER = "consensus"
UNCONFIRMED = "FIRST PASS, UNCONFIRMED"
# Speakers whose name matches this are the interviewer side: their segments count, but
# they are not informants. Matched against the whole speaker label, case-insensitively.
DEFAULT_INTERVIEWER = r"(i|int|q|interviewer|moderator|facilitator|researcher)(\s*\d+)?"
POSITIVE = ("accepted", "added")
APPLIED_COLUMNS = ["segment_id", "code_id", "decision_ids", "coders", "verdicts", "score"]
SEGMENT_COLUMNS = ["segment_id", "case", "document_id", "document", "seq", "start", "end", "text", "speaker",
                   "informant", "page", "timestamp", "external_id", "role"]


@dataclass(frozen=True)
class SourceOptions:
    """Where the coding comes from; see the module docstring."""

    source: str = "confirmed"  # confirmed | suggested
    coder: str | None = None
    consensus: bool = False
    any_coder: bool = False
    run_id: str | None = None
    codebook_version: str | None = None
    interviewer_pattern: str = DEFAULT_INTERVIEWER


@dataclass(frozen=True)
class SummaryCoding:
    """The coding a summary is built from.

    ``segments``: every current segment (the denominators), with ``informant`` (the speaker
    when they count as an informant, else None). ``applied``: one row per (segment, code)
    applied, with the decision ids (or suggestion ids) behind it. ``cases``: name and
    attributes. ``label``: one line saying where the coding comes from, for every sheet.
    """

    codebook: Codebook
    segments: pd.DataFrame
    applied: pd.DataFrame
    cases: pd.DataFrame
    label: str
    unconfirmed: bool
    reviewed: frozenset[str] = frozenset()
    notes: tuple[str, ...] = field(default=())


def load_summary_coding(study: "StudyContext", options: SourceOptions) -> SummaryCoding:
    """Read segments, cases and the chosen codes from the store."""
    if options.source not in ("confirmed", "suggested"):
        raise ConfigError(f"--source '{options.source}' is not known; use confirmed or suggested")
    if sum([bool(options.coder), options.consensus, options.any_coder]) > 1:
        raise ConfigError("give at most one of --coder NAME, --consensus and --any-coder")
    codebook = study.codebook(options.codebook_version)
    segments = _segments(study, options.interviewer_pattern)
    _check_scope(study, codebook, segments)
    cases = study.cases()
    if options.source == "suggested":
        applied, label, reviewed = _suggested(study, options)
    else:
        applied, label, reviewed = _confirmed(study, options)
    known = {c.id for c in codebook.codes}
    notes = []
    unknown = sorted(set(applied["code_id"]) - known)
    if unknown:
        notes.append(f"left out codes that codebook {codebook.name} ({codebook.version}) does not have: {', '.join(unknown)}")
    current = set(segments["segment_id"])
    stale = int((~applied["segment_id"].isin(current)).sum())
    if stale:
        notes.append(f"left out {stale} codes on segments of older document versions or segmentations")
    applied = applied[applied["code_id"].isin(known) & applied["segment_id"].isin(current)].reset_index(drop=True)
    return SummaryCoding(codebook, segments, applied, cases, label, options.source == "suggested",
                  frozenset(reviewed) & frozenset(current), tuple(notes))


def _segments(study: "StudyContext", interviewer_pattern: str) -> pd.DataFrame:
    try:
        interviewer = re.compile(interviewer_pattern, re.IGNORECASE)
    except re.error as exc:
        raise ConfigError(f"--interviewer '{interviewer_pattern}' is not a valid regular expression ({exc})") from exc
    frame = study.segments().rename(columns={"source_key": "document"})

    def informant(speaker: object) -> str | None:
        if not isinstance(speaker, str) or not speaker.strip():
            return None
        return None if interviewer.fullmatch(speaker.strip()) else speaker.strip()

    # Speaker roles (pipeline.suggest.scope): codes' shares count only the segments of their scope.
    from pipeline.suggest.scope import INTERVIEWER, study_role_map

    roles = study_role_map(study.store, study.settings.roles)
    frame["role"] = [roles.role_of(s, c) for s, c in zip(frame["speaker"], frame["case"])]
    if interviewer_pattern == DEFAULT_INTERVIEWER:  # the study's role map decides who is an interviewer
        frame["informant"] = [str(s).strip() if isinstance(r, str) and r != INTERVIEWER else None
                              for s, r in zip(frame["speaker"], frame["role"])]
    else:
        frame["informant"] = frame["speaker"].map(informant)
    return frame[SEGMENT_COLUMNS].reset_index(drop=True)


def _check_scope(study: "StudyContext", codebook: Codebook, segments: pd.DataFrame) -> None:
    """A scope no speaker has would make every share of its codes 0 of 0: say so instead."""
    from collections import Counter

    from pipeline.suggest.scope import check_scope, study_role_map

    roles = [r if isinstance(r, str) else None for r in segments["role"]]
    check_scope(codebook, study_role_map(study.store, study.settings.roles), Counter(roles))


def _coders(study: "StudyContext") -> list[str]:
    return [r[0] for r in study.store.query("SELECT DISTINCT coder FROM current_decisions ORDER BY coder")]


def _confirmed(study: "StudyContext", options: SourceOptions) -> tuple[pd.DataFrame, str, set[str]]:
    coders = _coders(study)
    if not coders:
        raise StudyError(f"{study.root}: no decisions yet; confirm review workbooks (`deductive confirm`) or import "
                         f"coding (`deductive import-decisions`) first, or summarize the first pass with --source suggested")
    chosen = _choose_coders(coders, options)
    marks = ",".join("?" * len(chosen))
    rows = study.store.query(
        f"SELECT id, coder, segment_id, code_id, verdict FROM current_decisions WHERE coder IN ({marks}) ORDER BY id",
        tuple(chosen))
    frame = pd.DataFrame([dict(r) for r in rows], columns=["id", "coder", "segment_id", "code_id", "verdict"])
    reviewed = set(frame["segment_id"])
    positive = frame[frame["verdict"].isin(POSITIVE) & frame["code_id"].notna()]
    applied = (positive.groupby(["segment_id", "code_id"], sort=False)
               .agg(decision_ids=("id", lambda s: ";".join(map(str, s))),
                    coders=("coder", lambda s: ";".join(sorted(set(s)))),
                    verdicts=("verdict", lambda s: ";".join(sorted(set(s)))))
               .reset_index())
    applied["score"] = float("nan")
    if options.any_coder:
        label = f"confirmed codes applied by any of the coders {', '.join(chosen)} (accepted or added)"
    else:
        label = f"confirmed decisions of coder {chosen[0]} (accepted or added)"
    return applied[APPLIED_COLUMNS], label, reviewed


def _choose_coders(coders: list[str], options: SourceOptions) -> list[str]:
    wanted = CONSENSUS_CODER if options.consensus else options.coder
    if wanted:
        if wanted not in coders:
            how = (" Record the agreed codes as coder 'consensus' (confirm a workbook queued with --coder consensus, "
                   "or `deductive import-decisions ... --coder consensus`)." if options.consensus else "")
            raise ConfigError(f"coder '{wanted}' has no decisions; coders with decisions: {', '.join(coders)}.{how}")
        return [wanted]
    if options.any_coder or len(coders) == 1:
        return coders
    raise ConfigError(f"several coders have decisions ({', '.join(coders)}); choose one with --coder NAME, the agreed "
                      f"codes with --consensus, or every coder's codes together with --any-coder")


def _suggested(study: "StudyContext", options: SourceOptions) -> tuple[pd.DataFrame, str, set[str]]:
    run = options.run_id or latest_run(study.store)
    if run is None:
        raise StudyError(f"{study.root}: no suggestions yet; run `deductive suggest {study.root}` first")
    found = study.store.conn.execute("SELECT model FROM suggestion_runs WHERE id = ?", (run,)).fetchone()
    if found is None:
        raise ConfigError(f"suggestion run '{run}' does not exist; see `deductive suggestions {study.root}`")
    rows = study.store.query("SELECT id, segment_id, code_id, score FROM suggestions WHERE run_id = ? AND suggested = 1"
                             " ORDER BY segment_id, rank", (run,))
    frame = pd.DataFrame([dict(r) for r in rows], columns=["id", "segment_id", "code_id", "score"])
    reviewed = set(frame["segment_id"])
    shown = frame[frame["code_id"].notna()].drop_duplicates(["segment_id", "code_id"])
    applied = pd.DataFrame({"segment_id": shown["segment_id"], "code_id": shown["code_id"],
                            "decision_ids": shown["id"], "coders": "model", "verdicts": "suggested",
                            "score": shown["score"]}).reset_index(drop=True)
    label = f"{UNCONFIRMED}: codes suggested by run {run} (model {found['model']}), not reviewed by a coder"
    return applied[APPLIED_COLUMNS], label, reviewed
