"""The engine against the naive script when the codebook is written more sparely.

Researchers' codebooks differ: many have a definition per code and no examples, some one
example, some no definition on the group, and some never say that a group's codes exclude
each other. This rewrites each benchmark's codebook in six styles (fields are removed or a
group's `exclusive` flag is cleared; nothing is added or reworded) and runs
benchmarks/zero_shot.py's comparison on each, in one run:

  full                the committed codebook
  no examples         examples removed
  definition only     examples, inclusion and exclusion criteria removed
  one example         only the first example of each code kept
  no parent def       the group's own definition removed (codes keep theirs)
  no exclusive group  the group is not marked exclusive: every code is multi-label and
                      scored on its own evidence (method.md step 4); the engine's best
                      code is compared with the gold code as before

It prints, per benchmark and style, the engine's and the naive script's kappa (test split),
the gain, the engine's calibration error and share shown, and the group fit (method.md
step 4: whether the engine sets the group aside). The naive script uses the same sparser
codebook ("label: definition" plus its examples, if any). Nothing here was tuned on these
variants; the committed codebooks are not edited (the variants live in a temporary folder).

    python benchmarks/codebook_styles.py [--only NAME ...]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Iterator

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _datasets  # noqa: E402
from zero_shot import run_benchmark  # noqa: E402

def _codable(change):
    """A change to the codable codes only (the group's own entry stays)."""
    return lambda code: code if code.get("codable") is False else change(code)


STYLES = {  # style -> what it does to each code of the YAML file
    "full": lambda code: code,
    "no examples": _codable(lambda c: {**c, "examples": []}),
    "definition only": _codable(lambda c: {**c, "examples": [], "inclusion": "", "exclusion": ""}),
    "one example": _codable(lambda c: {**c, "examples": list(c.get("examples") or [])[:1]}),
    "no parent def": lambda code: {**code, "definition": ""} if code.get("codable") is False else code,
    "no exclusive group": lambda code: {**code, "exclusive": False} if code.get("exclusive") else code,
}


def variant(raw: dict, style: str) -> dict:
    """The codebook ``raw`` (as read from YAML) in ``style``."""
    return {**raw, "codes": [STYLES[style](code) for code in raw["codes"]]}


def styled_files(codebook: Path, folder: Path) -> Iterator[tuple[str, Path]]:
    """(style, path) of ``codebook`` written in each style into ``folder`` (the committed file is not touched)."""
    raw = yaml.safe_load(codebook.read_text(encoding="utf-8"))
    for style in STYLES:
        path = folder / f"{codebook.stem}-{style.replace(' ', '_')}.yaml"
        path.write_text(yaml.safe_dump(variant(raw, style)), encoding="utf-8")
        yield style, path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=list(_datasets.BENCHMARKS), help="benchmarks to run (default: all)")
    args = parser.parse_args()
    embedder = _datasets.BenchEmbedder()
    started = time.perf_counter()
    print(f"{'benchmark':18s} {'codebook':18s} {'engine':>7s} {'naive':>7s} {'gain':>7s} {'ECE':>6s} {'shown':>6s} {'fit':>7s}")
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.only or _datasets.BENCHMARKS:
            b = _datasets.load(name)
            for style, path in styled_files(b.codebook, Path(tmp)):
                rows = run_benchmark(replace(b, codebook=path), embedder)
                e, n = rows["engine"], rows["naive"]
                verdict = "" if e["belongs"] else " set aside"
                print(f"{name:18s} {style:18s} {e['kappa']:7.3f} {n['kappa']:7.3f} {e['kappa'] - n['kappa']:+7.3f} "
                      f"{e['ece']:6.3f} {e['shown']:6.2f} {e['study_fit']:+7.3f}{verdict}", flush=True)
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
