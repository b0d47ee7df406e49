"""Does the "codebook belongs to the study" test (method step 4) hold up when segments are long?

    python benchmarks/fit_by_length.py [--windows 1,3,6,12] [--max-units 1500]

AnnoMI (development data) cut into units of 1, 3, 6 and 12 consecutive utterances of one
speaker (therapist or client) within a transcript, so the same text is seen as short and as
long segments. For each unit length it prints the median words per unit and the group fit
of the AnnoMI codebook's two groups (which belong to this text) and the free-code fit of CFIR
2.0 (which does not), with whether each is set aside, twice: tested on the segments
themselves (the first rule) and on a sample of their sentences (pipeline.suggest.fit_sample).
The suggest stage now tests the segments first and the sentences only when a set fails
there (benchmarks/fit_two_stage.py). A test that works sets aside CFIR at every length and
the AnnoMI groups at none.

Then speaker scope: the first N utterances of AnnoMI in transcript order (both speakers, as
a study holds them), the AnnoMI codebook (counsellor codes scoped to counsellors, client
codes to clients), each group tested on every sentence (the rule before) and on its own
speakers' sentences only (what the suggest stage does now).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from _annomi import CODEBOOK, ROLES, require_annomi  # noqa: E402
from _datasets import BenchEmbedder  # noqa: E402

from pipeline.codebook import Codebook, load_codebook  # noqa: E402
from pipeline.suggest.fit_sample import fit_sentences, sentence_sample  # noqa: E402
from pipeline.suggest.scope import role_map, scope_mask  # noqa: E402
from pipeline.suggest.scoring import CodebookSuggester  # noqa: E402

CFIR = HERE.parent / "codebook" / "cfir2.yaml"


def units(frame: pd.DataFrame, speaker: str, window: int, limit: int) -> list[str]:
    """Consecutive utterances of one speaker, ``window`` at a time, transcript by transcript."""
    out: list[str] = []
    for _, turns in frame[frame["interlocutor"] == speaker].groupby("transcript_id", sort=True):
        texts = turns["utterance_text"].tolist()
        out += [" ".join(texts[i:i + window]) for i in range(0, len(texts), window)]
    return out[:limit]


def fits(book: Codebook, embedder: BenchEmbedder, X: np.ndarray, sentences: np.ndarray,
         scope: np.ndarray | None = None, fit_scope: np.ndarray | None = None) -> str:
    suggester = CodebookSuggester().fit(book, embedder.embed, X, fit_segments=sentences, scope=scope,
                                        fit_scope=fit_scope)
    cal = suggester.calibration_
    parts = [f"{name} {fit:+.3f} over {n}{' set aside' if not cal.fits(fit, n) else ''}"
             for name, fit, n in zip(suggester.group_names_, cal.group_fit, cal.group_sizes())]
    if suggester.free_:
        parts.append(f"free codes {cal.free_fit:+.3f}{' set aside' if not cal.fits(cal.free_fit) else ''}")
    return "; ".join(parts)


def by_scope(frame: pd.DataFrame, book: Codebook, embedder: BenchEmbedder, sizes: list[int]) -> None:
    """The first N utterances, both speakers: each group tested on all sentences, then on its speakers'."""
    roles = role_map(ROLES)
    print("\nAnnoMI's first N utterances, both speakers; AnnoMI codebook with speaker scope\n")
    for n in sizes:
        rows = frame.head(n)
        texts = rows["utterance_text"].tolist()
        X = embedder.embed(texts)
        scope = scope_mask(book, [c.id for c in book.codable], [roles.role_of(s) for s in rows["interlocutor"]])
        sample = sentence_sample(texts)
        S, fit_scope = (X, scope) if sample is None else (embedder.embed(sample[0]), scope[sample[1]])
        print(f"N={n:<5d} ({len(S)} sentences)")
        print(f"    every sentence (before):  {fits(book, embedder, X, S)}")
        print(f"    its speakers' (the stage): {fits(book, embedder, X, S, scope, fit_scope)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", default="1,3,6,12")
    parser.add_argument("--max-units", type=int, default=1500)
    parser.add_argument("--first", default="40,100,300,1000", help="study sizes for the speaker-scope part")
    args = parser.parse_args()
    frame = pd.read_csv(require_annomi(), dtype=str, keep_default_na=False)
    frame = frame[frame["utterance_text"].str.strip() != ""]
    embedder = BenchEmbedder("torch")
    annomi, cfir = load_codebook(CODEBOOK), load_codebook(CFIR)
    print("AnnoMI units of N consecutive utterances of one speaker; group fit (method step 4) per codebook\n")
    for window in (int(w) for w in args.windows.split(",")):
        for speaker in ("therapist", "client"):
            texts = units(frame, speaker, window, args.max_units)
            X = embedder.embed(texts)
            words = float(np.median([len(t.split()) for t in texts]))
            print(f"N={window:<2d} {speaker:9s} {len(texts):5d} units, median {words:4.0f} words")
            sentences = fit_sentences(texts)  # None: single sentences already, tested as they are
            S = X if sentences is None else embedder.embed(sentences)
            for label, tested in (("segments (before)", X), ("sentences (the stage)", S)):
                print(f"    tested on {label}")
                print(f"      AnnoMI codebook (belongs): {fits(annomi, embedder, X, tested)}")
                print(f"      CFIR 2.0 (foreign):        {fits(cfir, embedder, X, tested)}")
    by_scope(frame, annomi, embedder, [int(n) for n in args.first.split(",")])


if __name__ == "__main__":
    main()
