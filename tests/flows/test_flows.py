"""Smoke tests of every flow, plus the behaviours only the flows have: content caching
across runs, a bad document that fails alone, and one pass of the inbox deployment.
Everything else is tested on ``pipeline`` directly."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from flows import stages
from flows.code_study import code_study, run_code_study
from flows.inbox import poll_inbox, watch_inbox
from pipeline.study import Study

pytestmark = pytest.mark.usefixtures("prefect_server")


@pytest.fixture
def counters(monkeypatch: pytest.MonkeyPatch) -> Counter:
    """How often the library parsed a file, cut a document, embedded a text."""
    import pipeline.documents
    import pipeline.embed
    import pipeline.ingest.stage

    calls: Counter = Counter()
    read_file, segment_blocks = pipeline.ingest.stage.read_file, pipeline.documents.segment_blocks
    embed = pipeline.embed.FakeEmbedder.embed

    def counted_read(path, options):  # type: ignore[no-untyped-def]
        calls["parsed " + Path(path).name] += 1
        return read_file(path, options)

    def counted_segment(text, blocks, settings):  # type: ignore[no-untyped-def]
        calls["segmented"] += 1
        return segment_blocks(text, blocks, settings)

    def counted_embed(self, texts):  # type: ignore[no-untyped-def]
        calls["embedded"] += len(texts)
        return embed(self, texts)

    monkeypatch.setattr(pipeline.ingest.stage, "read_file", counted_read)
    monkeypatch.setattr(pipeline.documents, "segment_blocks", counted_segment)
    monkeypatch.setattr(pipeline.embed.FakeEmbedder, "embed", counted_embed)
    return calls


def _parsed(calls: Counter) -> int:
    return sum(n for key, n in calls.items() if key.startswith("parsed "))


def test_code_study_caches_unchanged_documents(fake_settings: Path, corpus: Path, counters: Counter) -> None:
    first = code_study(fake_settings, [corpus])
    assert first.ok and first.suggest is not None
    assert _parsed(counters) == 4 and counters["segmented"] == 4 and counters["embedded"] > 0
    assert (fake_settings / ".prefect-results").is_dir()  # results persist inside the study

    counters.clear()
    second = code_study(fake_settings, [corpus])
    assert {o.status for o in second.ingest.outcomes} == {"unchanged"}
    assert counters == Counter()  # nothing parsed, segmented or embedded again
    assert second.suggestions_per_code == first.suggestions_per_code

    # One changed document: only it is parsed, cut and (its new texts) embedded.
    notes = corpus / "alpha" / "notes.md"
    notes.write_text(notes.read_text(encoding="utf-8") + "\nA brand new paragraph about funding rules.\n",
                     encoding="utf-8")
    third = code_study(fake_settings, [corpus])
    assert _parsed(counters) == 1 and counters["parsed notes.md"] == 1
    assert counters["segmented"] == 1
    assert 0 < counters["embedded"] <= 2
    assert sorted(o.status for o in third.ingest.outcomes) == ["new version", "unchanged", "unchanged", "unchanged"]


def test_bad_document_fails_alone(fake_settings: Path, corpus: Path) -> None:
    (corpus / "beta" / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    report = code_study(fake_settings, [corpus])
    assert [Path(o.path).name for o in report.failed] == ["broken.pdf"]
    assert report.failed[0].reason  # says why
    assert sum(o.status == "new" for o in report.ingest.outcomes) == 4
    assert report.suggest is not None and report.suggest.segments > 0


def test_run_command_reports_failure_and_exits_non_zero(fake_settings: Path, corpus: Path) -> None:
    from click.testing import CliRunner

    from cli.main import cli

    (corpus / "alpha" / "empty.txt").write_bytes(b"")
    result = CliRunner().invoke(cli, ["run", str(fake_settings), str(corpus)], obj={})
    assert result.exit_code == 1, result.output
    assert "empty.txt" in result.output and "4 new" in result.output


@pytest.mark.parametrize("configured, workers, expected", [
    (0, None, None),  # one process: the library's default thread count
    (3, None, 3),     # one process: what deductive.toml says
    (4, 2, 2),        # workers x threads stays within the configured threads
    (1, 2, 1),        # never below one thread per worker
])
def test_worker_threads_fit_the_cores(configured: int, workers: int | None, expected: int | None) -> None:
    from flows.code_study import worker_threads

    assert worker_threads(configured, workers) == expected


def test_stage_flows_smoke(fake_settings: Path, corpus: Path, tmp_path: Path) -> None:
    ingested = stages.ingest_flow(fake_settings, [corpus])
    assert ingested.ok and len(ingested.outcomes) == 4

    with Study(fake_settings) as study:
        study.settings = study.settings.override("segment", unit="paragraph")
        (fake_settings / "deductive.toml").write_text(
            (fake_settings / "deductive.toml").read_text(encoding="utf-8").replace('unit = "sentence"', 'unit = "paragraph"'),
            encoding="utf-8")
    assert stages.segment_flow(fake_settings) == 4  # every document re-cut into paragraphs
    assert stages.segment_flow(fake_settings) == 0  # and not again

    suggested = stages.suggest_flow(fake_settings)
    assert suggested.new_segments == suggested.segments > 0

    books = stages.queue_flow(fake_settings, ["ana"])
    assert len(books) == 1 and books[0].path.is_file()
    copy = tmp_path / "returned.xlsx"
    shutil.copy(books[0].path, copy)
    confirmed = stages.confirm_flow(fake_settings, [copy, tmp_path / "missing.xlsx"])
    assert [c.status for c in confirmed][0] in ("imported", "already imported")
    assert confirmed[1].status == "failed" and "missing.xlsx" in confirmed[1].path

    summary = stages.summarize_flow(fake_settings)
    assert Path(summary.files["summary workbook"]).is_file()
    assert "unconfirmed" in " ".join(summary.notes)
    assert stages.summarize_flow(fake_settings).notes == ("summary unchanged since the last run",)

    assert stages.audit_flow(fake_settings).notes == ("audit skipped: no decisions yet",)
    _decide(fake_settings, tmp_path)
    audited = stages.audit_flow(fake_settings)
    assert Path(audited.files["audit report"]).is_file(), audited.notes


def _decide(study_dir: Path, tmp_path: Path) -> None:
    """Coder 'ana' codes every segment 'culture' (through the library's import)."""
    from pipeline.review import ImportOptions, import_decisions

    with Study(study_dir) as study:
        ids = study.segments()["segment_id"]
        table = tmp_path / "ana.csv"
        pd.DataFrame({"segment": ids, "code": "culture"}).to_csv(table, index=False)
        import_decisions(study, table, ImportOptions(code_column="code", id_columns=("segment",), coder="ana"))


def test_inbox_poll_ingests_new_files_once(fake_settings: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "gamma").mkdir(parents=True)
    (inbox / "gamma" / "interview.txt").write_text(
        "I: How did it start?\n\nP1: The board decided in May and we trained the nurses in June.\n", encoding="utf-8")
    first = poll_inbox(fake_settings, inbox)
    assert [o.status for o in first.ingest.outcomes] == ["new"]
    (inbox / "gamma" / "later.md").write_text("# Later\n\nThe board agreed to buy it in May.\n", encoding="utf-8")
    second = poll_inbox(fake_settings, inbox)
    assert sorted(o.status for o in second.ingest.outcomes) == ["new", "unchanged"]
    with Study(fake_settings) as study:
        assert set(study.documents()["case"]) == {"gamma"}


def test_watch_inbox_runs_only_when_the_inbox_changed(fake_settings: Path, tmp_path: Path) -> None:
    # The served deployment never ran on Prefect's temporary server; the watcher polls itself.
    inbox = tmp_path / "inbox"
    (inbox / "gamma").mkdir(parents=True)
    (inbox / "gamma" / "a.txt").write_text("I: How did it start?\n\nP1: The board decided in May.\n", encoding="utf-8")
    reports = []
    checks = []

    def sleep(seconds: float) -> None:  # between checks: the second one sees no change, the third a new file
        checks.append(seconds)
        if len(checks) == 2:
            (inbox / "gamma" / "b.txt").write_text("P1: We trained the nurses in June.\n", encoding="utf-8")

    runs = watch_inbox(fake_settings, inbox, 5, on_run=reports.append, passes=4, sleep=sleep)
    assert runs == 2 and checks == [5, 5, 5]
    assert [sorted(o.status for o in r.ingest.outcomes) for r in reports] == [["new"], ["new", "unchanged"]]


def test_serve_stops_cleanly_on_ctrl_c(fake_settings: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    import flows.inbox
    from cli.main import cli

    def interrupted(*args: object, **kwargs: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(flows.inbox, "watch_inbox", interrupted)
    result = CliRunner().invoke(cli, ["serve", str(fake_settings), "--inbox", str(tmp_path / "inbox")])
    assert result.exit_code == 0, result.output
    assert "stopped; results are in" in result.output


def test_run_code_study_uses_thread_runner_and_artifacts(fake_settings: Path, corpus: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from prefect.client.orchestration import get_client
    from prefect.task_runners import ThreadPoolTaskRunner

    from flows import code_study as module
    from flows import tasks

    runners, threads = [], set()
    make_runner, parse = module.task_runner, tasks.parse_candidate

    def recording_runner(*args, **kwargs):  # type: ignore[no-untyped-def]
        runners.append(make_runner(*args, **kwargs))
        return runners[-1]

    def recording_parse(*args, **kwargs):  # type: ignore[no-untyped-def]
        threads.add(threading.current_thread().name)
        return parse(*args, **kwargs)

    monkeypatch.setattr(module, "task_runner", recording_runner)
    monkeypatch.setattr(tasks, "parse_candidate", recording_parse)
    report = run_code_study(fake_settings, paths=[corpus], coders=["ana"])
    assert report.ok and len(report.queues) == 1
    # without a Dask address the flow got the thread pool, and the parse tasks ran on its threads
    assert len(runners) == 1 and isinstance(runners[0], ThreadPoolTaskRunner)
    assert threads and threading.main_thread().name not in threads
    with get_client(sync_client=True) as client:
        keys = {a.key for a in client.read_artifacts()}
    assert {"deductive-documents", "deductive-suggestions-per-code", "deductive-outputs"} <= keys
