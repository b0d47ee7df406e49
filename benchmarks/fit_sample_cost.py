"""What a cold `suggest` on AnnoMI spends beyond embedding its segments: the fit test's sentences.

    python benchmarks/fit_sample_cost.py [--limit N]

pipeline/suggest/fit_sample.py splits up to 2,000 segments into sentences (spaCy) and the
fit test embeds up to 2,000 of those sentences, when segments are longer than a sentence.
This script ingests AnnoMI into a temporary study (as annomi_end_to_end.py does), then
times, with the default backend: (a) embedding every utterance (what a cold suggest must
do), (b) loading spaCy and splitting the fit sample into sentences, (c) embedding the sample's sentences
that (a) did not already embed. (b) + (c) is the fit test's extra cost in a cold run; a
warm run finds (c) in the cache. Figures are one run's; on a shared machine compare the
shares, not the seconds.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
from _annomi import CODEBOOK, READ, ROLES, first_rows, require_annomi  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, help="only the first N rows of AnnoMI")
    args = parser.parse_args()
    from pipeline.embed.cache import cache_texts
    from pipeline.study import Study
    from pipeline.segment import sentence_texts
    from pipeline.suggest.fit_sample import fit_sentences

    source = require_annomi()
    with tempfile.TemporaryDirectory() as tmp:
        source = first_rows(source, args.limit, Path(tmp))
        with Study.create(Path(tmp) / "study", codebook=CODEBOOK) as study:
            study.settings = dataclasses.replace(study.settings.override("segment", unit="row"), roles=ROLES)
            study.ingest([source], read=READ)
            texts = [r[0] for r in study.store.conn.execute("SELECT text FROM current_segments")]
            embedder = study.embedder()
            embedder.embed(["warm up"])  # loads the model: not part of either figure
            started = time.perf_counter()
            embedded = cache_texts(study.store, embedder, texts)
            utterances = time.perf_counter() - started
            started = time.perf_counter()
            sentence_texts("Loads the sentence splitter. Once a process.")
            load = time.perf_counter() - started
            started = time.perf_counter()
            sentences = fit_sentences(texts) or []
            split = time.perf_counter() - started
            known = set(texts)
            new = [s for s in dict.fromkeys(sentences) if s not in known]
            started = time.perf_counter()
            extra = cache_texts(study.store, embedder, new)
            fit = time.perf_counter() - started
    print(f"AnnoMI segments: {len(texts):,} ({embedded:,} distinct texts embedded), backend {embedder.identity}")
    print(f"(a) embed every segment            {utterances:7.1f} s  ({embedded / utterances:,.0f} texts/s)")
    print(f"(b) load spaCy's sentence splitter {load:7.1f} s  (a cold `suggest` process loads it for this alone)")
    print(f"    split the fit sample (spaCy)   {split:7.1f} s  ({len(sentences):,} sentences kept)")
    print(f"(c) embed the new fit sentences    {fit:7.1f} s  ({extra:,} not among the segments)")
    extra_seconds = load + split + fit
    print(f"fit test's extra cost (b)+(c): {extra_seconds:.1f} s = {100 * extra_seconds / utterances:.0f}% of (a)")


if __name__ == "__main__":
    main()
