"""The workbook and the HTML report: every sheet and section says where the coding comes
from, every count is traceable, charts are embedded, ratings round-trip."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from cli.main import cli
from png_content import colour_count, hex_rgb
from pipeline.embed import FakeEmbedder
from pipeline.errors import WorkbookError
from pipeline.study import Study
from pipeline.summarize import SourceOptions, SummaryOptions, read_ratings, summarize, write_summary
from pipeline.summarize.excel import HEADER_ROW, RATINGS_SHEET



def _write(root: Path, out: Path, **source) -> Path:
    with Study(root) as study:
        if source.get("source") == "suggested":
            study.suggest(embedder=FakeEmbedder())
        summary = summarize(study, SummaryOptions(source=SourceOptions(**source), by=("country",)),
                            embedder=FakeEmbedder())
        files = write_summary(summary, out)
    return files.workbook


def test_every_sheet_names_the_source_and_counts_trace_to_evidence(coded_study: Path, tmp_path: Path) -> None:
    path = _write(coded_study, tmp_path / "out")
    book = load_workbook(path)
    expected = {"About", "Cases", "Segments", "Shares", "Documents", "Informants", "Presence", "Cross-case",
                "By country", "Phases", "Co-occurrence", "Exemplars", "Ratings", "FW Setting", "FW Phase",
                "Charts", "Evidence"}
    assert expected <= set(book.sheetnames)
    for sheet in book.worksheets:
        assert "confirmed decisions of coder alice" in sheet.cell(2, 1).value, sheet.title
    segments, evidence = book["Segments"], book["Evidence"]
    header = [c.value for c in evidence[HEADER_ROW]]
    rows = [dict(zip(header, (c.value for c in r))) for r in evidence.iter_rows(min_row=HEADER_ROW + 1)]
    assert len(rows) == 12  # one per code applied
    codes = [c.value for c in segments[HEADER_ROW - 1]]
    for r in range(HEADER_ROW + 1, segments.max_row):
        case = segments.cell(r, 1).value
        for j, code in enumerate(codes[1:], start=2):
            # every count equals the distinct segments of its Evidence rows, roll-ups included
            behind = {e["segment_id"] for e in rows if e["case"] == case
                      and (e["code_id"] == code or code in (e["rolls_up_to"] or "").split(";"))}
            cell = segments.cell(r, j)
            assert cell.value == len(behind), (case, code)
            if behind:
                target = int(re.search(r"A(\d+)$", cell.hyperlink.location or cell.hyperlink.target).group(1))
                assert rows[target - HEADER_ROW - 1]["case"] == case
    images = sum(len(s._images) for s in book.worksheets)
    assert images == 2  # heatmap and the country bars


def test_unconfirmed_first_pass_is_flagged_everywhere(ingested: Path, tmp_path: Path) -> None:
    path = _write(ingested, tmp_path / "out", source="suggested")
    book = load_workbook(path)
    for sheet in book.worksheets:
        assert sheet.cell(2, 1).value.startswith("FIRST PASS, UNCONFIRMED"), sheet.title
    page = (tmp_path / "out" / "summary.html").read_text(encoding="utf-8")
    sections = page.count("<section>")
    assert sections >= 7 and page.count("class='badge'>FIRST PASS, UNCONFIRMED") == sections
    assert "class='warn'" in page


def test_report_is_self_contained(coded_study: Path, tmp_path: Path) -> None:
    _write(coded_study, tmp_path / "out")
    page = (tmp_path / "out" / "summary.html").read_text(encoding="utf-8")
    assert not re.search(r"(src|href)=['\"]https?:", page)  # nothing fetched from elsewhere
    assert page.count("data:image/png;base64,") == 2
    assert "UNCONFIRMED" not in page
    assert "Phases by domain and case" in page and "Exemplar quotes" in page
    charts = tmp_path / "out" / "charts"
    # the heatmap paints its cells from the YlGnBu scale: the largest share in the darkest
    # colour, a case without the code in the palest
    heatmap = (charts / "heatmap.png").read_bytes()
    assert colour_count(heatmap, (8, 29, 88)) > 0 and colour_count(heatmap, (255, 255, 217)) > 0
    # one bar colour per country (matplotlib's first two cycle colours): both groups drew bars
    bars = (charts / "by_country.png").read_bytes()
    assert colour_count(bars, hex_rgb("1f77b4")) > 0 and colour_count(bars, hex_rgb("ff7f0e")) > 0


def _fill_ratings(path: Path, values: dict[tuple[str, str], object], note: str = "") -> None:
    book = load_workbook(path)
    sheet = book[RATINGS_SHEET]
    header = {c.value: c.column for c in sheet[HEADER_ROW]}
    for r in range(HEADER_ROW + 1, sheet.max_row + 1):
        key = (sheet.cell(r, header["case_key"]).value, sheet.cell(r, header["code_key"]).value)
        if key in values:
            sheet.cell(r, header["Rating"]).value = values[key]
            sheet.cell(r, header["Note"]).value = note
    book.save(path)


def _ratings_rows(root: Path) -> list[tuple]:
    with sqlite3.connect(root / "data" / "study.sqlite") as conn:
        return conn.execute("SELECT case_name, code_id, rating, note FROM ratings ORDER BY id").fetchall()


def test_ratings_sheet_has_a_validated_cell_and_hidden_keys(coded_study: Path, tmp_path: Path) -> None:
    sheet = load_workbook(_write(coded_study, tmp_path / "out"))[RATINGS_SHEET]
    header = {c.value: c.column_letter for c in sheet[HEADER_ROW]}
    rules = sheet.data_validations.dataValidation
    assert len(rules) == 1 and rules[0].formula1 == '"-2,-1,0,+1,+2,X"' and rules[0].allow_blank
    assert str(rules[0].sqref).startswith(f"{header['Rating']}{HEADER_ROW + 1}:")
    assert all(sheet.column_dimensions[header[k]].hidden for k in ("case_key", "code_key", "codebook_version"))
    # codable, non-phase codes with evidence: culture and policy, for both cases
    keys = {(sheet[f"{header['case_key']}{r}"].value, sheet[f"{header['code_key']}{r}"].value)
            for r in range(HEADER_ROW + 1, sheet.max_row + 1)}
    assert keys == {(c, k) for c in ("alpha", "beta") for k in ("culture", "policy")}


def test_ratings_round_trip_append_only_and_never_overwritten(coded_study: Path, tmp_path: Path) -> None:
    path = _write(coded_study, tmp_path / "out")
    _fill_ratings(path, {("alpha", "culture"): "+2", ("beta", "policy"): -1, ("beta", "culture"): "x"}, "seen")
    with Study(coded_study) as study:
        first = read_ratings(study, path, analyst="ana")
        again = read_ratings(study, path)
    assert (first.status, first.changed, again.status) == ("imported", 3, "unchanged")
    assert _ratings_rows(coded_study) == [("alpha", "culture", "+2", "seen"), ("beta", "culture", "X", "seen"),
                                          ("beta", "policy", "-1", "seen")]
    # a later summarize shows the stored ratings, and refuses to replace typed-in ratings it has not read
    path = _write(coded_study, tmp_path / "out")
    sheet = load_workbook(path)[RATINGS_SHEET]
    shown = {sheet.cell(r, 1).value + "/" + sheet.cell(r, 3).value: sheet.cell(r, 4).value
             for r in range(HEADER_ROW + 1, sheet.max_row + 1)}
    assert shown == {"alpha/Culture": "+2", "alpha/Policy": None, "beta/Culture": "X", "beta/Policy": "-1"}
    _fill_ratings(path, {("alpha", "culture"): "0", ("alpha", "policy"): "+1"})
    with pytest.raises(WorkbookError, match="not yet in the store.*deductive ratings"):
        _write(coded_study, tmp_path / "out")
    with Study(coded_study) as study:
        changed = read_ratings(study, path)
    # only the rows that changed are appended (the beta rows still show their stored rating and note)
    assert changed.changed == 2
    assert _ratings_rows(coded_study)[3:] == [("alpha", "culture", "0", ""), ("alpha", "policy", "+1", "")]
    # clearing a rating is a change too, recorded as '' (missing)
    _fill_ratings(path, {("alpha", "policy"): None})
    with Study(coded_study) as study:
        cleared = read_ratings(study, path)
    assert (cleared.changed, cleared.cleared) == (1, 1) and _ratings_rows(coded_study)[-1] == ("alpha", "policy", "", "")


@pytest.mark.parametrize("value, column", [
    ("3", "Rating"),  # outside the scale
    ("+3", "Rating"),
    ("good", "Rating"),
])
def test_ratings_outside_the_scale_write_nothing(coded_study: Path, tmp_path: Path, value: str, column: str) -> None:
    path = _write(coded_study, tmp_path / "out")
    _fill_ratings(path, {("alpha", "culture"): "+1", ("beta", "culture"): value})
    with Study(coded_study) as study, pytest.raises(WorkbookError) as caught:
        read_ratings(study, path)
    assert re.search(rf"sheet 'Ratings', row \d+, column '{column}': '{re.escape(value)}' is outside the scale",
                     str(caught.value))
    assert _ratings_rows(coded_study) == []


def test_edited_keys_are_named(coded_study: Path, tmp_path: Path) -> None:
    path = _write(coded_study, tmp_path / "out")
    book = load_workbook(path)
    sheet = book[RATINGS_SHEET]
    header = {c.value: c.column for c in sheet[HEADER_ROW]}
    sheet.cell(HEADER_ROW + 1, header["case_key"]).value = "gamma"
    sheet.cell(HEADER_ROW + 1, header["Rating"]).value = "+1"
    book.save(path)
    with Study(coded_study) as study, pytest.raises(WorkbookError, match=f"row {HEADER_ROW + 1}, column "
                                                                         f"'case_key \\(hidden\\)': case 'gamma'"):
        read_ratings(study, path)


def test_cli_summarize_and_ratings(coded_study: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "cli-out"
    result = runner.invoke(cli, ["summarize", str(coded_study), "--by", "country", "--out", str(out),
                                 "--model", "fake", "--json"], obj={})
    assert result.exit_code == 0, result.output
    import json
    data = json.loads(result.output)
    assert data["source"].startswith("confirmed decisions of coder alice") and not data["unconfirmed"]
    assert {r["group"] for r in data["by"]["country"]["counts"]} == {"UK", "Norway"}
    _fill_ratings(out / "summary.xlsx", {("alpha", "culture"): "+1"})
    result = runner.invoke(cli, ["ratings", str(coded_study), str(out / "summary.xlsx"), "--analyst", "ana"], obj={})
    assert result.exit_code == 0 and "stored 1 changed" in result.output


@pytest.mark.parametrize("args, message", [
    (["--by", "quality"], "--by 'quality': no case has this attribute; case attributes: country"),
    (["--coder", "zoe"], "coder 'zoe' has no decisions; coders with decisions: alice"),
])
def test_cli_bad_input_is_one_clear_line(coded_study: Path, tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["summarize", str(coded_study), "--out", str(tmp_path / "o"), "--model", "none",
                                      *args], obj={})
    assert result.exit_code == 1 and message in result.output


def test_cli_study_without_decisions(ingested: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["summarize", str(ingested), "--out", str(tmp_path / "o"), "--model", "none"], obj={})
    assert result.exit_code == 1 and "no decisions yet" in result.output


def test_readable_sheet_has_codes_down_and_headers_that_break_between_words(coded_study: Path, tmp_path: Path) -> None:
    # The case x code sheets were one column per code (84 wide for CFIR); a person reads codes down the page.
    book = load_workbook(_write(coded_study, tmp_path / "out"))
    sheet = book["Codes by case"]
    header = [c.value for c in sheet[HEADER_ROW]]
    from pipeline.summarize.matrices import ALL_CASES

    assert header == ["Code", "alpha", "beta", ALL_CASES]
    rows = {sheet.cell(r, 1).value.strip(): [sheet.cell(r, j).value for j in range(2, len(header) + 1)]
            for r in range(HEADER_ROW + 1, sheet.max_row + 1)}
    segments = book["Segments"]
    codes = [c.value for c in segments[HEADER_ROW - 1]][1:]
    labels = [c.value for c in segments[HEADER_ROW]][1:]
    alpha_row = next(r for r in range(HEADER_ROW + 1, segments.max_row + 1) if segments.cell(r, 1).value == "alpha")
    for j, (code, label) in enumerate(zip(codes, labels), start=2):
        n = segments.cell(alpha_row, j).value
        shown = rows[label.replace(" (all)", "")][0]
        assert (shown or "").startswith(f"{n} (") if n else shown in (None, ""), (code, n, shown)
        width = segments.column_dimensions[segments.cell(HEADER_ROW, j).column_letter].width
        assert all(len(word) < width for word in label.split()), (label, width)


def test_counts_print_as_counts_in_the_html_table() -> None:
    import pandas as pd

    from pipeline.summarize.report import _table

    html = _table(pd.DataFrame({"code": ["a", "b"], "segments": [2.0, 0.0], "kappa": [0.5, 1.0]}))
    assert "<td class=''>2</td>" in html and "<td class=''>0</td>" in html and "0.000" not in html
    assert "0.500" in html and "1.000" in html  # a statistic keeps its decimals


def test_the_group_chart_leaves_out_cases_without_a_value() -> None:
    import pandas as pd

    from pipeline.summarize.charts import bar_shares
    from pipeline.summarize.crosscase import MISSING_GROUP

    table = pd.DataFrame({"code_id": ["c"] * 3, "group": ["Norway", "UK", MISSING_GROUP], "share": [0.1, 0.3, 0.9]})
    assert list(bar_shares(table).columns) == ["Norway", "UK"]


def test_ratings_show_the_quotes_not_offsets(coded_study: Path, tmp_path: Path) -> None:
    book = load_workbook(_write(coded_study, tmp_path / "out"))
    sheet = book[RATINGS_SHEET]
    header = [c.value for c in sheet[HEADER_ROW]]
    column = header.index("Quote references") + 1
    cells = [sheet.cell(r, column).value for r in range(HEADER_ROW + 1, sheet.max_row + 1)]
    quoted = [c for c in cells if c]
    assert quoted and all(c.startswith("\u201c") and "chars " not in c for c in quoted)


def test_heatmap_paints_a_cell_per_share() -> None:
    from pipeline.summarize.charts import heatmap

    darkest = (8, 29, 88)  # YlGnBu at the top of the scale: the largest share
    one = pd.DataFrame([[1.0, 0.0], [0.0, 0.0]], index=["c1", "c2"], columns=["a", "b"])
    two = pd.DataFrame([[1.0, 1.0], [0.0, 0.0]], index=["c1", "c2"], columns=["a", "b"])
    one_cell = colour_count(heatmap(one, {"a": "A", "b": "B"}, "t"), darkest)
    two_cells = colour_count(heatmap(two, {"a": "A", "b": "B"}, "t"), darkest)
    assert one_cell > 0 and two_cells == pytest.approx(2 * one_cell, rel=0.1)
