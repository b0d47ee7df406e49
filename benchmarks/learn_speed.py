"""How long `deductive learn` takes on 2,000 confirmations (without fine-tuning).

A temporary study holds the AnnoMI counsellor and client utterances (9,699, one per row,
cases = transcripts, speakers mapped to the codebook's roles); 2,000 of them, drawn at
random, get a coder's decision (the gold code: a counsellor or a client code).
The embedder returns the packaged MiniLM's vectors from the on-disk benchmark cache, so
the time is what `learn` costs once `deductive suggest` has embedded the segments (as it
always has when there are decisions): reading the log, zero-shot scores, fitting with
grouped cross-validation, the permutation tests, saving. Printed with the load average.

    python benchmarks/learn_speed.py [--n 2000]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _annomi import ROLES  # noqa: E402
from _datasets import embed_texts, load  # noqa: E402

from pipeline.ingest.read import ReadOptions  # noqa: E402
from pipeline.study import Study  # noqa: E402


class CachedEmbedder:
    """The benchmark's cached MiniLM vectors, looked up by text."""

    identity = "all-MiniLM-L6-v2 (benchmark cache)"

    def __init__(self, texts: list[str]) -> None:
        self.vectors = dict(zip(texts, embed_texts(texts)))

    def embed(self, texts):
        missing = [t for t in texts if t not in self.vectors]
        if missing:
            self.vectors.update(zip(missing, embed_texts(missing)))
        return np.stack([self.vectors[t] for t in texts])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    args = parser.parse_args()
    counsellor, client = load("annomi-counsellor"), load("annomi-client")
    texts, labels = counsellor.texts + client.texts, counsellor.labels + client.labels
    speakers = ["therapist"] * len(counsellor.texts) + ["client"] * len(client.texts)
    embedder = CachedEmbedder(texts)
    with tempfile.TemporaryDirectory() as tmp:
        table = Path(tmp) / "rows.csv"
        pd.DataFrame({"rid": range(len(texts)), "doc": counsellor.groups + client.groups, "speaker": speakers,
                      "text": texts}).to_csv(table, index=False)
        study = Study.create(Path(tmp) / "study", codebook=counsellor.codebook)
        # the codebook scopes its groups to counsellor and client turns
        study.settings = dataclasses.replace(study.settings.override("segment", unit="row"), roles=ROLES)
        study.ingest([table], read=ReadOptions(text_column="text", id_columns=("rid",), case_column="doc",
                                               speaker_column="speaker"))
        version = study.codebook().version
        segs = {r["external_id"]: r["id"] for r in study.store.query("SELECT id, external_id FROM current_segments")}
        picked = np.random.default_rng(0).permutation(len(texts))[: args.n]
        with study.store.transaction() as conn:
            conn.execute("INSERT INTO imports(kind, file_hash, path) VALUES ('benchmark', 'learn_speed', 'gold')")
            conn.executemany("INSERT INTO decisions(coder, import_id, segment_id, code_id, codebook_version, verdict)"
                             " VALUES ('gold', 1, ?, ?, ?, 'added')",
                             [(segs[str(i)], labels[i], version) for i in picked])
        study.suggest(embedder=embedder, learned=False)  # embeds every segment once, as in a real study
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        model = study.learn(embedder=embedder)
        seconds = time.perf_counter() - started
        study.close()
    print(f"deductive learn on {model.card['decisions']} confirmations ({model.card['segments']} segments, "
          f"{len(model.card['codes'])} codes): {seconds:.1f} s (target < 120 s); load average {load_before:.1f} "
          f"-> {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
