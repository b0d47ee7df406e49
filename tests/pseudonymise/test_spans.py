"""Disjoint findings with bisection lookups (pipeline/pseudonymise/spans.py)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from pipeline.pseudonymise.spans import DisjointSpans


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def test_overlapping_and_put_match_a_plain_scan() -> None:
    rng = random.Random(3)
    spans = DisjointSpans([Span(10, 15), Span(0, 4), Span(20, 30)])
    plain = list(spans.items)
    for _ in range(500):
        start = rng.randrange(0, 60)
        candidate = Span(start, start + rng.randrange(1, 8))
        expected = [m for m in plain if m.start < candidate.end and candidate.start < m.end]
        assert spans.overlapping(candidate.start, candidate.end) == expected
        if rng.random() < 0.5:
            spans.put(candidate)
            plain = sorted([m for m in plain if m not in expected] + [candidate], key=lambda m: m.start)
            assert spans.items == plain and spans.starts == [m.start for m in plain]
    # touching is not overlapping: [10, 15) and [15, 20) share no character
    assert DisjointSpans([Span(10, 15)]).overlapping(15, 20) == []


def test_a_long_line_of_capitals_is_detected_in_linear_time() -> None:
    """A 30,000-word transcript on one line, half its words capitalised: the capitals
    rules finish quickly (a scan of every finding per candidate took minutes)."""
    import time

    from pipeline.pseudonymise.detect import SourceText, detect

    words = ["the", "Lantern", "Owl", "went", "to", "Brimble", "and", "QXTF", "said", "of", "Hollow", "in"]
    text = "Ann: " + " ".join(words[(i * 7) % len(words)] for i in range(30_000))
    started = time.process_time()
    found = detect([SourceText("a", text, ((0, len(text)),))], [], None)
    assert found and time.process_time() - started < 20  # about 0.5 s; the quadratic version took over a minute
