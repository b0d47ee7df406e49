"""The audit on a small study whose decisions are written with plain SQL: the sample,
the statistics (checked against direct pipeline.reliability calls), the model as a coder,
drift, the outputs, and errors."""

from __future__ import annotations

import base64
import json
import math
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import pipeline.reliability as rel
from png_content import colour_count, hex_rgb, pixels
from pipeline.audit import AuditOptions, audit, html_section, load_audit_sample, terminal_table, write_outputs
from pipeline.audit.charts import kappa_chart
from pipeline.audit.drift import drift_table
from pipeline.audit.stats import group_matrix
from cli.main import cli
from pipeline.embed import FakeEmbedder
from pipeline.errors import InputError, StudyError
from pipeline.study import Study
from audit_helpers import add_decisions

DOT = hex_rgb("1F4E78")  # the kappa chart's dot colour (pipeline.audit.charts)

NO_BOOT = AuditOptions(bootstrap=0)


def _two_coders(study: Study, segs: list[str]) -> None:
    """ana and ben on the first 12 segments; ben also on two more that ana never saw."""
    ana = {s: ["culture"] if i % 3 == 0 else (["adoption"] if i % 3 == 1 else []) for i, s in enumerate(segs[:12])}
    ben = dict(ana)
    ben[segs[1]] = ["implementation"]  # group disagreement
    ben[segs[2]] = ["culture"]  # presence disagreement on culture
    ben[segs[3]] = ["culture", "policy"]
    ben[segs[12]], ben[segs[13]] = ["policy"], []
    add_decisions(study, "ana", ana, memo="ana says")
    add_decisions(study, "ben", ben, rejected={segs[4]: "policy"})


@pytest.fixture
def two(coded: tuple[Path, list[str]]) -> tuple[Study, list[str]]:
    root, segs = coded
    study = Study(root)
    _two_coders(study, segs)
    yield study, segs
    study.close()


def test_sample_is_the_segments_every_coder_decided(two: tuple[Study, list[str]]) -> None:
    study, segs = two
    coding = load_audit_sample(study, NO_BOOT)
    assert coding.coders == ("ana", "ben")
    # ben's extra segments are outside; 'none' and a rejection still count as decided.
    assert coding.sample == tuple(segs[:12])
    sets = coding.code_sets()
    assert sets[("ben", segs[4])] == frozenset({"adoption"})  # the rejected policy is not applied
    assert sets[("ana", segs[2])] == frozenset()  # decided 'none'
    assert coding.codes == ("culture", "policy", "adoption", "implementation")


def test_per_code_and_overall_match_direct_reliability_calls(two: tuple[Study, list[str]]) -> None:
    study, segs = two
    result = audit(study, NO_BOOT)
    coding = result.coding
    per_code = result.agreement.per_code.set_index("code")
    for code in coding.codes:
        m = np.array([[float(code in coding.code_sets()[(c, s)]) for s in coding.sample] for c in coding.coders])
        row = per_code.loc[code]
        assert row["n_units"] == 12 and row["kappa_type"] == "cohen"
        assert row["kappa"] == pytest.approx(rel.cohen_kappa(m), nan_ok=True)
        assert row["alpha"] == pytest.approx(rel.krippendorff_alpha(m), nan_ok=True)
        assert row["percent_agreement"] == pytest.approx(np.mean(m[0] == m[1]))
    # culture by hand: ana 4 of 12, ben those 4 and one more; po = 11/12,
    # pe = 4/12 * 5/12 + 8/12 * 7/12 = 76/144, kappa = (132 - 76) / (144 - 76) = 56/68.
    assert per_code.loc["culture", "kappa"] == pytest.approx(56 / 68)
    sets = [[frozenset(coding.code_sets()[(c, s)]) for s in coding.sample] for c in coding.coders]
    assert result.agreement.overall.masi_alpha == pytest.approx(rel.krippendorff_alpha_masi(sets))
    # The mean covers only codes coded often enough to mean something (here culture: 5 of 12;
    # policy with 1 and the phases with 4 are greyed, not averaged).
    assert list(per_code.index[per_code["reported"]]) == ["culture"]
    assert per_code.loc["policy", "positives"] == 1
    assert result.agreement.overall.kappa_mean == pytest.approx(56 / 68)


def test_a_code_coded_once_is_greyed_and_left_out_of_the_mean(two: tuple[Study, list[str]]) -> None:
    # One shared positive gave kappa 1.000 [1.00, 1.00] and pulled the mean up.
    from pipeline.audit.report import html_section, terminal_table

    study, segs = two
    result = audit(study, NO_BOOT)
    per_code = result.agreement.per_code.set_index("code")
    assert not per_code.loc["policy", "reported"]
    html = html_section(result, b"")
    policy_row = next(row for row in html.split("<tr") if ">Policy<" in row)
    assert 'class="few"' in policy_row and "too few segments" in policy_row
    table = terminal_table(result)
    assert "Policy" in table and "(too few coded: not in the mean)" in table


def test_the_model_stays_out_of_the_human_headline(two: tuple[Study, list[str]]) -> None:
    study, segs = two
    study.suggest(embedder=FakeEmbedder())
    with_model = audit(study, AuditOptions(include_model=True, bootstrap=0))
    humans_only = audit(study, AuditOptions(coders=with_model.coding.humans, bootstrap=0))
    assert with_model.coding.model is not None and len(with_model.agreement.model_pairs)
    # the same segments (those the model also covered) give the same human figures
    if with_model.coding.sample == humans_only.coding.sample:
        assert with_model.agreement.overall.masi_alpha == pytest.approx(humans_only.agreement.overall.masi_alpha)
    from pipeline.audit.report import terminal_table

    first = terminal_table(with_model).splitlines()[0]
    assert first.startswith("2 coders (ana, ben), ") and "The model (model:" in first and "not counted in these figures" in first


def test_terminal_labels_are_never_cut() -> None:
    import pandas as pd

    from pipeline.audit.report import terminal_table

    long = ["Innovation Evidence-Base and its strength and quality", "Innovation Evidence-Base and its sources"]
    per_code = pd.DataFrame({"code": ["a", "b"], "label": long, "n_units": [9, 9], "prevalence": [0.5, 0.5],
                             "percent_agreement": [1.0, 1.0], "kappa": [1.0, 1.0], "alpha": [1.0, 1.0],
                             "ac1": [1.0, 1.0], "reported": [True, True]})

    class Result:  # only what terminal_table reads
        class coding:  # noqa: N801
            coders, humans, model, sample, warnings = ("ana", "ben"), ("ana", "ben"), None, ("s",) * 9, ()

        class agreement:  # noqa: N801
            groups = pd.DataFrame(columns=["label"])
            masi_low = masi_high = float("nan")

        disagreements: list = []
        drift = pd.DataFrame({"flag": []})

    Result.agreement.per_code = per_code
    Result.agreement.overall = type("O", (), {"masi_alpha": 1.0, "kappa_mean": 1.0, "kappa_min": 1.0, "kappa_max": 1.0,
                                              "n_kappa_undefined": 0})
    table = terminal_table(Result)
    assert long[0] in table and long[1] in table


def test_exclusive_group_is_nominal_across_its_codes(two: tuple[Study, list[str]]) -> None:
    study, segs = two
    result = audit(study, NO_BOOT)
    group = result.agreement.groups.set_index("group").loc["phase"]
    # Nominal values by hand: ana adoption on 4 segments (i % 3 == 1), ben differs on segs[1].
    values = {c: ["adoption" if i % 3 == 1 else "(none)" for i in range(12)] for c in ("ana", "ben")}
    values["ben"][1] = "implementation"
    assert group["kappa"] == pytest.approx(rel.cohen_kappa([values["ana"], values["ben"]]))
    assert group["alpha"] == pytest.approx(rel.krippendorff_alpha([values["ana"], values["ben"]]))
    assert group["n_units"] == 12 and group["n_broken"] == 0
    assert group_matrix(result.coding, ("adoption", "implementation")).shape == (2, 12)


def test_bootstrap_is_reproducible_and_brackets_the_estimate(two: tuple[Study, list[str]]) -> None:
    study, _ = two
    # Few replicates and codes keep the test fast; the properties hold for any number.
    options = AuditOptions(bootstrap=25, seed=3, codes=("culture", "phase"))
    first, again = audit(study, options).agreement, audit(study, options).agreement
    other = audit(study, AuditOptions(bootstrap=25, seed=4, codes=("culture", "phase"))).agreement
    cols = ["kappa_low", "kappa_high", "alpha_low", "alpha_high"]
    pd.testing.assert_frame_equal(first.per_code[cols], again.per_code[cols])
    assert not first.per_code[cols].equals(other.per_code[cols])
    row = first.per_code.set_index("code").loc["culture"]
    assert row["kappa_low"] <= row["kappa"] <= row["kappa_high"]
    assert first.masi_low <= first.overall.masi_alpha <= first.masi_high
    assert not math.isnan(first.groups.loc[0, "kappa_low"])
    none = audit(study, NO_BOOT).agreement
    assert "kappa_low" not in none.per_code and math.isnan(none.masi_low)


def test_codes_option_keeps_a_group_and_its_children(two: tuple[Study, list[str]]) -> None:
    study, _ = two
    result = audit(study, AuditOptions(codes=("phase",), bootstrap=0))
    assert list(result.agreement.per_code["code"]) == ["adoption", "implementation"]
    with pytest.raises(InputError, match="'nope' not in codebook"):
        audit(study, AuditOptions(codes=("nope",), bootstrap=0))


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        (AuditOptions(coders=("ana",), bootstrap=0), InputError, "at least two coders"),  # one coder
        (AuditOptions(coders=("ana", "zoe"), bootstrap=0), InputError, "no decisions by 'zoe'"),  # unknown
        (AuditOptions(include_model=True, bootstrap=0), StudyError, "run `deductive suggest"),  # no run yet
        (AuditOptions(bootstrap=-1), InputError, "--bootstrap"),
    ],
)
def test_bad_options_are_clear_errors(two: tuple[Study, list[str]], options: AuditOptions, error: type,
                                      message: str) -> None:
    study, _ = two
    with pytest.raises(error, match=message):
        audit(study, options)


def test_no_shared_segment_is_an_error(coded: tuple[Path, list[str]]) -> None:
    root, segs = coded
    with Study(root) as study:
        add_decisions(study, "ana", {segs[0]: ["culture"]})
        add_decisions(study, "ben", {segs[1]: ["culture"]})
        with pytest.raises(InputError, match="no segment was decided by all of ana, ben"):
            load_audit_sample(study, NO_BOOT)


def test_consensus_is_left_out_unless_named(two: tuple[Study, list[str]]) -> None:
    study, segs = two
    add_decisions(study, "consensus", {s: [] for s in segs[:12]})
    assert load_audit_sample(study, NO_BOOT).coders == ("ana", "ben")
    assert load_audit_sample(study, AuditOptions(coders=("ana", "consensus"), bootstrap=0)).coders == ("ana", "consensus")


def test_model_as_a_coder(two: tuple[Study, list[str]]) -> None:
    study, segs = two
    report = study.suggest(embedder=FakeEmbedder())
    result = audit(study, AuditOptions(include_model=True, bootstrap=0))
    model = f"model:{report.run_id}"
    assert result.coding.coders == ("ana", "ben", model)
    # The model decided every segment of the run, so the sample is still the humans' 12.
    assert result.coding.sample == tuple(segs[:12])
    shown = study.suggestions(report.run_id)
    for seg in segs[:12]:
        expected = set(shown.loc[(shown["segment_id"] == seg) & shown["code"].notna(), "code"])
        assert result.coding.code_sets()[(model, seg)] == expected & set(result.coding.codes)
    # The headline stays the humans' (Cohen's kappa of ana and ben); the model has its own table.
    assert result.agreement.per_code["kappa_type"].eq("cohen").all()
    pairs = result.agreement.model_pairs
    assert sorted(set(pairs["coder"])) == ["ana", "ben"] and len(pairs) == 2 * len(result.coding.codes)
    coding = result.coding
    m = np.array([[float("culture" in coding.code_sets()[(c, s)]) for s in coding.sample] for c in (model, "ana")])
    got = pairs[(pairs["code"] == "culture") & (pairs["coder"] == "ana")]["kappa"].iloc[0]
    assert got == pytest.approx(rel.cohen_kappa(m), nan_ok=True)


def test_drift_flags_an_over_applier_and_tracks_workbooks(coded: tuple[Path, list[str]]) -> None:
    root, segs = coded
    with Study(root) as study:
        sample = segs[:20]
        # cy applies culture to 12 of 20 segments; ana and ben to 2 each.
        add_decisions(study, "ana", {s: ["culture"] if i < 2 else [] for i, s in enumerate(sample)})
        add_decisions(study, "ben", {s: ["culture"] if i < 2 else [] for i, s in enumerate(sample)})
        add_decisions(study, "cy", {s: ["culture"] if i < 4 else [] for i, s in enumerate(sample[:10])},
                      workbook="cy-1", created_at="2024-01-01T00:00:00Z")
        add_decisions(study, "cy", {s: ["culture"] if i < 8 else [] for i, s in enumerate(sample[10:])},
                      workbook="cy-2", created_at="2024-03-01T00:00:00Z")
        result = audit(study, NO_BOOT)
    drift = result.drift.set_index(["coder", "code"])
    cy = drift.loc[("cy", "culture")]
    assert (cy["count"], cy["others_count"], cy["others_units"]) == (12, 4, 40)
    assert cy["rate"] == pytest.approx(0.6) and cy["others_rate"] == pytest.approx(0.1)
    assert cy["flag"] == "over" and cy["p_value"] < 0.05
    assert drift.loc[("ana", "culture"), "flag"] == "under"
    assert drift.loc[("ana", "policy"), "flag"] == ""  # never applied by anyone: nothing to flag
    batches = result.batches[result.batches["coder"] == "cy"]
    assert list(batches["batch"]) == ["cy-1", "cy-2"] and list(batches["position"]) == [1, 2]
    assert list(batches["culture"]) == pytest.approx([0.4, 0.8])


@pytest.mark.parametrize(
    ("x", "y", "flag"),
    [
        (3, 4, ""),  # ratio 3/(4/2) = 1.5: within [0.5, 2]
        (9, 2, "over"),  # ratio 9: large, and significant
        (2, 0, ""),  # ratio infinite but only 2 applications in all: too little support
    ],
)
def test_drift_rule(coded: tuple[Path, list[str]], x: int, y: int, flag: str) -> None:
    root, segs = coded
    with Study(root) as study:
        sample = segs[:20]
        add_decisions(study, "ana", {s: ["culture"] if i < x else [] for i, s in enumerate(sample)})
        add_decisions(study, "ben", {s: ["culture"] if i < y else [] for i, s in enumerate(sample)})
        add_decisions(study, "cy", {s: ["culture"] if i < y else [] for i, s in enumerate(sample)})
        table = drift_table(load_audit_sample(study, NO_BOOT)).set_index(["coder", "code"])
    assert table.loc[("ana", "culture"), "flag"] == flag


def test_outputs_workbook_html_json_and_table(two: tuple[Study, list[str]], tmp_path: Path) -> None:
    study, _ = two
    result = audit(study, AuditOptions(bootstrap=10))
    paths = write_outputs(result, tmp_path / "out")
    import openpyxl

    book = openpyxl.load_workbook(paths["workbook"])
    assert book.sheetnames[:3] == ["Summary", "Per code", "Groups"]
    assert {"Drift", "Batches", "Disagreements"} <= set(book.sheetnames)
    assert len(book["Summary"]._images) == 1  # the kappa chart
    per_code = [row for row in book["Per code"].iter_rows(min_row=2, values_only=True)]
    assert [r[1] for r in per_code] == list(result.coding.codes)
    page = paths["html"].read_text(encoding="utf-8")
    png = base64.b64decode(page.split("data:image/png;base64,")[1].split('"')[0])
    # the page's chart is the per-code chart: one row per audited code, a dot for each defined kappa
    assert png == kappa_chart(result.agreement.per_code)
    defined = int(result.agreement.per_code["kappa"].notna().sum())
    assert defined > 0 and colour_count(png, DOT) > 0
    assert "Mutually exclusive groups" in page and "<script" not in page
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert data["coders"] == ["ana", "ben"] and data["sample_segments"] == 12
    assert data["overall"]["masi_alpha"] == pytest.approx(result.agreement.overall.masi_alpha)
    text = terminal_table(result)
    assert "Culture" in text and "group Phase" in text and "12 segments decided by all" in text
    assert html_section(result, png).startswith('<section class="audit">')


def test_text_that_looks_like_a_formula_stays_text(coded: tuple[Path, list[str]], tmp_path: Path) -> None:
    root, segs = coded
    with Study(root) as study:
        add_decisions(study, "ana", {segs[0]: ["culture"]}, memo="=HYPERLINK(\"http://x\")")
        add_decisions(study, "ben", {segs[0]: []})
        paths = write_outputs(audit(study, NO_BOOT), tmp_path)
    with zipfile.ZipFile(paths["disagreements"]) as z:
        sheets = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/"))
    assert "<f>" not in sheets  # no cell was stored as a formula


def test_chart_handles_undefined_kappa() -> None:
    frame = pd.DataFrame({"label": ["A", "B"], "n_units": [3, 3], "kappa": [0.5, float("nan")],
                          "kappa_low": [0.1, float("nan")], "kappa_high": [0.8, float("nan")]})
    one_dot = colour_count(kappa_chart(frame), DOT)
    assert one_dot > 0  # the defined kappa is drawn as a dot
    none = frame.assign(kappa=float("nan"), kappa_low=float("nan"), kappa_high=float("nan"))
    assert colour_count(kappa_chart(none), DOT) == 0  # undefined kappas draw no dot, only 'n/a'
    four = pd.DataFrame({"label": list("ABCD"), "n_units": [3] * 4, "kappa": [0.5, 0.2, 0.9, 0.1]})
    chart = kappa_chart(four)
    assert pixels(chart).shape[0] > pixels(kappa_chart(frame)).shape[0]  # a row per code
    assert colour_count(chart, DOT) == pytest.approx(4 * one_dot, rel=0.15)  # four dots


def test_cli_audit_prints_the_table_and_json(two: tuple[Study, list[str]], tmp_path: Path) -> None:
    study, _ = two
    runner = CliRunner()
    out = tmp_path / "report"
    result = runner.invoke(cli, ["audit", str(study.root), "--bootstrap", "5", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "2 coders (ana, ben), 12 segments decided by all" in result.output
    import openpyxl

    assert "Per code" in openpyxl.load_workbook(out / "audit.xlsx").sheetnames
    assert "Disagreements" in openpyxl.load_workbook(out / "disagreements.xlsx").sheetnames
    result = runner.invoke(cli, ["audit", str(study.root), "--bootstrap", "0", "--out", str(out), "--json",
                                 "--coders", "ana,ben", "--codes", "culture"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [r["code"] for r in data["per_code"]] == ["culture"]
    bad = runner.invoke(cli, ["audit", str(study.root), "--coders", "ana"])
    assert bad.exit_code == 1 and "error: an audit compares at least two coders" in bad.output
