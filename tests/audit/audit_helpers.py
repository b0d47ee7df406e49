"""Write decisions with plain SQL so that every test case is exact."""

from __future__ import annotations

import itertools
from typing import Mapping, Sequence

from pipeline.study import Study

_counter = itertools.count(1)


def add_decisions(study: Study, coder: str, coding: Mapping[str, Sequence[str]], *, workbook: str | None = None,
                  created_at: str = "2024-01-01T00:00:00Z", memo: str = "", rejected: Mapping[str, str] = {}) -> None:
    """Record ``coding`` (segment -> codes; empty = 'none') as the coder's decisions in one import."""
    version = study.codebook().version
    with study.store.transaction() as conn:
        if workbook is not None:
            conn.execute("INSERT INTO workbooks(id, coder, created_at, path, codebook_version) VALUES (?,?,?,?,?)",
                         (workbook, coder, created_at, f"{workbook}.xlsx", version))
        import_id = conn.execute("INSERT INTO imports(kind, workbook_id, file_hash, path) VALUES ('test', ?, ?, 'x')",
                                 (workbook, f"hash{next(_counter)}")).lastrowid
        for segment, codes in coding.items():
            rows = [(c, "added") for c in codes] or [(None, "none")]
            if segment in rejected:
                rows.append((rejected[segment], "rejected"))
            for code, verdict in rows:
                conn.execute("INSERT INTO decisions(coder, import_id, workbook_id, segment_id, code_id,"
                             " codebook_version, verdict, memo) VALUES (?,?,?,?,?,?,?,?)",
                             (coder, import_id, workbook, segment, code, version, verdict, memo))
