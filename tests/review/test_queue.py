"""`queue`: what goes into a workbook, how it is laid out, what the store remembers."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from cli.main import cli
from pipeline.errors import ConfigError, StudyError
from pipeline.review import QueueOptions, queue
from pipeline.review.layout import text_fingerprint
from pipeline.study import Study
from review_helpers import excel_text, headers, hidden_columns


def _queue(study_dir: Path, **options) -> list:
    out = options.pop("out", None)
    with Study(study_dir) as study:
        return queue(study, QueueOptions(**{"coder": "ana", **options}), out)


def _sheet_rows(path: Path) -> list[dict]:
    sheet = load_workbook(path)["Queue"]
    cols = headers(sheet)
    return [{h: sheet.cell(r, c).value for h, c in cols.items()} for r in range(2, sheet.max_row + 1)]


def test_queue_writes_three_sheets_and_records_items(review_study: Path) -> None:
    [book] = _queue(review_study)
    workbook = load_workbook(book.path)
    assert workbook.sheetnames == ["Instructions", "Queue", "Codebook"]
    rows = _sheet_rows(book.path)
    # The fixture suggests "no code" for every fourth segment: they are queued too (issue 15).
    with Study(review_study) as study:
        segments = study.segments()
        items = study.store.query("SELECT * FROM workbook_items WHERE workbook_id = ? ORDER BY position", (book.workbook_id,))
        stored = study.store.query("SELECT * FROM workbooks WHERE id = ?", (book.workbook_id,))[0]
    expected = list(segments["segment_id"])
    assert [r["segment_id"] for r in rows] == expected == [i["segment_id"] for i in items]
    assert book.left_out == ()
    assert book.segments == len(expected) and stored["coder"] == "ana" and stored["run_id"] == "run-test-1"
    texts = dict(zip(segments["segment_id"], segments["text"]))
    for row, item in zip(rows, items):
        assert row["workbook_id"] == book.workbook_id
        assert row["text_hash"] == item["text_hash"] == text_fingerprint(texts[row["segment_id"]])
        assert row["suggestion_ids"].split() == json.loads(item["suggestion_ids"])
        assert row["Segment"] == texts[row["segment_id"]]
    # Runner-ups (suggested = 0, rank 9) are never shown.
    assert not any(s.endswith(":9") for r in rows for s in r["suggestion_ids"].split())


def test_queue_row_shows_context_scores_and_location(review_study: Path) -> None:
    [book] = _queue(review_study, include_uncoded=True)
    rows = {(r["Case"], r["Segment"]): r for r in _sheet_rows(book.path)}
    row = rows[("alpha", "It started with the board.")]  # first segment of turn 2 in case alpha
    assert row["Case"] == "alpha" and row["Document"] == "alpha/interview_P3.txt"
    assert row["Where"] == "turn 2" and row["Speaker"] == "P3a"
    assert row["Before"] == "I: Can you tell me how the programme started?"
    assert row["After"].startswith("P3a: They decided in May")
    first = _sheet_rows(book.path)[0]
    assert first["Suggestion 1"] == "Setting > Culture (0.82)" and first["Suggestion 2"] == "Phase > Adoption (0.55)"


def test_keys_hidden_locked_and_only_decision_cells_editable(review_study: Path) -> None:
    [book] = _queue(review_study)
    sheet = load_workbook(book.path)["Queue"]
    cols = headers(sheet)
    assert sheet.protection.sheet and sheet.freeze_panes == "B2" and sheet.auto_filter.ref
    for key in ("workbook_id", "segment_id", "suggestion_ids", "text_hash"):
        assert cols[key] in hidden_columns(sheet), key
        assert sheet.cell(2, cols[key]).protection.locked
    for header in ("Decision 1", "Decision 2", "Add code 1", "Add code 2", "Nothing applies", "Memo"):
        assert not sheet.cell(2, cols[header]).protection.locked, header
    for header in ("Segment", "Suggestion 1", "Case"):
        assert sheet.cell(2, cols[header]).protection.locked, header
    # Row 3 has one suggestion: its second decision cell stays locked.
    assert sheet.cell(3, cols["Decision 2"]).protection.locked


def test_dropdowns_cover_every_row_and_feed_from_codebook(review_study: Path) -> None:
    [book] = _queue(review_study)
    workbook = load_workbook(book.path)
    sheet = workbook["Queue"]
    n = sheet.max_row
    lists = {dv.formula1: str(dv.sqref) for dv in sheet.data_validations.dataValidation}
    assert set(lists) == {'"accept,reject"', "CodeChoices", '"yes"'}
    assert f"2:" in lists['"accept,reject"'] and f"{n}" in lists['"accept,reject"']
    name = workbook.defined_names["CodeChoices"]
    assert name.attr_text == "'Codebook'!$A$2:$A$5"
    codebook = workbook["Codebook"]
    picks = [codebook.cell(r, 1).value for r in range(2, codebook.max_row + 1)]
    assert picks == ["Setting > Culture [culture]", "Setting > Policy [policy]", "Phase > Adoption [adoption]",
                     "Phase > Implementation [implementation]"]  # "Domain > Construct" (issue 13)
    assert codebook.cell(2, 4).value == "Setting"  # the group a code belongs to


@pytest.mark.parametrize("text", ["=SUM(A1:A9)", "+44 20 7946", "-1 is what she said", "@cmd|' /C calc'!A0",
                                  "\tindented", "\rcarriage"])
def test_formula_like_text_is_stored_as_text(review_study: Path, text: str) -> None:
    # Each opening character a spreadsheet could read as the start of a formula.
    with Study(review_study) as study:
        segment = study.segments()["segment_id"][0]
        study.store.conn.execute("UPDATE segments SET text = ? WHERE id = ?", (text, segment))
    [book] = _queue(review_study)
    sheet = load_workbook(book.path)["Queue"]
    cell = sheet.cell(2, headers(sheet)["Segment"])
    assert excel_text(cell.value) == text and cell.data_type == "s" and cell.quotePrefix
    with zipfile.ZipFile(book.path) as archive:
        xml = archive.read("xl/worksheets/sheet2.xml").decode("utf-8")
    assert "<f>" not in xml and "<f " not in xml  # no formula anywhere in the Queue sheet


@pytest.mark.parametrize("options, expected", [
    # why: each filter narrows the queue in its own way
    ({"cases": ("beta",)}, lambda segs: [s for i, s in segs if s.startswith("b")]),
    ({"include_uncoded": True}, lambda segs: [s for _, s in segs]),
    ({"include_uncoded": False}, lambda segs: [s for i, s in segs if i % 4 != 2]),
    ({"limit": 3}, lambda segs: [s for _, s in segs][:3]),
])
def test_queue_filters(review_study: Path, options: dict, expected) -> None:
    with Study(review_study) as study:
        frame = study.segments()
    segs = [(i, f"{case[0]}{sid}") for i, (case, sid) in enumerate(zip(frame["case"], frame["segment_id"]))]
    [book] = _queue(review_study, **options)
    got = [r["Case"][0] + r["segment_id"] for r in _sheet_rows(book.path)]
    assert got == expected(segs)


def test_codes_filter_keeps_only_those_codes_and_subcodes(review_study: Path) -> None:
    [book] = _queue(review_study, codes=("phase",))  # a group: adoption and implementation
    rows = _sheet_rows(book.path)
    shown = {r[f"Suggestion {k}"] for r in rows for k in (1, 2, 3) if r.get(f"Suggestion {k}")}
    assert shown == {"Phase > Adoption (0.55)", "Phase > Implementation (0.77)"}


def test_order_by_score_puts_best_first(review_study: Path) -> None:
    [book] = _queue(review_study, order="score", include_uncoded=False)
    firsts = [r["Suggestion 1"] for r in _sheet_rows(book.path)]
    scores = [float(s.rsplit("(", 1)[1].rstrip(")")) for s in firsts]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("order", ["score", "document", "uncertainty"])
def test_a_limited_queue_keeps_only_what_it_can_show(review_study: Path, order: str, monkeypatch) -> None:
    """Issue 18: a 2,000-row queue of a 1M-segment study must not hold every segment. The
    selection keeps the first (document order) or best (a heap, by score) ``limit`` items,
    or ranks the candidates by id and builds only the ones it queues (uncertainty order),
    and builds an item only when it keeps it; the queue equals the full order cut at the limit."""
    from pipeline.review import selection

    with Study(review_study) as study:
        full = selection.select_items(study.store.conn, study.codebook(), _run(study),
                                      QueueOptions(coder="ana", order=order))
        built = []
        real_item = selection._item
        monkeypatch.setattr(selection, "_item", lambda *a: built.append(a[1]["id"]) or real_item(*a))
        limited = selection.select(study.store.conn, study.codebook(), _run(study),
                                   QueueOptions(coder="ana", order=order, limit=3))
    assert len(full) > 6
    assert [i.segment_id for i in limited.items] == [i.segment_id for i in full[:3]]
    assert limited.left_out == {selection.OVER_LIMIT: len(full) - 3}
    if order in ("document", "uncertainty"):
        assert len(built) == 3
    if order == "score":  # ties keep document order, as a stable sort of every item would
        scores = [i.best_score for i in full]
        assert scores == sorted(scores, reverse=True) and len(set(scores)) < len(scores)
        assert len(built) < len(full)


def _run(study: Study) -> str:
    from pipeline.suggest.stage import latest_run

    return latest_run(study.store, study.codebook().version)


def test_queued_segments_are_not_queued_again_unless_requeue(review_study: Path) -> None:
    [first] = _queue(review_study, limit=4)
    [second] = _queue(review_study, limit=4)
    a, b = {r["segment_id"] for r in _sheet_rows(first.path)}, {r["segment_id"] for r in _sheet_rows(second.path)}
    assert not a & b
    [third] = _queue(review_study, limit=4, requeue=True)
    assert {r["segment_id"] for r in _sheet_rows(third.path)} == a


def test_overlap_shares_a_random_part_and_splits_the_rest(review_study: Path) -> None:
    books = _queue(review_study, overlap=0.25, with_coder="ben", seed=7)
    assert [b.coder for b in books] == ["ana", "ben"]
    ana, ben = ({r["segment_id"] for r in _sheet_rows(b.path)} for b in books)
    total = len(ana | ben)
    assert len(ana & ben) == round(0.25 * total) == books[0].shared
    assert abs(len(ana) - len(ben)) <= 1
    again = _queue(review_study, overlap=0.25, with_coder="ben", seed=7, requeue=True, out=books[0].path.with_name("x.xlsx"))
    assert {r["segment_id"] for r in _sheet_rows(again[0].path)} == ana  # seeded: reproducible


@pytest.mark.parametrize("options, named", [
    ({"overlap": 0.2}, "--overlap and --with go together"),  # --overlap without --with
    ({"overlap": 1.5, "with_coder": "ben"}, "--overlap 1.5 must be a share between 0 and 1"),
    ({"with_coder": "ana", "overlap": 0.1}, "--with names the same coder as --coder ('ana')"),
    ({"codes": ("nonsense",)}, "--codes: 'nonsense' not in codebook"),
    ({"cases": ("gamma",)}, "--cases: gamma unknown; the study's cases are: alpha, beta"),
    ({"run_id": "no-such-run"}, "--run no-such-run: no such suggestion run"),
    ({"coder": " "}, "--coder is empty"),
])
def test_bad_queue_options_are_named(review_study: Path, options: dict, named: str) -> None:
    # the message names the option and the bad value, so the coder knows what to change
    with pytest.raises(ConfigError) as info:
        _queue(review_study, **options)
    assert named in str(info.value)


def test_no_run_needs_include_uncoded(study_dir: Path, corpus: Path) -> None:
    with Study(study_dir) as study:
        study.ingest([corpus])
    with pytest.raises(StudyError, match="deductive suggest"):
        _queue(study_dir)
    [book] = _queue(study_dir, include_uncoded=True)
    assert book.suggestions == 0 and book.segments > 0


def test_existing_out_file_is_never_overwritten(review_study: Path, tmp_path: Path) -> None:
    out = tmp_path / "mine.xlsx"
    out.write_bytes(b"coder's work")
    with pytest.raises(ConfigError, match="already exists"):
        _queue(review_study, out=out)
    assert out.read_bytes() == b"coder's work"


def test_cli_queue(review_study: Path, tmp_path: Path) -> None:
    out = tmp_path / "ana.xlsx"
    result = CliRunner().invoke(cli, ["queue", str(review_study), "--coder", "ana", "--out", str(out), "--cases", "alpha"])
    assert result.exit_code == 0, result.output
    assert f"queued {len(_sheet_rows(out))} segments" in result.output
    result = CliRunner().invoke(cli, ["queue", str(review_study), "--coder", "ana", "--cases", "alpha"])
    assert result.exit_code == 0 and "nothing to queue" in result.output


def test_uncertainty_order_puts_close_calls_first(review_study: Path) -> None:
    """--order uncertainty reorders the same segments: in the fixture, rows suggesting only
    "policy" (0.61) leave the phase group undecided (a margin of 0), the closest call."""
    from pipeline.study import Study

    with Study(review_study) as study:
        [by_document] = queue(study, QueueOptions(coder="doc"), out=review_study / "doc.xlsx")
        [by_uncertainty] = queue(study, QueueOptions(coder="unc", order="uncertainty"), out=review_study / "unc.xlsx")
    doc_rows, unc_rows = _sheet_rows(by_document.path), _sheet_rows(by_uncertainty.path)
    assert sorted(r["Segment"] for r in doc_rows) == sorted(r["Segment"] for r in unc_rows)
    assert [r["Segment"] for r in doc_rows] != [r["Segment"] for r in unc_rows]
    assert unc_rows[0]["Suggestion 1"].startswith("Setting > Policy")


def test_workbook_ids_are_deterministic_across_copies_of_a_study(tmp_path: Path, corpus: Path, mini_codebook: Path,
                                                                   suggestions_adder) -> None:
    """The same queue of the same content gets the same id, so a workbook filled on one
    copy (the shipped demo's coders) confirms into another; a second queue differs."""
    from pipeline.study import Study

    ids = []
    for name in ("one", "two"):
        with Study.create(tmp_path / name, codebook=mini_codebook) as study:
            study.ingest([corpus], cases=corpus / "cases.csv")
            suggestions_adder(study)
            ids.append(queue(study, QueueOptions(coder="ann", limit=2))[0].workbook_id)
            ids.append(queue(study, QueueOptions(coder="ann", limit=2))[0].workbook_id)
    assert ids[0] == ids[2] and ids[1] == ids[3] and ids[0] != ids[1]


def test_codes_a_learned_model_does_not_trust_are_flagged(review_study: Path) -> None:
    from pipeline.study import Study

    with Study(review_study) as study:
        with study.store.transaction() as conn:
            conn.execute("UPDATE suggestion_runs SET params = ? WHERE id = ?", (json.dumps({"untrusted": ["policy"]}), "run-test-1"))
        [book] = queue(study, QueueOptions(coder="flags"), out=review_study / "flags.xlsx")
    cells = [r["Suggestion 1"] for r in _sheet_rows(book.path)]
    assert any(c.startswith("Setting > Policy (untrusted)") for c in cells)
    assert not any("Setting > Culture (untrusted)" in c for c in cells)


def test_every_segment_in_scope_is_queued_or_counted_with_its_reason(review_study: Path, tmp_path: Path) -> None:
    """Issue 15: segments without a suggested code were silently left out of the queue."""
    with Study(review_study) as study:
        total = len(study.segments())
    no_code = (total + 1) // 4  # the fixture's "no code" rows, every fourth segment
    [only] = _queue(review_study, include_uncoded=False, out=tmp_path / "a.xlsx")
    assert only.segments == total - no_code
    assert only.left_out == (f"{no_code} segment(s) without a suggested code (left out by --only-suggested)",)
    sheet = load_workbook(only.path)["Instructions"]
    notes = {sheet.cell(r, 1).value: sheet.cell(r, 2).value for r in range(1, sheet.max_row + 1)}
    assert notes["Not in this queue"] == only.left_out[0]
    # The next queue for the same coder takes the rest, and says why the others are not in it.
    result = CliRunner().invoke(cli, ["queue", str(review_study), "--coder", "ana", "--out", str(tmp_path / "b.xlsx")])
    assert result.exit_code == 0, result.output
    assert f"queued {no_code} segments" in result.output
    assert f"not queued: {total - no_code} segment(s) already sent to this coder" in result.output
    [limited] = _queue(review_study, coder="ben", limit=2, out=tmp_path / "c.xlsx")
    assert limited.left_out == (f"{total - 2} segment(s) beyond --limit",)
