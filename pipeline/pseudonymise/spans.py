"""Findings of one document kept sorted and disjoint, with the overlap check by bisection:
a long transcript has thousands of findings and thousands of candidates to fill gaps
with, so scanning every finding for every candidate would grow with the square of its
length (a 50,000-word transcript on one line took minutes)."""

from __future__ import annotations

import bisect
from typing import Any, Generic, Sequence, TypeVar

__all__ = ["DisjointSpans"]

T = TypeVar("T", bound=Any)  # anything with .start and .end


class DisjointSpans(Generic[T]):
    """Items with ``start`` and ``end``, sorted and not overlapping one another."""

    def __init__(self, items: Sequence[T]) -> None:
        self.items = sorted(items, key=lambda m: m.start)
        self.starts = [m.start for m in self.items]
        self.ends = [m.end for m in self.items]

    def _range(self, start: int, end: int) -> tuple[int, int]:
        first = bisect.bisect_right(self.ends, start)  # the first item ending after start
        last = first
        while last < len(self.items) and self.starts[last] < end:
            last += 1
        return first, last

    def overlapping(self, start: int, end: int) -> list[T]:
        first, last = self._range(start, end)
        return self.items[first:last]

    def put(self, item: T) -> None:
        """Add ``item`` in place of every item it overlaps."""
        first, last = self._range(item.start, item.end)
        self.items[first:last] = [item]
        self.starts[first:last] = [item.start]
        self.ends[first:last] = [item.end]
