"""Several `confirm`s of one workbook at once (issue 15: two ended in an IntegrityError traceback)."""

from __future__ import annotations

import threading
from pathlib import Path

from pipeline.review import QueueOptions, confirm, queue
from pipeline.study import Study
from review_helpers import edit, segment_rows


def test_three_confirms_at_once_import_once_and_say_so(review_study: Path) -> None:
    with Study(review_study) as study:
        [book] = queue(study, QueueOptions(coder="ana"))
    first = min(segment_rows(book.path).items(), key=lambda kv: kv[1])[0]
    edit(book.path, fill={first: {"Decision 1": "accept"}})
    start = threading.Barrier(3)
    results: list[object] = []

    def one() -> None:
        with Study(review_study) as study:  # its own connection, as a separate process would have
            start.wait()
            try:
                results.append(confirm(study, book.path).status)
            except Exception as exc:  # noqa: BLE001 - the failure being tested for
                results.append(exc)

    threads = [threading.Thread(target=one) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert sorted(map(str, results)) == ["already imported", "already imported", "imported"], results
    with Study(review_study) as study:
        assert study.store.query("SELECT COUNT(*) FROM imports WHERE kind = 'workbook'")[0][0] == 1
        assert study.store.query("SELECT COUNT(*) FROM decisions")[0][0] == 1
