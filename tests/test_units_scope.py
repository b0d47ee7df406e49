"""Units, speaker scope and hierarchy (issue 13): the codebook fields, the role map, the
roll-up rule, the suggest stage on a small study with the fake embedder, and every bad
input the issue names (each refused with a message that says what to do, nothing stored)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from cli.main import cli
from pipeline.codebook import Code, Codebook, load_codebook, stored_codebook
from pipeline.config import RoleSettings, load_settings
from pipeline.embed import FakeEmbedder
from pipeline.errors import CodebookError, ConfigError, InputError
from pipeline.records import Block
from pipeline.review import QueueOptions, queue
from pipeline.study import Study
from pipeline.suggest import calibration as calibration_module
from pipeline.suggest.fit_sample import sentence_sample
from pipeline.suggest.scope import INTERVIEWER, PARTICIPANT, role_map, segment_roles, study_role_map
from pipeline.suggest.units import group_units, hierarchy_max, roll_up, unit_spans, SegmentRow

def _root_conftest():
    """tests/conftest.py as a module (``tests`` is not an importable package under CI's pytest)."""
    import importlib.util
    import sys

    name = "deductive_tests_root_conftest"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).resolve().parents[0] / "conftest.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[name] = module
    return sys.modules[name]


MINI_CODEBOOK, TRANSCRIPT = _root_conftest().MINI_CODEBOOK, _root_conftest().TRANSCRIPT
# The mini codebook with scope and unit: setting codes for participants, the phase group
# for participants and chosen once per paragraph.
SCOPED = (MINI_CODEBOOK
          .replace("    codable: false\n    definition: Where the work happens.",
                   "    codable: false\n    scope: [participant]\n    definition: Where the work happens.")
          .replace("    exclusive: true\n    definition: Stage of the work.",
                   "    exclusive: true\n    unit: paragraph\n    scope: [participant]\n    definition: Stage of the work."))


FOREIGN_SCOPED = """
name: foreign, participants only
codes:
  - id: hobby
    label: Hobby
    codable: false
    exclusive: true
    scope: [participant]
    definition: What someone does in their spare time.
  - id: telescopes
    parent: hobby
    label: Telescopes
    definition: Observing planets, comets and galaxies through lenses and mirrors.
    examples: ["Jupiter's moons were visible through the eyepiece.", "The comet's tail glowed above the horizon."]
  - id: baking
    parent: hobby
    label: Baking
    definition: Kneading dough, proving yeast and baking loaves in ovens.
    examples: ["Knead the dough until it is elastic.", "The sourdough loaf needs forty minutes at high heat."]
"""


def _codebook(tmp_path: Path, text: str, name: str = "scoped.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _stored_counts(study: Study) -> tuple[int, ...]:
    return tuple(study.store.query(f"SELECT COUNT(*) FROM {t}")[0][0] for t in ("suggestions", "suggestion_runs", "embeddings"))


# --------------------------------------------------------------------------- codebook fields


def test_unit_and_scope_are_parsed_inherited_and_stored(tmp_path: Path, study_dir: Path) -> None:
    book = load_codebook(_codebook(tmp_path, SCOPED))
    assert book.unit_of("adoption") == "paragraph" and book.unit_of("culture") is None
    assert book.scope_of("culture") == ("participant",) and book.get("culture").scope == ()
    assert book.path_label("adoption") == "Phase > Adoption"
    with Study(study_dir) as study:
        study.add_codebook(tmp_path / "scoped.yaml")
        again = stored_codebook(study.store.conn, book.version)
    assert again == dataclasses.replace(book, description="") and again.version == book.version


def test_codes_without_unit_or_scope_keep_their_version(tmp_path: Path) -> None:
    # The version hashes content; codebooks written before the fields existed keep their ids.
    book = load_codebook(_codebook(tmp_path, MINI_CODEBOOK))
    old_fields = ("id", "label", "parent", "definition", "inclusion", "exclusion", "examples", "codable", "exclusive")
    payload = json.dumps([{k: getattr(c, k) for k in old_fields} for c in book.codes], sort_keys=True, ensure_ascii=False)
    assert book.version == hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]
    assert load_codebook(_codebook(tmp_path, SCOPED, "s.yaml")).version != book.version


@pytest.mark.parametrize("field, message", [
    ("unit: chapter", "unknown unit 'chapter'"),  # a typo: list the valid units
    ("scope: []", "empty scope"),  # an empty scope would silently switch the code off
    ("scope: [\"Dr. Who!\"]", "not role names"),
])
def test_bad_unit_or_scope_names_file_and_code(tmp_path: Path, field: str, message: str) -> None:
    text = MINI_CODEBOOK.replace("    label: Policy\n", f"    label: Policy\n    {field}\n")
    with pytest.raises(CodebookError) as info:
        load_codebook(_codebook(tmp_path, text))
    assert message in str(info.value) and "id 'policy'" in str(info.value) and "scoped.yaml" in str(info.value)


def test_tabular_scope_cell_lists_roles(tmp_path: Path) -> None:
    table = tmp_path / "book.csv"
    table.write_text("id,label,definition,unit,scope\na,A,Alpha talk.,turn,\"participant, client\"\nb,B,Beta talk.,,\n")
    book = load_codebook(table)
    assert book.get("a").scope == ("participant", "client") and book.get("a").unit == "turn"
    assert book.get("b").scope == () and book.get("b").unit is None


def test_shipped_codebooks_name_units_and_participant_scope() -> None:
    root = Path(__file__).resolve().parents[1]
    demo = load_codebook(root / "codebook" / "demo_study.yaml")
    assert demo.unit_of("adoption") == demo.unit_of("transformation") == demo.unit_of("teaming") == "paragraph"
    assert demo.unit_of("critical_incidents") is None
    assert all(demo.scope_of(c.id) == ("participant",) for c in demo.codable)
    annomi = load_codebook(root / "benchmarks" / "annomi_codebook.yaml")
    assert annomi.scope_of("reflection") == ("counsellor",) and annomi.scope_of("change") == ("client",)


# --------------------------------------------------------------------------- roles


@pytest.mark.parametrize("speaker, role", [
    ("Interviewer", INTERVIEWER), ("I", INTERVIEWER), ("Int", INTERVIEWER), ("Q", INTERVIEWER),
    ("interviewer 2", INTERVIEWER),  # numbered interviewers
    ("Moderator", INTERVIEWER), ("Facilitator", INTERVIEWER), ("Researcher", INTERVIEWER),
    ("P3", PARTICIPANT), ("JKG-01", PARTICIPANT), ("Isabel", PARTICIPANT),  # not a prefix match
    (None, None), ("  ", None),  # text without a speaker is no one's turn
])
def test_default_roles(speaker: str | None, role: str | None) -> None:
    assert role_map(RoleSettings()).role_of(speaker) == role


def test_roles_from_settings_and_cases(tmp_path: Path) -> None:
    (tmp_path / "deductive.toml").write_text('[roles]\ncounsellor = ["therapist"]\ninterviewer = "Chair"\n')
    settings = load_settings(tmp_path / "deductive.toml").roles
    roles = role_map(settings, {"site1": {"role:client": "Anna; Bo", "country": "UK"}})
    assert roles.role_of("Therapist") == "counsellor"
    assert roles.role_of("Chair") == INTERVIEWER and roles.role_of("I") == PARTICIPANT  # [roles] replaces the defaults
    assert roles.role_of("Anna", "site1") == "client" and roles.role_of("Anna", "site2") == PARTICIPANT
    (tmp_path / "deductive.toml").write_text("[roles]\ncounsellor = []\n")
    with pytest.raises(ConfigError, match="roles.counsellor"):
        load_settings(tmp_path / "deductive.toml")


# --------------------------------------------------------------------------- roll-up and hierarchy


def test_roll_up_is_half_max_half_mean_over_in_scope_segments() -> None:
    scores = np.array([[0.9, 0.1], [0.3, -1.0], [0.5, 0.2]])
    out = roll_up(scores, [[0, 1], [2]])
    assert out[0, 0] == pytest.approx((0.9 + 0.6) / 2)
    assert out[0, 1] == pytest.approx(0.1)  # the out-of-scope segment does not count
    assert np.allclose(out[1], scores[2])  # a one-segment unit keeps its segment's score
    assert roll_up(np.array([[-1.0]]), [[0]])[0, 0] == -1.0


def test_units_of_a_document() -> None:
    text = "Findings\nThe board agreed.\n\nWe trained staff.\nMethods\nWe asked people."
    blocks = [Block(0, 8), Block(9, 45), Block(46, 53), Block(54, 70)]
    assert unit_spans(text, blocks, "paragraph") == [(0, 8), (9, 26), (28, 45), (46, 53), (54, 70)]
    assert unit_spans(text, blocks, "section") == [(0, 45), (46, 70)]
    assert unit_spans(text, blocks, "turn") == []
    assert unit_spans(text, blocks, "document") == [(0, 70)]
    rows = [SegmentRow("a", "d", 9, 26), SegmentRow("b", "d", 28, 45), SegmentRow("c", "d", 54, 70)]
    assert group_units(rows, {"d": unit_spans(text, blocks, "section")}) == [(0, 45, [0, 1]), (46, 70, [2])]


def test_a_parent_is_at_least_its_best_child() -> None:
    book = Codebook("h", (Code("dom", "Domain", codable=True, definition="d"), Code("con", "Construct", "dom", "c"),
                          Code("sub", "Sub", "con", "s")))
    out = hierarchy_max(np.array([[0.2, 0.4, 0.7]]), book, ["dom", "con", "sub"])
    assert out.tolist() == [[0.7, 0.7, 0.7]]


# --------------------------------------------------------------------------- the suggest stage


@pytest.fixture
def scoped_study(tmp_path: Path, corpus: Path) -> Path:
    root = tmp_path / "scoped"
    Study.create(root, codebook=_codebook(tmp_path, SCOPED)).close()
    with Study(root) as study:
        study.settings = study.settings.override("suggest", threshold=0.0)
        study.ingest([corpus], cases=corpus / "cases.csv")
        study.suggest(embedder=FakeEmbedder())
    return root


def _rows(study: Study) -> pd.DataFrame:
    rows = study.store.query(
        "SELECT g.*, s.speaker, s.start, s.end, s.document_id, d.text AS doc FROM suggestions g"
        " JOIN segments s ON s.id = g.segment_id JOIN documents d ON d.id = s.document_id")
    return pd.DataFrame([dict(r) for r in rows])


def test_scope_keeps_codes_off_interviewer_turns(scoped_study: Path) -> None:
    with Study(scoped_study) as study:
        rows = _rows(study)
    interviewer = rows[rows["speaker"] == "I"]
    assert len(interviewer) and interviewer["code_id"].isna().all()  # only the explicit "no code"
    others = rows[rows["speaker"] != "I"]
    assert others["code_id"].notna().any()


def test_phase_is_suggested_once_per_paragraph_on_its_first_segment(scoped_study: Path) -> None:
    with Study(scoped_study) as study:
        rows = _rows(study)
        segments = study.segments()
    phase = rows[rows["code_id"].isin(["adoption", "implementation"])]
    assert (phase["unit"] == "paragraph").all() and rows.loc[rows["code_id"] == "culture", "unit"].isna().all()
    shown = phase[phase["suggested"] == 1]
    # one phase per paragraph, on the first segment the paragraph contains
    assert not shown.duplicated(["document_id", "unit_start"]).any()
    for r in shown.to_dict("records"):
        r["unit_start"], r["unit_end"] = int(r["unit_start"]), int(r["unit_end"])
        paragraph = r["doc"][r["unit_start"]:r["unit_end"]]
        assert "\n\n" not in paragraph and paragraph.startswith(r["doc"][r["start"]:r["end"]])
        inside = segments[(segments["document_id"] == r["document_id"]) & (segments["start"] >= r["unit_start"])
                          & (segments["end"] <= r["unit_end"])]
        assert inside["start"].min() == r["start"]
    # the turn "The training was short. ... Sometimes the dashboard is slow. ..." has two paragraphs
    with_two = shown[shown["doc"].str.contains("Sometimes the dashboard")]
    assert with_two.groupby("document_id")["unit_start"].nunique().min() >= 3


def test_queue_and_export_show_the_unit_and_domain_labels(scoped_study: Path, tmp_path: Path) -> None:
    with Study(scoped_study) as study:
        (book,) = queue(study, QueueOptions(coder="ana"), out=tmp_path / "q.xlsx")
        export = study.suggestions()
        (uncoded,) = queue(study, QueueOptions(coder="ben", include_uncoded=True), out=tmp_path / "u.xlsx")
        speakers = study.segments()["speaker"]
    frame = pd.read_excel(book.path, sheet_name="Queue", dtype=str)
    assert not (frame["Speaker"] == "I").any()  # interviewer turns: no code applies, not queued
    # even when segments without suggestions are queued, interviewer turns stay out
    everything = pd.read_excel(uncoded.path, sheet_name="Queue", dtype=str)
    assert (speakers == "I").sum() > 0 and len(everything) == (speakers != "I").sum()
    unit_rows = frame[frame["Suggestion 1"].fillna("").str.contains(r"\(paragraph\)")
                      | frame["Suggestion 2"].fillna("").str.contains(r"\(paragraph\)")]
    assert len(unit_rows) and unit_rows["Suggestion 1"].fillna("").str.contains("Phase > |Setting > ").all()
    assert unit_rows["Where"].str.contains("paragraph").all()
    labels = set(export["label"])
    assert labels <= {"Setting > Culture", "Setting > Policy", "Phase > Adoption", "Phase > Implementation", ""}
    assert any(x.startswith("Phase > ") for x in labels) and any(x.startswith("Setting > ") for x in labels)
    units = export[export["unit"] == "paragraph"]
    assert len(units) and all("\n\n" not in t for t in units["text"])


# --------------------------------------------------------------------------- bad input


def test_scope_naming_a_role_no_speaker_has(tmp_path: Path, corpus: Path) -> None:
    root = tmp_path / "s"
    Study.create(root, codebook=_codebook(tmp_path, SCOPED.replace("scope: [participant]", "scope: [client]", 1))).close()
    with Study(root) as study:
        study.ingest([corpus], cases=corpus / "cases.csv")
        before = _stored_counts(study)
    result = CliRunner().invoke(cli, ["suggest", str(root)])
    assert result.exit_code != 0
    assert "'client'" in result.output and "[roles]" in result.output and "code 'culture'" in result.output
    with Study(root) as study:
        assert _stored_counts(study) == before == (0, 0, 0)


def test_every_code_scoped_away(tmp_path: Path) -> None:
    # Transcripts only (text without a speaker would be in every scope), every code scoped
    # to a configured role that no one in them has.
    root = tmp_path / "s"
    text = SCOPED.replace("scope: [participant]", "scope: [counsellor]")
    Study.create(root, codebook=_codebook(tmp_path, text)).close()
    (root / "deductive.toml").write_text('[roles]\ncounsellor = ["Therapist"]\n')
    (tmp_path / "t.txt").write_text(TRANSCRIPT.split("\n", 2)[2], encoding="utf-8")  # without the title line
    with Study(root) as study:
        study.ingest([tmp_path / "t.txt"], case="c1")
        before = _stored_counts(study)
        with pytest.raises(InputError, match="every code is scoped away.*deductive.toml"):
            study.suggest(embedder=FakeEmbedder())
        assert _stored_counts(study) == before


def test_paragraph_unit_in_a_tabular_study(tmp_path: Path) -> None:
    root = tmp_path / "s"
    Study.create(root, codebook=_codebook(tmp_path, SCOPED)).close()
    table = tmp_path / "answers.csv"
    pd.DataFrame({"rid": ["1", "2", "3"], "text": ["The board agreed to buy it.", "We trained the nurses.",
                                                    "Nobody questions the consultant."]}).to_csv(table, index=False)
    result = CliRunner().invoke(cli, ["ingest", str(root), str(table), "--text-column", "text", "--id-column", "rid",
                                      "--case", "c1", "--unit", "row"])
    assert result.exit_code == 0, result.output
    with Study(root) as study:
        with pytest.raises(InputError, match=r"unit 'paragraph'.*rows of a table.*Remove `unit: paragraph`"):
            study.suggest(embedder=FakeEmbedder())
        assert _stored_counts(study) == (0, 0, 0)


def test_a_study_with_one_segment(tmp_path: Path) -> None:
    root = tmp_path / "s"
    Study.create(root, codebook=_codebook(tmp_path, MINI_CODEBOOK)).close()
    (tmp_path / "one.txt").write_text("The board agreed to buy the system in May.")
    with Study(root) as study:
        study.ingest([tmp_path / "one.txt"], case="c1")
        with pytest.raises(InputError, match="one segment.*Ingest more documents.*unit = \"sentence\""):
            study.suggest(embedder=FakeEmbedder())
        assert _stored_counts(study) == (0, 0, 0)


def test_roles_of_a_stored_study(scoped_study: Path) -> None:
    with Study(scoped_study) as study:
        roles = segment_roles(study.store, study_role_map(study.store, study.settings.roles))
        speakers = dict(zip(study.segments()["segment_id"], study.segments()["speaker"]))
    assert {roles[s] for s, sp in speakers.items() if sp == "I"} == {INTERVIEWER}
    assert {roles[s] for s, sp in speakers.items() if isinstance(sp, str) and sp.startswith("P3")} == {PARTICIPANT}
    assert {roles[s] for s, sp in speakers.items() if not isinstance(sp, str)} == {None}


def test_a_scoped_group_is_calibrated_on_its_speakers_segments(scoped_study: Path) -> None:
    """The phase group (participants only) adapts and is tested for fit on participants' text,
    never on the interviewer's (here on the segments: the group fits them, so their
    sentences are not needed)."""
    with Study(scoped_study) as study:
        run = study.store.conn.execute("SELECT params FROM suggestion_runs").fetchone()
        roles = segment_roles(study.store, study_role_map(study.store, study.settings.roles))
        rows = study.store.query("SELECT id, text FROM current_segments ORDER BY document_id, seq")
    calibration = json.loads(run["params"])["calibration"]
    assert json.loads(run["params"])["scoring"]["fit_within"] == "speaker scope"
    spoken_by = [roles[r["id"]] for r in rows]
    assert INTERVIEWER in spoken_by and calibration["n_study"] == len(rows)
    assert calibration["group_n"] == [sum(role != INTERVIEWER for role in spoken_by)]


def test_a_scoped_group_that_fails_on_segments_is_tested_on_its_speakers_sentences(
        scoped_study: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """When a set fails the fit test on whole segments, the segments' sentences decide, and a
    scoped group is still tested only on its own speakers' sentences."""
    # 28 segments cannot show that a codebook does not belong: any fit below 0 fails here
    monkeypatch.setattr(calibration_module, "FIT_Z", 0.0)
    with Study(scoped_study) as study:
        study.add_codebook(_codebook(tmp_path, FOREIGN_SCOPED, "foreign.yaml"))
        study.suggest(embedder=FakeEmbedder())
        run = study.store.conn.execute("SELECT params FROM suggestion_runs WHERE codebook_version = ?",
                                       (study.codebook().version,)).fetchone()
        roles = segment_roles(study.store, study_role_map(study.store, study.settings.roles))
        rows = study.store.query("SELECT id, text FROM current_segments ORDER BY document_id, seq")
    calibration = json.loads(run["params"])["calibration"]
    sentences, source = sentence_sample([r["text"] for r in rows])
    spoken_by = [roles[rows[i]["id"]] for i in source]
    assert len(sentences) > len(rows) and calibration["n_study"] == len(sentences)
    assert calibration["group_n"] == [sum(role != INTERVIEWER for role in spoken_by)]
