"""Does a set of codes that fits whole segments also fit their sentences? (method.md step 4)

    python benchmarks/fit_two_stage.py

The suggest stage tests a codebook's fit on the segments first and draws their sentences
only when some set fails there (pipeline/suggest/fit_sample.py). That is safe if a set that
passes on segments would also pass on sentences. For the benchmarks whose units are longer
than a sentence (AnnoMI utterances, MentalManip dialogues), each with its codebook in the
five styles of benchmarks/codebook_styles.py, and with CFIR 2.0 and the CAP codebook as
foreign codebooks, this prints every set's fit on the whole units and on their sentences,
"(x)" where the set is set aside. A set kept on units but set aside on sentences is now
kept; the reverse cannot happen (the sentences are tested only after a failure).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _datasets  # noqa: E402
from codebook_styles import STYLES, variant  # noqa: E402
from zero_shot import ROOT  # noqa: E402

from pipeline.codebook import load_codebook  # noqa: E402
from pipeline.suggest.background import BACKGROUND  # noqa: E402
from pipeline.suggest.calibration import Calibration, fit_calibration  # noqa: E402
from pipeline.suggest.fit_sample import fit_sentences  # noqa: E402
from pipeline.suggest.scoring import code_texts  # noqa: E402

MULTI_SENTENCE = ("annomi-counsellor", "annomi-client", "mentalmanip")


def verdicts(cal: Calibration) -> str:
    sets = list(zip(cal.group_fit, cal.group_sizes())) + ([(cal.free_fit, cal.free_n)] if cal.free_n else [])
    return " ".join(f"{fit:+.3f}{'' if cal.fits(fit, n) else '(x)'}" for fit, n in sets)


def calibrate(book, embedder, X, sentences) -> Calibration:  # noqa: ANN001
    codes = [c.id for c in book.codable]
    texts = code_texts(book)
    vectors = embedder.embed([t.text for t in texts] + list(BACKGROUND))
    index = {c: j for j, c in enumerate(codes)}
    groups = [[index[c] for c in ids] for ids in book.exclusive_groups().values() if ids]
    return fit_calibration(X, vectors[:len(texts)], texts, codes, groups, vectors[len(texts):], fit_segments=sentences)


def main() -> None:
    embedder = _datasets.BenchEmbedder()
    print(f"{'benchmark':18s} {'codebook':20s} {'fit on units':>24s}   fit on their sentences")
    for name in MULTI_SENTENCE:
        b = _datasets.load(name)
        X = embedder.embed(b.texts)
        sentences = embedder.embed(fit_sentences(b.texts) or [])
        raw = yaml.safe_load(b.codebook.read_text(encoding="utf-8"))
        with tempfile.TemporaryDirectory() as tmp:
            books = []
            for style in STYLES:
                path = Path(tmp) / f"{style.replace(' ', '_')}.yaml"
                path.write_text(yaml.safe_dump(variant(raw, style)), encoding="utf-8")
                books.append((style, load_codebook(path)))
        books += [("CFIR 2.0 (foreign)", load_codebook(ROOT / "codebook" / "cfir2.yaml")),
                  ("CAP (foreign)", load_codebook(_datasets.CODEBOOKS / "cap.yaml"))]
        for label, book in books:
            on_units, on_sentences = (verdicts(calibrate(book, embedder, X, s)) for s in (None, sentences))
            print(f"{name:18s} {label:20s} {on_units:>24s}   {on_sentences}", flush=True)


if __name__ == "__main__":
    main()
