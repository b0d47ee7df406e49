"""Helpers for the summary tests: a small coded study: the two-case corpus with decisions written by SQL.

Segments are named by (case, document, seq) with document 'i' (interview) or 'n' (notes).
The expected numbers in the tests are worked out by hand from CODING below.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.study import Study

# (case, doc, seq) -> (verdict, codes). Interview seq 1 is the interviewer ('I').
CODING = {
    ("alpha", "i", 1): ("added", ("culture",)),
    ("alpha", "i", 2): ("accepted", ("adoption", "culture")),
    ("alpha", "i", 3): ("added", ("adoption",)),
    ("alpha", "i", 5): ("accepted", ("implementation",)),
    ("alpha", "i", 6): ("rejected", ("culture",)),  # rejected: never counted
    ("alpha", "i", 7): ("none", (None,)),  # reviewed, nothing applies
    ("alpha", "n", 1): ("added", ("adoption",)),
    ("alpha", "n", 2): ("added", ("policy",)),
    ("alpha", "n", 3): ("accepted", ("culture",)),
    ("beta", "i", 5): ("accepted", ("implementation", "policy")),
    ("beta", "n", 3): ("added", ("culture",)),
    ("beta", "n", 4): ("added", ("culture",)),
}


def segment_ids(study: Study) -> dict[tuple[str, str, int], str]:
    frame = study.segments()
    kind = frame["source_key"].map(lambda k: "i" if "interview" in k else "n")
    return {(c, k, int(s)): i for c, k, s, i in zip(frame["case"], kind, frame["seq"], frame["segment_id"])}


def record_decisions(study: Study, coder: str, coding: dict = CODING, tag: str = "") -> None:
    """Append one import and its decisions for ``coder`` (plain SQL, as confirm would)."""
    ids = segment_ids(study)
    version = study.codebook().version
    with study.store.transaction() as conn:
        cursor = conn.execute("INSERT INTO imports(kind, file_hash, path) VALUES ('test', ?, 'test.csv')",
                              (f"{coder}{tag}",))
        for key, (verdict, codes) in coding.items():
            for code in codes:
                conn.execute("INSERT INTO decisions(coder, import_id, segment_id, code_id, codebook_version, verdict)"
                             " VALUES (?,?,?,?,?,?)", (coder, cursor.lastrowid, ids[key], code, version, verdict))


