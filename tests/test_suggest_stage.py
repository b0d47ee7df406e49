"""The suggest stage on a small study with the fake embedder: runs, caching,
reproducibility, export and evaluation against gold labels."""

from __future__ import annotations

import json

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from cli.main import cli
from pipeline.embed import FakeEmbedder
from pipeline.errors import InputError
from pipeline.suggest.evaluate import read_gold
from pipeline.study import Study

ROWS = [
    # id, site, text, gold
    ("1", "s1", "The board agreed to buy the system in May.", "adoption"),
    ("2", "s1", "We trained the nurses in June and went live.", "implementation"),
    ("3", "s1", "The board decided to go ahead with buying it.", "adoption"),
    ("4", "s2", "Go-live was in the autumn after the training.", "implementation"),
    ("5", "s2", "We always help each other out in this team.", "culture"),
    ("6", "s2", "Our trust policy requires two signatures.", "policy"),
    ("7", "s2", "Nobody questions the consultant here.", "culture"),
    ("8", "s2", "The national guideline says so.", "n/a"),
]


class CountingEmbedder(FakeEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def embed(self, texts):  # type: ignore[override]
        self.seen += list(texts)
        return super().embed(texts)


@pytest.fixture
def tabular_study(study_dir: Path, tmp_path: Path) -> tuple[Path, Path]:
    table = tmp_path / "coded.csv"
    pd.DataFrame(ROWS, columns=["rid", "site", "text", "gold"]).to_csv(table, index=False)
    result = CliRunner().invoke(cli, ["ingest", str(study_dir), str(table), "--text-column", "text",
                                      "--id-column", "rid", "--case-column", "site", "--unit", "row"])
    assert result.exit_code == 0, result.output
    return study_dir, table


def test_suggest_stores_a_run_and_reuses_the_cache(tabular_study) -> None:
    study_dir, _ = tabular_study
    embedder = CountingEmbedder()
    with Study(study_dir) as study:
        first = study.suggest(embedder=embedder)
        assert first.new_segments == 8 and first.segments == 8
        n_texts = len(embedder.seen)
        assert n_texts == first.embedded_now
        again = study.suggest(embedder=embedder)
        assert again.run_id == first.run_id and again.new_segments == 0 and again.embedded_now == 0
        assert len(embedder.seen) == n_texts  # nothing embedded twice
        shown = study.suggestions()
        # every segment has at least one shown row: a code or the explicit no code
        assert set(shown["segment_id"]) == set(study.segments()["segment_id"])
        # the phase group is exclusive: at most one phase per segment
        phases = shown[shown["code"].isin(["adoption", "implementation"])]
        assert not phases.duplicated("segment_id").any()


def test_same_inputs_reproduce_and_a_new_codebook_makes_a_new_run(tabular_study, tmp_path: Path, mini_codebook: Path) -> None:
    study_dir, _ = tabular_study
    with Study(study_dir) as study:
        run = study.suggest(embedder=FakeEmbedder())
        before = study.suggestions(run.run_id, shown_only=False)
    other = tmp_path / "other_study"
    with Study.create(other, codebook=mini_codebook) as fresh:
        fresh.ingest([tmp_path / "coded.csv"], read=_read())
        again = fresh.suggest(embedder=FakeEmbedder())
        assert again.run_id == run.run_id
        pd.testing.assert_frame_equal(
            before.drop(columns=["segment_id"]).reset_index(drop=True),
            fresh.suggestions(again.run_id, shown_only=False).drop(columns=["segment_id"]).reset_index(drop=True),
        )
    changed = mini_codebook.read_text().replace("Formal rules and guidance.", "Formal written rules.")
    (tmp_path / "changed.yaml").write_text(changed)
    with Study(study_dir) as study:
        study.add_codebook(tmp_path / "changed.yaml")
        new = study.suggest(embedder=FakeEmbedder())
        assert new.run_id != run.run_id
        runs = study.store.query("SELECT COUNT(*) FROM suggestion_runs")[0][0]
        assert runs == 2  # the old run is kept


def _read():
    from pipeline.ingest.read import ReadOptions

    return ReadOptions(text_column="text", id_columns=("rid",), case_column="site")


def test_evaluate_reports_unknown_values_and_baselines(tabular_study, tmp_path: Path) -> None:
    study_dir, table = tabular_study
    gold = pd.read_csv(table, dtype=str, keep_default_na=False)
    gold.loc[len(gold)] = ["99", "s9", "not ingested", "adoption"]
    gold_file = tmp_path / "gold.csv"
    gold.to_csv(gold_file, index=False)
    with Study(study_dir) as study:
        study.settings = study.settings.override("suggest", threshold=0.0)
        study.suggest(embedder=FakeEmbedder())
        result = study.evaluate(read_gold(gold_file, "gold", ["rid"]), "gold")
        stored = study.suggestions(shown_only=False)
    assert result.unknown_values == {"n/a": 1}
    assert result.unmatched_ids == 1 and result.unmatched_examples == ["99"]
    assert result.evaluated == 7
    assert set(result.methods) == {"embedding", "forced", "majority", "tfidf", "naive"} and not result.notes
    assert result.candidates == ["culture", "policy", "adoption", "implementation"]
    emb = result.methods["embedding"]
    # the fake embedder shares words: these near-copies of the codebook examples are found
    assert emb["accuracy"] >= 5 / 7
    # top-2 recall recomputed from the stored ranking: is the gold code among the two best
    # ranked candidate codes of its segment?
    ranked = stored[stored["code"].isin(result.candidates)].sort_values("rank").groupby("external_id")["code"].apply(list)
    evaluated = gold[gold["gold"].isin(result.candidates) & gold["rid"].isin(ranked.index)]
    hits = [g in ranked[rid][:2] for rid, g in zip(evaluated["rid"], evaluated["gold"])]
    assert len(hits) == 7 and emb["top2_recall"] == pytest.approx(sum(hits) / 7)
    assert emb["top2_recall"] >= emb["accuracy"]
    assert result.methods["majority"]["kappa"] == pytest.approx(0.0)
    cal = emb["calibration"]
    assert 0 <= cal["ece"] <= 1 and sum(b["n"] for b in cal["bands"]) == 7  # every evaluated segment in a band
    # threshold 0: every segment shows its best candidate, so forced choice is the same prediction
    assert result.methods["forced"]["accuracy"] == emb["accuracy"]
    assert result.methods["naive"]["n"] == 7


def test_forced_choice_and_the_naive_baseline_beside_shown_suggestions(tabular_study) -> None:
    """With a threshold almost nothing reaches, the shown suggestions are mostly "no code"; the forced row
    still chooses each segment's best candidate, and the naive baseline works from the cache."""
    study_dir, table = tabular_study
    with Study(study_dir) as study:
        study.settings = study.settings.override("suggest", threshold=1.0)
        study.suggest(embedder=FakeEmbedder())
        result = study.evaluate(read_gold(table, "gold", ["rid"]), "gold")
        study.store.conn.execute("DELETE FROM embeddings")
        without_cache = study.evaluate(read_gold(table, "gold", ["rid"]), "gold")
    assert result.methods["embedding"]["accuracy"] < result.methods["forced"]["accuracy"]
    assert result.methods["forced"]["accuracy"] >= 5 / 7
    assert "naive" in result.methods and "naive" not in without_cache.methods
    assert without_cache.notes and "naive baseline left out" in without_cache.notes[0]


def test_naive_choice_is_definition_plus_mean_of_two_closest_examples() -> None:
    from pipeline.codebook import Code, Codebook
    from pipeline.suggest.evaluate import naive_choice

    book = Codebook("t", (Code("a", "A", definition="def a", examples=("x1", "x2", "x3")), Code("b", "B", definition="def b")))
    axes = {"A: def a": [1, 0, 0], "B: def b": [0, 1, 0], "x1": [0, 0, 1], "x2": [0, 0, 1], "x3": [-1, 0, 0],
            "seg": [0.3, 0.5, 0.81]}
    unit = {k: np.array(v) / np.linalg.norm(v) for k, v in axes.items()}
    # a: 0.3 + (0.81 + 0.81) / 2 (the two closest examples), b: 0.5 -> a; without examples it would be b
    assert naive_choice(book, ["a", "b"], ["seg"], lambda texts: np.stack([unit[t] for t in texts])) == ["a"]


def test_calibration_is_zero_when_scores_match_precision_and_large_when_not() -> None:
    from pipeline.suggest.evaluate import calibration

    # 10 segments at 0.8 of which 8 right, 10 at 0.3 of which 3 right: perfectly calibrated
    scores = np.array([0.8] * 10 + [0.3] * 10)
    correct = np.array([1] * 8 + [0] * 2 + [1] * 3 + [0] * 7, dtype=bool)
    good = calibration(scores, correct)
    assert good["ece"] == pytest.approx(0.0)
    assert {b["band"]: b["precision"] for b in good["bands"] if b["n"]} == {"0.75-0.90": 0.8, "0.25-0.50": 0.3}
    # confident and always wrong: ECE equals the confidence
    assert calibration(np.full(5, 0.95), np.zeros(5, dtype=bool))["ece"] == pytest.approx(0.95)


def test_cli_suggest_export_and_evaluate(tabular_study, tmp_path: Path) -> None:
    study_dir, table = tabular_study
    runner = CliRunner()
    result = runner.invoke(cli, ["suggest", str(study_dir), "--model", "fake", "--threshold", "0"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "s.csv"
    assert runner.invoke(cli, ["suggestions", str(study_dir), "--out", str(out)]).exit_code == 0
    frame = pd.read_csv(out, dtype=str)
    assert list(frame.columns[:9]) == ["segment_id", "external_id", "case", "document", "speaker", "text", "code", "score", "rank"]
    result = runner.invoke(cli, ["evaluate", str(study_dir), "--gold", str(table), "--gold-column", "gold", "--id-column", "rid"])
    assert result.exit_code == 0, result.output
    assert "'n/a' x1" in result.output and "tfidf" in result.output and "majority" in result.output
    assert "ECE" in result.output and "precision per score band" in result.output


def test_no_segments_and_no_codable_codes_are_clear_errors(study_dir: Path, tmp_path: Path) -> None:
    with Study(study_dir) as study:
        with pytest.raises(InputError, match="no segments"):
            study.suggest(embedder=FakeEmbedder())
    empty = tmp_path / "groups.yaml"
    empty.write_text("codes:\n - {id: g, codable: false}\n")
    result = CliRunner().invoke(cli, ["codebook", "add", str(study_dir), str(empty)])
    assert result.exit_code == 0
    (tmp_path / "t.txt").write_text("A sentence long enough to be a segment.")
    with Study(study_dir) as study:
        study.ingest([tmp_path / "t.txt"], case="c1")
        with pytest.raises(InputError, match="no codable codes"):
            study.suggest(embedder=FakeEmbedder())
        assert study.store.query("SELECT COUNT(*) FROM suggestions")[0][0] == 0


def test_odd_segments_get_suggestions(study_dir: Path, tmp_path: Path) -> None:
    doc = tmp_path / "odd.txt"
    doc.write_text("🙂\n\n" + ("word " * 600).strip() + ".\n\nA normal sentence about the board.")
    with Study(study_dir) as study:
        study.settings = study.settings.override("segment", unit="paragraph", min_chars=0, max_chars=5000)
        study.ingest([doc], case="c1")
        report = study.suggest(embedder=FakeEmbedder())
        assert report.new_segments == 3 and report.too_long == 1


FOREIGN_CODEBOOK = """
name: foreign
codes:
  - id: telescopes
    label: Telescopes
    definition: Observing planets, comets and galaxies through lenses and mirrors.
    examples: ["Jupiter's moons were visible through the eyepiece.", "The comet's tail glowed above the horizon."]
  - id: baking
    label: Baking
    definition: Kneading dough, proving yeast and baking loaves in ovens.
    examples: ["Knead the dough until it is elastic.", "The sourdough loaf needs forty minutes at high heat."]
"""


@pytest.fixture
def foreign_study(tabular_study, tmp_path: Path) -> Path:
    """The tabular study with a codebook about telescopes and baking added (the latest)."""
    study_dir, _ = tabular_study
    path = tmp_path / "foreign.yaml"
    path.write_text(FOREIGN_CODEBOOK, encoding="utf-8")
    with Study(study_dir) as study:
        study.add_codebook(path)
    return study_dir


def test_a_codebook_that_does_not_belong_to_the_text_shows_nothing(foreign_study: Path) -> None:
    with Study(foreign_study) as study:
        report = study.suggest(embedder=FakeEmbedder())
        rows = study.suggestions(report.run_id, shown_only=False)
    assert report.shown == 0 and report.no_code == report.segments  # every segment: an explicit no code
    assert rows["score"].dropna().max() < 0.5
    assert report.set_aside == ("the codes outside exclusive groups",)  # and the CLI says so


def test_suggest_says_which_codes_the_study_does_not_talk_about(foreign_study: Path) -> None:
    result = CliRunner().invoke(cli, ["suggest", str(foreign_study), "--model", "fake", "--codebook", "foreign"])
    assert result.exit_code == 0, result.output
    assert "note: this study does not seem to talk about 'the codes outside exclusive groups'" in result.output
    assert "add examples in the study's own words" in result.output
    assert "set `set_aside = false` under [suggest]" in result.output


def test_suggest_names_the_set_aside_codes_that_have_too_few_examples(tabular_study, tmp_path: Path) -> None:
    study_dir, _ = tabular_study
    sparse = FOREIGN_CODEBOOK.replace("name: foreign", "name: sparse")
    sparse = "\n".join(line for line in sparse.splitlines() if "examples:" not in line
                       or "Knead" in line)  # baking keeps its two examples, telescopes has none
    path = tmp_path / "sparse.yaml"
    path.write_text(sparse, encoding="utf-8")
    with Study(study_dir) as study:
        study.add_codebook(path)
        report = study.suggest(embedder=FakeEmbedder())
    assert report.set_aside == ("the codes outside exclusive groups",)
    assert report.few_examples == ("Telescopes",)
    result = CliRunner().invoke(cli, ["suggest", str(study_dir), "--model", "fake", "--codebook", "sparse"])
    assert result.exit_code == 0, result.output
    assert "1 of these codes have fewer than two examples ('Telescopes')" in result.output


def test_a_study_that_talks_about_its_codes_names_no_sparse_codes(foreign_study: Path) -> None:
    with Study(foreign_study) as study:
        report = study.suggest(embedder=FakeEmbedder())
    assert report.few_examples == ()  # both foreign codes have two examples


def test_the_methods_paragraph_says_what_was_set_aside(foreign_study: Path) -> None:
    from pipeline.methods import methods_facts, methods_paragraph

    with Study(foreign_study) as study:
        study.suggest(embedder=FakeEmbedder())
        facts = methods_facts(study, bootstrap=0)
        study.settings = study.settings.override("suggest", set_aside=False)
        study.suggest(embedder=FakeEmbedder())
        trusted = methods_facts(study, bootstrap=0)
    assert facts.set_aside == ["the codes outside exclusive groups"] and facts.fit_test
    assert "no closer to \"the codes outside exclusive groups\" than generic sentences" in methods_paragraph(facts)
    assert trusted.set_aside == [] and not trusted.fit_test
    assert "declared every code set relevant" in methods_paragraph(trusted)


def test_a_researcher_can_say_the_codebook_belongs(foreign_study: Path) -> None:
    """[suggest] set_aside = false: the fit is still measured and stored, nothing is set aside,
    and it is a different run (the default run is kept)."""
    with Study(foreign_study) as study:
        default = study.suggest(embedder=FakeEmbedder())
        study.settings = study.settings.override("suggest", set_aside=False)
        trusted = study.suggest(embedder=FakeEmbedder())
        params = json.loads(study.store.conn.execute("SELECT params FROM suggestion_runs WHERE id = ?",
                                                     (trusted.run_id,)).fetchone()[0])
        default_scores = study.suggestions(default.run_id, shown_only=False)["score"].dropna()
        trusted_scores = study.suggestions(trusted.run_id, shown_only=False)["score"].dropna()
    assert trusted.run_id != default.run_id and trusted.set_aside == () and default.set_aside
    assert params["set_aside"] is False and params["calibration"]["fit_rule"] == "off"
    assert params["calibration"]["free_fit"] < 0  # measured all the same
    # free codes now get their evidence instead of nothing
    assert trusted_scores.max() > default_scores.max()
