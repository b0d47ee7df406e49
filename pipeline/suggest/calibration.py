"""Calibration: what turns a study's segment vectors into code probabilities (method steps 1-5).

pipeline.suggest.scoring says what each step does; this module holds the arrays and the
fitting: prototypes and their adaptation to the study, the codebook's temperature, the
evidence bars, the "does this set of codes belong to the study" test and the priors.
Everything here works on numpy arrays; nothing reads the store or the codebook file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from pipeline.errors import InputError

__all__ = [
    "CodeText", "Calibration", "prototypes", "adapt", "fit_calibration", "em_priors", "codebook_temperature",
    "conditional_probabilities", "outside_groups", "study_fit", "TEMPERATURE", "TEMPERATURE_GRID",
    "PROTOTYPE_ROLES", "SEGMENT_WIDENING", "USE_PRIORS", "ADAPT_TEMPERATURE", "ADAPT_WEIGHT", "ADAPT_STEPS",
    "GATE_WIDTH", "FIT_Z", "SET_ASIDE_SCALE",
]

PROTOTYPE_ROLES = ("definition", "inclusion", "examples", "context")
TEMPERATURE = 0.1  # softmax temperature when the codebook cannot set one (see codebook_temperature)
TEMPERATURE_GRID = np.geomspace(0.02, 0.5, 161)  # temperatures the codebook may choose from
# A segment is scored at this multiple of the temperature the codebook's own texts ask for:
# code texts are written to be typical of their code, a study's segments are not, so the texts'
# temperature was overconfident on segments (mean best score 0.67-0.73 where 0.57-0.64 were
# right). Chosen on AnnoMI only (the development data), as the multiple from 1.00 to 2.00 with the
# lowest mean calibration error of its two tasks (method.md step 3).
SEGMENT_WIDENING = 1.35
MIN_TEXTS = 2  # per code: below this, leaving one text out leaves nothing to compare with
ADAPT_TEMPERATURE = 0.02  # sharper sharing while adapting prototypes
ADAPT_WEIGHT = 0.5  # a prototype = code texts + ADAPT_WEIGHT x mean of its segments
ADAPT_STEPS = 5
GATE_WIDTH = 0.05
FIT_Z = 2.0  # a set of codes is set aside when the study is less like it than generic text by 2 standard errors
PRIOR_FLOOR = 1e-3
SET_ASIDE_SCALE = 1e-3  # codes outside groups that are set aside: their evidence times this
USE_PRIORS = False  # EM priors are estimated and stored; re-weighting by them lost on AnnoMI (dev)


@dataclass(frozen=True)
class CodeText:
    code: str
    role: str  # definition | inclusion | examples | context | exclusion
    text: str


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def _softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def prototypes(text_vectors: np.ndarray, texts: Sequence[CodeText], codes: Sequence[str], center: np.ndarray) -> np.ndarray:
    """One unit vector per code: the mean of its centred texts (exclusion criteria left out)."""
    centred = _unit(text_vectors - center)
    rows: dict[str, list[int]] = {}
    for i, t in enumerate(texts):
        if t.role in PROTOTYPE_ROLES:
            rows.setdefault(t.code, []).append(i)
    return np.stack([_unit(centred[rows[c]].mean(axis=0)) for c in codes]).astype(np.float64)


def adapt(segments: np.ndarray, anchors: np.ndarray, steps: int = ADAPT_STEPS) -> np.ndarray:
    """Prototypes of one exclusive group, adapted to the study's (centred) segments."""
    protos = anchors
    for _ in range(steps):
        share = _softmax(segments @ protos.T / ADAPT_TEMPERATURE)
        mass = share.sum(axis=0)
        # (segments.T @ share).T, not share.T @ segments: the same numbers, far faster in BLAS
        means = _unit((segments.T @ share).T / np.maximum(mass, 1e-12)[:, None])
        protos = _unit(anchors + ADAPT_WEIGHT * np.where(mass[:, None] > 0, means, 0.0))
    return protos


def em_priors(posteriors: np.ndarray, steps: int = 100, tol: float = 1e-6) -> np.ndarray:
    """Code frequencies of a group in unlabelled data, by EM prior adjustment (Saerens et al. 2002).

    ``posteriors`` (segments x codes) are probabilities made under equal priors; the result
    is the prior vector that, once the posteriors are re-weighted by it, equals their mean.
    """
    k = posteriors.shape[1]
    prior = np.full(k, 1.0 / k)
    for _ in range(steps):
        weighted = posteriors * (prior * k)
        weighted /= weighted.sum(axis=1, keepdims=True)
        new = np.maximum(weighted.mean(axis=0), PRIOR_FLOOR)
        new /= new.sum()
        if np.abs(new - prior).max() < tol:
            return new
        prior = new
    return prior


@dataclass(frozen=True)
class Calibration:
    """What turns segment vectors into code probabilities, fitted once per run and stored with it.

    Ranking space: ``center`` (mean of the background sentences) and ``prototypes`` (adapted to
    the study). Evidence space: ``gate_center`` (mean of the study's segments), ``anchors``
    (code prototypes from the code texts alone) and ``bar`` (per code, the highest cosine a
    background sentence reaches). ``group_fit``: per exclusive group, ``study_fit`` (positive: the study
    talks about the group more than generic text does); ``free_fit`` the same for the codes
    outside groups; ``n_study`` the number of segments the test saw, ``group_n``/``free_n`` how many
    of them were in each set's speaker scope (the test's sample size). ``fit_rule``: "null" (the
    sign test), "off" (every set trusted: ``[suggest] set_aside = false``) or, for runs stored
    before the test, "share" (group_fit was the share clearing the bar, >= 0.1). ``prior``: EM
    estimate of each group's code frequencies (1 outside groups), applied only if ``use_priors``. ``temperatures``: per group,
    the softmax temperature the codebook set (``codebook_temperature``).
    """

    center: np.ndarray
    prototypes: np.ndarray
    gate_center: np.ndarray
    anchors: np.ndarray
    bar: np.ndarray
    prior: np.ndarray
    groups: list[list[int]] = field(default_factory=list)
    group_fit: list[float] = field(default_factory=list)
    use_priors: bool = USE_PRIORS
    free_fit: float = 1.0
    n_study: int = 0
    fit_rule: str = "null"
    temperatures: list[float] = field(default_factory=list)  # per group; runs stored before: TEMPERATURE
    group_n: list[int] = field(default_factory=list)  # per group: segments in its scope the fit was tested on
    free_n: int = 0  # the same for the codes outside groups; runs stored before: n_study for both

    def raw(self, segments: np.ndarray) -> np.ndarray:
        """Cosine of each segment to each code prototype (ranking space)."""
        return _cosines(segments, self.center, self.prototypes)

    def relevance(self, segments: np.ndarray) -> np.ndarray:
        """Per segment and code: how clearly the segment is closer to the code than unrelated text is."""
        return 1.0 / (1.0 + np.exp(-(_cosines(segments, self.gate_center, self.anchors) - self.bar) / GATE_WIDTH))

    def transform(self, raw: np.ndarray, relevance: np.ndarray) -> np.ndarray:
        """Probabilities (segments x codes)."""
        scores = np.asarray(relevance, dtype=np.float64).copy()
        free = outside_groups(self.groups, scores.shape[1])
        if free and not self.fits(self.free_fit, self.free_n):
            # the study is no closer to these codes than generic text is: never shown, but still
            # in the order of their evidence (top-k, forced choices and the learner's features)
            scores[:, free] *= SET_ASIDE_SCALE
        for group, fit, n, temperature in zip(self.groups, self.group_fit, self.group_sizes(),
                                              self.group_temperatures()):
            conditional = conditional_probabilities(raw[:, group], self.prior[group] if self.use_priors else None,
                                                    temperature)
            if self.fits(fit, n):
                applies = np.ones(len(raw))
            else:
                best = np.argmax(raw[:, group], axis=1)
                applies = relevance[:, group][np.arange(len(raw)), best]
            scores[:, group] = conditional * applies[:, None]
        return scores

    def group_temperatures(self) -> list[float]:
        return list(self.temperatures) if self.temperatures else [TEMPERATURE] * len(self.groups)

    def group_sizes(self) -> list[int]:
        return list(self.group_n) if self.group_n else [self.n_study] * len(self.groups)

    def fits(self, fit: float, n: int | None = None) -> bool:
        """Does a set of codes fit the study (see ``study_fit``), tested on ``n`` segments (default
        ``n_study``)? Old runs stored a share compared with 0.1."""
        if self.fit_rule == "off":  # the researcher said the codebook belongs ([suggest] set_aside = false)
            return True
        if self.fit_rule == "share":
            return fit >= 0.1
        # set aside only when measurably less code-like than generic text (a sign test at
        # FIT_Z standard errors): a small study cannot show that, so its codebook is trusted
        return fit >= -FIT_Z * 0.5 / np.sqrt(max(self.n_study if n is None or n <= 0 else n, 1))

    def scores(self, segments: np.ndarray) -> np.ndarray:
        return self.transform(self.raw(segments), self.relevance(segments))

    def set_aside(self) -> tuple[list[int], bool]:
        """Which sets of codes the study does not seem to talk about: group indices, and the free codes."""
        groups = [i for i, (fit, n) in enumerate(zip(self.group_fit, self.group_sizes())) if not self.fits(fit, n)]
        has_free = bool(outside_groups(self.groups, len(self.prototypes)))
        return groups, has_free and not self.fits(self.free_fit, self.free_n)

    def to_dict(self) -> dict:
        r = lambda a: np.round(np.asarray(a, dtype=np.float64), 6).tolist()  # noqa: E731
        return {"center": r(self.center), "prototypes": r(self.prototypes), "gate_center": r(self.gate_center),
                "anchors": r(self.anchors), "bar": r(self.bar), "prior": r(self.prior), "groups": self.groups,
                "group_fit": r(self.group_fit), "use_priors": self.use_priors, "free_fit": float(self.free_fit),
                "n_study": self.n_study, "fit_rule": self.fit_rule, "temperatures": r(self.temperatures),
                "group_n": list(self.group_n), "free_n": self.free_n}

    @classmethod
    def from_dict(cls, data: dict) -> "Calibration":
        a = lambda k: np.asarray(data[k], dtype=np.float64)  # noqa: E731
        return cls(a("center"), a("prototypes"), a("gate_center"), a("anchors"), a("bar"), a("prior"),
                   [list(g) for g in data["groups"]], [float(x) for x in data["group_fit"]], bool(data["use_priors"]),
                   float(data.get("free_fit", 1.0)), int(data.get("n_study", 0)), str(data.get("fit_rule", "share")),
                   [float(t) for t in data.get("temperatures", [])], [int(n) for n in data.get("group_n", [])],
                   int(data.get("free_n", 0)))


def outside_groups(groups: Sequence[Sequence[int]], n_codes: int) -> list[int]:
    """Indices of the codes in no exclusive group (multi-label codes)."""
    grouped = {j for g in groups for j in g}
    return [j for j in range(n_codes) if j not in grouped]


def _cosines(segments: np.ndarray, center: np.ndarray, protos: np.ndarray) -> np.ndarray:
    if not len(segments):
        return np.zeros((0, protos.shape[0]))
    return _unit(np.asarray(segments, dtype=np.float64) - center) @ protos.T


def conditional_probabilities(raw: np.ndarray, prior: np.ndarray | None = None,
                              temperature: float = TEMPERATURE) -> np.ndarray:
    """P(code | the group applies): softmax of cosines / ``temperature``, re-weighted by ``prior`` if given."""
    logits = raw / temperature
    if prior is not None:
        logits = logits + np.log(prior * len(prior))
    return _softmax(logits)


def fit_calibration(
    segments: np.ndarray,
    text_vectors: np.ndarray,
    texts: Sequence[CodeText],
    codes: Sequence[str],
    groups: Sequence[Sequence[int]],
    background: np.ndarray,
    steps: int = ADAPT_STEPS,
    use_priors: bool = USE_PRIORS,
    fit_segments: np.ndarray | None = None,
    scope: np.ndarray | None = None,
    fit_scope: np.ndarray | None = None,
    set_aside: bool = True,
) -> Calibration:
    """Prototypes adapted to the study, evidence bars from the background, group fit and priors.

    ``fit_segments``: sentences that stand in for the study in the fit test when its segments
    are longer than a sentence (pipeline.suggest.fit_sample); default the segments themselves.
    ``scope`` (segments x codes) and ``fit_scope`` (fit sentences x codes): True where the code
    applies to the speaker (pipeline.suggest.scope). A set of codes adapts to, estimates its
    priors on and is tested for fit on the segments in its scope only; default all segments.
    ``set_aside`` False: the fit is measured and stored but every set is trusted (fit_rule "off").
    """
    if segments.shape[0] < 2:
        raise InputError("scoring needs at least two segments; ingest more text before `suggest`")
    segments = np.asarray(segments, dtype=np.float64)
    background = np.asarray(background, dtype=np.float64)
    center, gate_center = background.mean(axis=0), segments.mean(axis=0)
    protos = prototypes(text_vectors, texts, codes, center)
    anchors = prototypes(text_vectors, texts, codes, gate_center)
    bar = _cosines(background, gate_center, anchors).max(axis=0)
    centred = _unit(segments - center)
    prior = np.ones(len(codes))
    temperatures = [codebook_temperature(text_vectors, texts, [codes[j] for j in group], center, SEGMENT_WIDENING)
                    for group in groups]
    for group, temperature in zip(groups, temperatures):
        own = centred[_rows_in_scope(scope, group, len(centred))]
        protos[group] = adapt(own, protos[group], steps)
        prior[group] = em_priors(conditional_probabilities(own @ protos[group].T, None, temperature))
    if fit_segments is None or not len(fit_segments):
        tested, tested_scope = segments, scope
    else:
        tested, tested_scope = np.asarray(fit_segments, dtype=np.float64), fit_scope
    study, generic = _cosines(tested, gate_center, anchors), _cosines(background, gate_center, anchors)
    free = outside_groups(groups, len(codes))
    sets = [list(g) for g in groups] + ([free] if free else [])
    rows = [_rows_in_scope(tested_scope, codes_, len(tested)) for codes_ in sets]
    fits = [study_fit(study[r][:, c], generic[:, c]) for r, c in zip(rows, sets)]
    counts = [int(r.sum()) for r in rows]
    free_fit, free_n = (fits.pop(), counts.pop()) if free else (1.0, 0)
    return Calibration(center, protos, gate_center, anchors, bar, prior, [list(g) for g in groups], fits, use_priors,
                       free_fit, int(len(tested)), "null" if set_aside else "off", temperatures, counts, free_n)


def _rows_in_scope(scope: np.ndarray | None, codes: Sequence[int], n: int) -> np.ndarray:
    """Rows where any of ``codes`` applies; every row without a scope, or when fewer than two would remain."""
    if scope is None:
        return np.ones(n, dtype=bool)
    rows = np.asarray(scope, dtype=bool)[:, list(codes)].any(axis=1)
    return rows if rows.sum() >= 2 else np.ones(n, dtype=bool)


def codebook_temperature(text_vectors: np.ndarray, texts: Sequence[CodeText], codes: Sequence[str],
                         center: np.ndarray, widening: float = 1.0) -> float:
    """The softmax temperature one exclusive group's own texts ask for (method step 3).

    Each prototype text of the group's codes is compared with every code's prototype, its
    own code's made without it; the temperature is the one (from TEMPERATURE_GRID) under
    which these leave-one-out comparisons give the true code the highest mean log
    probability. No study text and no coder's label is involved, so the same codebook gets
    the same temperature in every study. ``widening`` multiplies it (``fit_calibration``
    passes SEGMENT_WIDENING); the fixed TEMPERATURE, where the texts cannot set one, is not
    widened (it was chosen on segments).
    """
    rows = [(i, codes.index(t.code)) for i, t in enumerate(texts) if t.code in codes and t.role in PROTOTYPE_ROLES]
    labels = np.array([j for _, j in rows], dtype=int)
    counts = np.bincount(labels, minlength=len(codes)) if rows else np.zeros(len(codes), dtype=int)
    if len(codes) < 2 or counts.min() < MIN_TEXTS:
        return TEMPERATURE
    vectors = _unit(np.asarray(text_vectors, dtype=np.float64)[[i for i, _ in rows]] - center)
    sums = np.stack([vectors[labels == j].sum(axis=0) for j in range(len(codes))])
    own = np.arange(len(rows)), labels
    # a text's similarity to each code's unnormalised prototype; its own code without it
    dots = vectors @ sums.T
    dots[own] -= 1.0  # vectors are unit: x . x = 1
    norms = np.linalg.norm(sums, axis=1)[None, :].repeat(len(rows), axis=0)
    own_sums = sums[labels] - vectors
    norms[own] = np.linalg.norm(own_sums, axis=1)
    cosines = dots / np.maximum(norms, 1e-12)
    losses = [-np.log(_softmax(cosines / t)[own] + 1e-12).mean() for t in TEMPERATURE_GRID]
    return float(TEMPERATURE_GRID[int(np.argmin(losses))]) * widening


def study_fit(study: np.ndarray, generic: np.ndarray) -> float:
    """How much more code-like than generic text the study's segments are, for one set of codes.

    Each segment's statistic is its best standardised cosine over the codes (standardised by
    the background sentences' mean and spread per code); its p-value is the share of
    background sentences that reach it. If the study were generic text, half of its segments
    would have p <= 1/2. The result is that share minus 1/2: positive when the study talks
    about these codes more than unrelated text does (Storey's estimate of the share of
    code-like segments is twice it), negative when it talks about them less. The reference is
    the background itself, so no genre-dependent share or constant is involved.
    """
    mu, sd = generic.mean(axis=0), generic.std(axis=0) + 1e-9
    t, null = ((study - mu) / sd).max(axis=1), np.sort(((generic - mu) / sd).max(axis=1))
    p = (1 + len(null) - np.searchsorted(null, t, side="left")) / (len(null) + 1)
    return float(np.mean(p <= 0.5) - 0.5)
