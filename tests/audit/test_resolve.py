"""The disagreements workbook round trip (resolve) and merging coders by rule."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from audit_helpers import add_decisions
from pipeline.audit import AuditOptions, audit, find_disagreements, load_audit_sample, merge_into, resolve, write_outputs
from pipeline.audit.disagreements import KEYS, NO_CODE, SHEET
from cli.main import cli
from pipeline.errors import InputError, WorkbookError
from pipeline.reliability import CODER, LABEL, UNIT, merge_coders
from pipeline.study import Study

NO_BOOT = AuditOptions(bootstrap=0)


@pytest.fixture
def three(coded: tuple[Path, list[str]]) -> tuple[Study, list[str]]:
    """ana, ben, cy on six segments: agree on 0 and 5, differ on 1-4."""
    root, segs = coded
    study = Study(root)
    add_decisions(study, "ana", {segs[0]: ["culture"], segs[1]: ["culture"], segs[2]: [], segs[3]: ["adoption"],
                                 segs[4]: ["policy", "culture"], segs[5]: []}, memo="ana's reason")
    add_decisions(study, "ben", {segs[0]: ["culture"], segs[1]: ["culture"], segs[2]: ["policy"],
                                 segs[3]: ["implementation"], segs[4]: ["policy"], segs[5]: []})
    add_decisions(study, "cy", {segs[0]: ["culture"], segs[1]: [], segs[2]: ["policy"], segs[3]: ["adoption"],
                                segs[4]: ["policy"], segs[5]: []})
    yield study, segs
    study.close()


def _current(study: Study, coder: str) -> dict[str, set[str | None]]:
    rows = study.store.query("SELECT segment_id, code_id, verdict FROM current_decisions WHERE coder = ?", (coder,))
    out: dict[str, set[str | None]] = {}
    for r in rows:
        if r["verdict"] in ("accepted", "added", "none"):
            out.setdefault(r["segment_id"], set()).add(r["code_id"])
    return out


def _fill(path: Path, fills: dict[int, dict[str, str]], target: Path) -> Path:
    """Type into the Disagreements sheet as a resolver would: {row: {header: value}}."""
    book = load_workbook(path)
    sheet = book[SHEET]
    header = {cell.value: cell.column for cell in sheet[1]}
    for row, values in fills.items():
        for name, value in values.items():
            sheet.cell(row, header[name]).value = value
    book.save(target)
    return target


@pytest.fixture
def workbook(three: tuple[Study, list[str]], tmp_path: Path) -> Path:
    study, _ = three
    return write_outputs(audit(study, NO_BOOT), tmp_path / "out")["disagreements"]


def test_disagreements_are_the_segments_where_code_sets_differ(three: tuple[Study, list[str]]) -> None:
    study, segs = three
    rows = find_disagreements(load_audit_sample(study, NO_BOOT))
    assert [r.segment_id for r in rows] == segs[1:5]
    assert rows[3].codes == {"ana": ("culture", "policy"), "ben": ("policy",), "cy": ("policy",)}
    assert rows[0].memos["ana"] == "ana's reason" and rows[0].memos["ben"] == ""


def test_workbook_layout(workbook: Path, three: tuple[Study, list[str]]) -> None:
    study, segs = three
    book = load_workbook(workbook)
    sheet = book[SHEET]
    header = [c.value for c in sheet[1]]
    assert header[:6] == ["#", "Case", "Document", "Segment", "ana: codes", "ana: memo"]
    assert {"Resolution 1", "Resolution 2", "Resolution memo", *KEYS} <= set(header)
    keys = [sheet.cell(1, header.index(k) + 1).column_letter for k in KEYS]
    assert all(sheet.column_dimensions[k].hidden for k in keys)
    assert sheet.protection.sheet
    res = sheet.cell(2, header.index("Resolution 1") + 1)
    assert res.protection.locked is False and sheet.cell(2, header.index("segment_id") + 1).protection.locked
    assert sheet.cell(2, header.index("segment_id") + 1).value == segs[1]
    choices = [c.value for c in book["Choices"]["A"]]
    assert choices[0] == NO_CODE and "Culture [culture]" in choices
    assert book["Choices"].sheet_state == "hidden"
    (dropdown,) = sheet.data_validations.dataValidation
    letter = res.column_letter
    assert dropdown.formula1 == "ResolutionChoices" and f"{letter}2:{letter}5" in str(dropdown.sqref)


def test_resolve_records_consensus_in_one_import(three: tuple[Study, list[str]], workbook: Path,
                                                  tmp_path: Path) -> None:
    study, segs = three
    filled = _fill(workbook, {2: {"Resolution 1": "Culture [culture]", "Resolution memo": "ana was right"},
                              3: {"Resolution 1": NO_CODE},
                              4: {"Resolution 1": "adoption", "Resolution 2": "Adoption [adoption]"}},
                   tmp_path / "filled.xlsx")
    report = resolve(study, filled)
    assert (report.status, report.resolved, report.unresolved) == ("imported", 3, 1)
    # The resolved rows, and the agreed segments 0 and 5 as every coder coded them (issue 15).
    assert _current(study, "consensus") == {segs[1]: {"culture"}, segs[2]: {None}, segs[3]: {"adoption"},
                                            segs[0]: {"culture"}, segs[5]: {None}}
    assert report.agreed == 2
    memo = study.store.query("SELECT memo FROM decisions WHERE coder = 'consensus' AND segment_id = ?", (segs[1],))
    assert memo[0]["memo"] == "ana was right"
    kinds = study.store.query("SELECT DISTINCT i.kind FROM decisions d JOIN imports i ON i.id = d.import_id"
                              " WHERE d.coder = 'consensus'")
    assert sorted(r[0] for r in kinds) == ["agreed", "disagreements"]
    assert resolve(study, filled).status == "already imported"
    # A second round changes segs[1] from culture to policy: culture is retired, not left behind.
    again = _fill(filled, {2: {"Resolution 1": "Policy [policy]"}}, tmp_path / "again.xlsx")
    resolve(study, again)
    assert _current(study, "consensus")[segs[1]] == {"policy"}


@pytest.mark.parametrize(
    ("fills", "message"),
    [
        # A code that is not in the codebook: names sheet, row and column (cell).
        ({2: {"Resolution 1": "Leadership"}}, r"sheet 'Disagreements' row 2 column 'Resolution 1' \(cell [A-Z]+2\)"),
        # 'no code' beside a code contradicts itself.
        ({3: {"Resolution 1": NO_CODE, "Resolution 2": "culture"}}, "row 3 column 'Resolution 1'.*cannot go with codes"),
        # A group heading is not codable.
        ({2: {"Resolution 2": "Phase [phase]"}}, "group heading"),
        # An edited key.
        ({2: {"Resolution 1": "culture", "segment_id": "abc"}}, "row 2 column 'segment_id'.*not a current segment"),
        ({2: {"Resolution 1": "culture", "text_hash": "0"}}, "column 'text_hash'.*text changed"),
        ({2: {"Resolution 1": "culture", "codebook_version": "zzz"}}, "codebook version 'zzz' is not in this study"),
    ],
)
def test_bad_resolutions_name_the_cell_and_write_nothing(three: tuple[Study, list[str]], workbook: Path,
                                                         tmp_path: Path, fills: dict, message: str) -> None:
    study, _ = three
    filled = _fill(workbook, {4: {"Resolution 1": "culture"}, **fills}, tmp_path / "bad.xlsx")
    before = study.store.query("SELECT COUNT(*) FROM decisions")[0][0]
    with pytest.raises(WorkbookError, match=message):
        resolve(study, filled)
    assert study.store.query("SELECT COUNT(*) FROM decisions")[0][0] == before
    assert not study.store.query("SELECT 1 FROM imports WHERE kind = 'disagreements'")


def test_a_workbook_without_the_sheet_or_keys_is_refused(three: tuple[Study, list[str]], workbook: Path,
                                                         tmp_path: Path) -> None:
    study, _ = three
    book = load_workbook(workbook)
    book[SHEET].title = "Other"
    book.save(tmp_path / "renamed.xlsx")
    with pytest.raises(WorkbookError, match="no sheet named 'Disagreements'"):
        resolve(study, tmp_path / "renamed.xlsx")
    book = load_workbook(workbook)
    book[SHEET].delete_cols(len(list(book[SHEET][1])))  # the last hidden key column
    book.save(tmp_path / "nokey.xlsx")
    with pytest.raises(WorkbookError, match="no column 'codebook_version'"):
        resolve(study, tmp_path / "nokey.xlsx")
    (tmp_path / "junk.xlsx").write_text("not a workbook")
    with pytest.raises(WorkbookError, match="not a readable .xlsx"):
        resolve(study, tmp_path / "junk.xlsx")


def test_the_audit_workbook_can_be_resolved_too(three: tuple[Study, list[str]], workbook: Path, tmp_path: Path) -> None:
    study, segs = three
    filled = _fill(workbook.parent / "audit.xlsx", {2: {"Resolution 1": "culture"}}, tmp_path / "a.xlsx")
    assert resolve(study, filled, coder="panel").resolved == 1
    assert _current(study, "panel") == {segs[1]: {"culture"}, segs[0]: {"culture"}, segs[5]: {None}}  # + agreed


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("unanimous", {0: {"culture"}, 1: {None}, 2: {None}, 3: {None}, 4: {"policy"}, 5: {None}}),
        (("at_least", 2), {0: {"culture"}, 1: {"culture"}, 2: {"policy"}, 3: {"adoption"}, 4: {"policy"}, 5: {None}}),
        ("majority", {0: {"culture"}, 1: {"culture"}, 2: {"policy"}, 3: {"adoption"}, 4: {"policy"}, 5: {None}}),
        (("at_least", 1), {0: {"culture"}, 1: {"culture"}, 2: {"policy"}, 3: {"adoption", "implementation"},
                           4: {"policy", "culture"}, 5: {None}}),
    ],
)
def test_merge_into_consensus(three: tuple[Study, list[str]], rule: object, expected: dict) -> None:
    study, segs = three
    report = merge_into(study, ("ana", "ben", "cy"), rule)
    assert report.status == "merged" and report.segments == 6
    assert _current(study, "consensus") == {segs[i]: codes for i, codes in expected.items()}
    assert merge_into(study, ("ana", "ben", "cy"), rule).status == "already merged"


def test_merge_agrees_with_the_reliability_function(three: tuple[Study, list[str]]) -> None:
    study, segs = three
    coding = load_audit_sample(study, NO_BOOT)
    rows = [(u, c, code) for (c, u), s in coding.code_sets().items() for code in (sorted(s) or [None])]
    kept = merge_coders(pd.DataFrame(rows, columns=[UNIT, CODER, LABEL]), ("at_least", 2))
    merge_into(study, ("ana", "ben", "cy"), ("at_least", 2), into="pair")
    current = _current(study, "pair")
    assert {(u, k) for u, k in zip(kept[UNIT], kept[LABEL])} == {(u, k) for u, s in current.items() for k in s if k}


def test_a_new_merge_retires_codes_it_no_longer_keeps(three: tuple[Study, list[str]]) -> None:
    study, segs = three
    merge_into(study, ("ana", "ben", "cy"), ("at_least", 1))
    merge_into(study, ("ana", "ben", "cy"), ("at_least", 2))
    assert _current(study, "consensus")[segs[4]] == {"policy"}


@pytest.mark.parametrize(
    ("coders", "into", "message"),
    [(("ana",), "consensus", "at least two coders"), (("ana", "ben"), "ana", "is one of the merged coders"),
     (("ana", "model:x"), "consensus", "model cannot be merged")],
)
def test_merge_errors(three: tuple[Study, list[str]], coders: tuple[str, ...], into: str, message: str) -> None:
    study, _ = three
    with pytest.raises(InputError, match=message):
        merge_into(study, coders, "unanimous", into)


def test_cli_merge_and_resolve(three: tuple[Study, list[str]], workbook: Path, tmp_path: Path) -> None:
    study, segs = three
    runner = CliRunner()
    result = runner.invoke(cli, ["merge-coders", str(study.root), "--coders", "ana,ben,cy", "--at-least", "2"])
    assert result.exit_code == 0, result.output
    assert "merged 6 segments into consensus" in result.output
    filled = _fill(workbook, {2: {"Resolution 1": NO_CODE}}, tmp_path / "f.xlsx")
    result = runner.invoke(cli, ["resolve", str(study.root), str(filled)])
    assert result.exit_code == 0, result.output
    assert "1 segments resolved for consensus" in result.output and "3 left unresolved" in result.output
    assert _current(study, "consensus")[segs[1]] == {None}  # the resolution replaced the merged 'culture'
    bad = runner.invoke(cli, ["merge-coders", str(study.root), "--coders", "ana,ben", "--at-least", "0"])
    assert bad.exit_code == 1 and "--at-least must be 1 or more" in bad.output


# --- issue 15: a rule never overwrites a hand resolution; the order does not matter ----------

def _consensus_summary(study: Study) -> set[tuple[str, str]]:
    """(segment, code) applied in `summarize --consensus`'s coding."""
    from pipeline.summarize.source import SourceOptions, load_summary_coding as summary_coding

    coding = summary_coding(study, SourceOptions(consensus=True))
    return set(zip(coding.applied["segment_id"], coding.applied["code_id"]))


@pytest.mark.parametrize("order", [("resolve", "merge"), ("merge", "resolve"), ("resolve",),
                                   ("resolve", "merge", "resolve"), ("merge", "resolve", "merge")])
def test_resolve_and_merge_in_any_order_give_one_consensus(three: tuple[Study, list[str]], workbook: Path,
                                                           tmp_path: Path, order: tuple[str, ...]) -> None:
    study, segs = three
    filled = _fill(workbook, {2: {"Resolution 1": NO_CODE}, 3: {"Resolution 1": "Culture [culture]"},
                              4: {"Resolution 1": "implementation"}, 5: {"Resolution 1": "culture"}},
                   tmp_path / "filled.xlsx")
    for step in order:
        if step == "resolve":
            resolve(study, filled)
        else:
            merge_into(study, ("ana", "ben", "cy"), "majority")
    # Hand resolutions on segs 1-4; the agreed segs 0 and 5 as all coders coded them.
    assert _current(study, "consensus") == {segs[0]: {"culture"}, segs[1]: {None}, segs[2]: {"culture"},
                                            segs[3]: {"implementation"}, segs[4]: {"culture"}, segs[5]: {None}}
    assert _consensus_summary(study) == {(segs[0], "culture"), (segs[2], "culture"), (segs[3], "implementation"),
                                         (segs[4], "culture")}
    # The audit of the coders is the same whatever consensus holds.
    assert audit(study, NO_BOOT).coding.coders == ("ana", "ben", "cy")


def test_merge_after_resolve_reports_the_kept_resolutions(three: tuple[Study, list[str]], workbook: Path,
                                                          tmp_path: Path) -> None:
    study, segs = three
    resolve(study, _fill(workbook, {2: {"Resolution 1": NO_CODE}}, tmp_path / "f.xlsx"))
    report = merge_into(study, ("ana", "ben", "cy"), ("at_least", 1))
    assert report.kept_resolutions == 1
    assert _current(study, "consensus")[segs[1]] == {None}
