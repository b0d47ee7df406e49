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

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _datasets  # noqa: E402
from codebook_styles import styled_files  # noqa: E402
from zero_shot import ROOT, Engine  # noqa: E402

from pipeline.codebook import load_codebook  # noqa: E402
from pipeline.suggest.calibration import Calibration  # noqa: E402
from pipeline.suggest.fit_sample import fit_sentences  # noqa: E402

MULTI_SENTENCE = ("annomi-counsellor", "annomi-client", "mentalmanip")


def verdicts(cal: Calibration) -> str:
    sets = list(zip(cal.group_fit, cal.group_sizes())) + ([(cal.free_fit, cal.free_n)] if cal.free_n else [])
    return " ".join(f"{fit:+.3f}{'' if cal.fits(fit, n) else '(x)'}" for fit, n in sets)


def main() -> None:
    embedder = _datasets.BenchEmbedder()
    print(f"{'benchmark':18s} {'codebook':20s} {'fit on units':>24s}   fit on their sentences")
    for name in MULTI_SENTENCE:
        b = _datasets.load(name)
        X = embedder.embed(b.texts)
        sentences = embedder.embed(fit_sentences(b.texts) or [])
        with tempfile.TemporaryDirectory() as tmp:
            books = [(style, load_codebook(path)) for style, path in styled_files(b.codebook, Path(tmp))]
        books += [("CFIR 2.0 (foreign)", load_codebook(ROOT / "codebook" / "cfir2.yaml")),
                  ("CAP (foreign)", load_codebook(_datasets.CODEBOOKS / "cap.yaml"))]
        for label, book in books:
            engine = Engine(book, embedder, X)  # its fit tested on the units
            on_units, on_sentences = verdicts(engine.calibration), verdicts(engine.calibrate(sentences))
            print(f"{name:18s} {label:20s} {on_units:>24s}   {on_sentences}", flush=True)


if __name__ == "__main__":
    main()
