"""Speaker scope: which codes apply to which speakers.

A study maps speaker labels to roles in ``deductive.toml`` (``[roles] counsellor =
["therapist"]``) or in ``cases.csv`` (a column ``role:<name>`` listing that case's labels
for the role). Without a mapping, the usual interviewer labels (Interviewer, Int, I, Q,
Moderator, Facilitator, Researcher, with or without a number) are interviewers and every
other speaker is a participant. Text without a speaker (documents, reports, survey rows)
belongs to no one's turn and is in every scope: scope restricts speakers, not documents.

A code's scope is its own ``scope`` or its nearest ancestor's (``Codebook.scope_of``);
an empty scope means every speaker. ``role_of`` is the one function that turns a
segment's speaker into a role; the suggest stage, the queue, the summaries and the audit
all ask it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

import numpy as np

from pipeline.codebook import Codebook
from pipeline.config import RoleSettings
from pipeline.errors import InputError
from pipeline.store import from_json

__all__ = [
    "INTERVIEWER", "PARTICIPANT", "DEFAULT_INTERVIEWER_LABELS", "OUT_OF_SCOPE",
    "RoleMap", "role_map", "segment_roles", "in_scope", "scope_mask", "apply_scope", "check_scope",
]

INTERVIEWER, PARTICIPANT = "interviewer", "participant"
DEFAULT_INTERVIEWER_LABELS = ("Interviewer", "Int", "I", "Q", "Moderator", "Facilitator", "Researcher")
# Below every threshold and every calibrated score: out-of-scope codes are never chosen.
OUT_OF_SCOPE = -1.0
CASE_ROLE_PREFIX = "role:"


def _norm(label: str) -> str:
    return " ".join(label.strip().lower().split())


def _stem(label: str) -> str:
    """'Interviewer 2', 'I1', 'Q.' -> 'interviewer', 'i', 'q' (numbered interviewers)."""
    return re.sub(r"[\s\d._#:-]+$", "", _norm(label))


@dataclass(frozen=True)
class RoleMap:
    """Speaker label -> role, study-wide and per case (normalised labels)."""

    labels: Mapping[str, str]
    per_case: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @property
    def roles(self) -> frozenset[str]:
        """Every role a speaker can have in this study."""
        named = set(self.labels.values()) | {r for m in self.per_case.values() for r in m.values()}
        return frozenset(named | {PARTICIPANT})

    def role_of(self, speaker: str | None, case: str | None = None) -> str | None:
        """The role of a speaker label; None for text without a speaker."""
        if not isinstance(speaker, str) or not speaker.strip():
            return None  # also pandas' NaN for a missing speaker
        for table in (self.per_case.get(case if isinstance(case, str) else "", {}), self.labels):
            for key in (_norm(speaker), _stem(speaker)):
                if key in table:
                    return table[key]
        return PARTICIPANT


def role_map(settings: RoleSettings, cases: Mapping[str, Mapping[str, str]] | None = None) -> RoleMap:
    """The study's role map: built-in interviewer labels, then [roles], then cases.csv columns."""
    configured = dict(settings.labels)
    table: dict[str, str] = {}
    if INTERVIEWER not in configured:
        table.update({_norm(x): INTERVIEWER for x in DEFAULT_INTERVIEWER_LABELS})
    for role, labels in configured.items():
        table.update({_norm(x): role for x in labels})
    per_case: dict[str, dict[str, str]] = {}
    for case, attributes in (cases or {}).items():
        for column, value in attributes.items():
            if column.strip().lower().startswith(CASE_ROLE_PREFIX) and str(value).strip():
                role = column.strip().lower()[len(CASE_ROLE_PREFIX):].strip()
                for label in re.split(r"[;,|]", str(value)):
                    if label.strip():
                        per_case.setdefault(case, {})[_norm(label)] = role
    return RoleMap(table, per_case)


def study_role_map(store, settings: RoleSettings) -> RoleMap:  # noqa: ANN001 (a Store)
    """The role map of a stored study (its cases' attributes included)."""
    cases = {r["name"]: from_json(r["attributes"]) for r in store.query("SELECT name, attributes FROM cases")}
    return role_map(settings, cases)


def segment_roles(store, roles: RoleMap, segment_ids: Iterable[str] | None = None) -> dict[str, str | None]:  # noqa: ANN001
    """Segment id -> role (None: no speaker) for the current segments (or the given ones)."""
    rows = store.query("SELECT s.id, s.speaker, d.case_name FROM current_segments s JOIN documents d ON d.id = s.document_id")
    wanted = None if segment_ids is None else set(segment_ids)
    return {r["id"]: roles.role_of(r["speaker"], r["case_name"]) for r in rows if wanted is None or r["id"] in wanted}


def in_scope(codebook: Codebook, code_id: str, role: str | None) -> bool:
    """Whether a code applies to a segment of this role (text without a speaker: always)."""
    scope = codebook.scope_of(code_id)
    return role is None or not scope or role in scope


def scope_mask(codebook: Codebook, codes: Sequence[str], roles: Sequence[str | None]) -> np.ndarray:
    """Segments x codes, True where the code applies to the segment's speaker."""
    columns = {}
    for role in set(roles):
        columns[role] = np.array([in_scope(codebook, c, role) for c in codes], dtype=bool)
    if not roles:
        return np.zeros((0, len(codes)), dtype=bool)
    return np.stack([columns[r] for r in roles])


def apply_scope(scores: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Scores with out-of-scope cells set to OUT_OF_SCOPE (never chosen, dropped later)."""
    return np.where(mask, scores, OUT_OF_SCOPE)


def check_scope(codebook: Codebook, roles: RoleMap, present: Mapping[str | None, int]) -> None:
    """Refuse scopes that can never apply, before anything is embedded or stored.

    ``present``: role -> number of current segments with that role (None: no speaker).
    Raises InputError naming the code, the role, the roles the study's speakers have and
    how to map labels to roles.
    """
    if not codebook.codable:
        return  # the suggester reports a codebook without codable codes
    spoken = {r for r in present if r is not None}
    known = roles.roles | {INTERVIEWER}
    problems = []
    for code in codebook.codable:
        scope = codebook.scope_of(code.id)
        unknown = [r for r in scope if r not in known]
        if unknown:
            problems.append(f"code '{code.id}': scope names role(s) {', '.join(map(repr, unknown))} that no speaker "
                            f"label maps to")
        elif scope and spoken and not set(scope) & spoken:
            problems.append(f"code '{code.id}': scope {list(scope)} matches no speaker in the study")
    found = ", ".join(f"{r} ({n} segments)" for r, n in sorted(present.items(), key=lambda x: str(x[0]))
                      if r is not None) or "none"
    fix = ("Map speaker labels to roles in deductive.toml, e.g. [roles] counsellor = [\"therapist\"], or in a "
           "cases.csv column role:<name>; or change the codebook's scope")
    detail = "; ".join(problems[:5]) + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else "")
    if present and not any(in_scope(codebook, c.id, r) for c in codebook.codable for r in present):
        raise InputError(f"codebook '{codebook.name}': every code is scoped away: no segment's speaker has a role "
                         f"its codes apply to ({detail or 'no scope matches'}). Roles of the study's speakers: "
                         f"{found}. {fix}")
    if problems:
        raise InputError(f"codebook '{codebook.name}': {detail}. Roles of the study's speakers: {found}. {fix}")
