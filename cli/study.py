"""Study commands: init, ingest, segment, status, suggest, learn, suggestions, evaluate."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from cli.options import RAW_CSV, STUDY, open_study
from cli.progress import shown
from pipeline.carry import describe
from pipeline.config import UNITS
from pipeline.embed.seam import BACKENDS
from pipeline.untrusted import write_csv

__all__ = ["init", "ingest", "segment", "status", "suggest", "learn", "suggestions", "evaluate"]


@click.command()
@STUDY
@click.option("--codebook", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A codebook (.yaml, .csv, .xlsx) to copy into the study and load.")
def init(study_dir: Path, codebook: Path | None) -> None:
    """Create a study folder (codebook/, data/, models/, deductive.toml) and its store."""
    
    from pipeline.study import Study

    with Study.create(study_dir, codebook=codebook) as study:
        click.echo(f"created study {study.root} (store schema {study.schema_version})")
        books = study.codebooks().to_dict("records")
        for book in books:
            click.echo(f"codebook {book['name']} version {book['version']}: {book['codable']} codable codes")
    click.echo("next:")
    if not books:
        click.echo(f"  deductive codebook add {study_dir} CODEBOOK.yaml     # your codebook (see docs/formats.md)")
    click.echo(f"  deductive ingest {study_dir} FOLDER --cases cases.csv   # documents, one sub-folder per case")
    click.echo(f"  deductive suggest {study_dir}                           # suggested codes for every segment")
    click.echo(f"  deductive queue {study_dir} --coder NAME                # a review workbook for a coder")


@click.command()
@STUDY
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--cases", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="CSV with a case column (case, case_id or case_name) and attribute columns.")
@click.option("--case", help="Assign every ingested file to this case.")
@click.option("--unit", type=click.Choice(UNITS), help="Segmentation unit for this run (default: deductive.toml).")
@click.option("--text-column", help="Tabular input: the column holding the text.")
@click.option("--id-column", "id_columns", multiple=True, help="Tabular input: id column(s); repeat to join several into one external id.")
@click.option("--case-column", help="Tabular input: the column naming each row's case.")
@click.option("--speaker-column", help="Tabular input: the column naming the speaker.")
@click.option("--timestamp-column", help="Tabular input: the column holding a timestamp.")
@click.option("--sheet", help="Excel input: the sheet to read (default: the first).")
@click.option("--pseudonymise", "pseudonymise_", is_flag=True,
              help="Then find identifiers and write the pseudonymisation review workbook (needs --key).")
@click.option("--key", "key_path", type=click.Path(dir_okay=False, path_type=Path),
              help="With --pseudonymise: the key file, kept outside the study folder.")
@click.option("--names", "names_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="With --pseudonymise: a names list (.txt or .csv) that is always found.")
def ingest(study_dir: Path, paths: tuple[Path, ...], cases: Path | None, case: str | None, unit: str | None,
           text_column: str | None, id_columns: tuple[str, ...], case_column: str | None,
           speaker_column: str | None, timestamp_column: str | None, sheet: str | None,
           pseudonymise_: bool = False, key_path: Path | None = None, names_path: Path | None = None) -> None:
    """Read documents and transcripts (txt, md, docx, pdf, vtt, srt, csv, xlsx) into the study and segment them."""
    if pseudonymise_ and key_path is None:
        raise click.UsageError("--pseudonymise needs --key PATH (outside the study folder)")
    with open_study(study_dir) as study:
        study.settings = study.settings.override("segment", unit=unit)
        read = study.read_options(text_column=text_column, id_columns=id_columns, case_column=case_column,
                                  speaker_column=speaker_column, timestamp_column=timestamp_column, sheet=sheet)
        with shown():
            report = study.ingest(paths, cases=cases, case=case, read=read)
        proposal = None
        if pseudonymise_ and study.has_segments():
            proposal = study.propose_pseudonyms(key_path, names_path)
    for outcome in report.outcomes:
        if outcome.status == "failed":
            continue
        click.echo(f"{outcome.status:>11}  {outcome.path}  ({outcome.documents} doc, {outcome.segments} segments)")
        for warning in outcome.warnings:
            click.echo(f"{'warning':>11}  {outcome.path}: {warning}")
        if outcome.carried or outcome.not_carried:
            click.echo(f"{'carried':>11}  {outcome.path}: {outcome.carried} decision(s) moved to the new segments; "
                       f"could not carry {len(outcome.not_carried)}")
            for decision_id, reason in outcome.not_carried[:10]:
                click.echo(f"{'not carried':>11}  decision {decision_id}: {reason}; it stays in the log")
    counts = {s: sum(o.status == s for o in report.outcomes) for s in ("new", "new version", "resegmented", "unchanged")}
    click.echo("ingested: " + ", ".join(f"{n} {s}" for s, n in counts.items()) + f", {len(report.failed)} failed")
    if proposal is not None:
        from cli.pseudonymise import echo_proposal

        echo_proposal(proposal)
    if report.failed:
        ingested = len(report.outcomes) - len(report.failed)
        others = "the others were ingested" if ingested else "no file was ingested"
        click.echo(f"{len(report.failed)} file(s) could not be ingested ({others}):", err=True)
        for outcome in report.failed:
            click.echo(f"  {outcome.path}: {outcome.reason}", err=True)
        sys.exit(1)


@click.command()
@STUDY
@click.option("--unit", type=click.Choice(UNITS), help="Segmentation unit (default: deductive.toml).")
@click.option("--min-chars", type=int, help="Merge shorter fragments with a neighbour in the same turn.")
@click.option("--max-chars", type=int, help="Split longer turns/paragraphs at sentence boundaries.")
def segment(study_dir: Path, unit: str | None, min_chars: int | None, max_chars: int | None) -> None:
    """Re-segment the study's current documents (earlier segmentations are kept)."""
    with open_study(study_dir) as study:
        study.settings = study.settings.override("segment", unit=unit, min_chars=min_chars, max_chars=max_chars)
        report = study.segment()
        total = len(study.segments())
    click.echo(f"re-segmented {report.documents} document(s); {total} current segments")
    if report.carry.carried or report.carry.not_carried:
        for line in describe(report.carry):
            click.echo(line)


@click.command()
@STUDY
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(study_dir: Path, as_json: bool) -> None:
    """Report cases, documents, segments per case and unit, and codebook versions."""
    with open_study(study_dir) as study:
        info = study.status()
    if as_json:
        click.echo(json.dumps(info, indent=2, default=str))
        return
    click.echo(f"study {info['study']}: {info['cases']} cases, {info['documents']} documents "
               f"({info['older_versions']} older versions), {info['segments']} segments")
    for name, entry in info["by_case"].items():
        units = ", ".join(f"{n} {u}" for u, n in sorted(entry["segments"].items())) or "no segments"
        click.echo(f"  {name}: {entry['documents']} documents, {units}")
    for book in info["codebooks"] or [{"name": "none", "version": "-", "codes": 0, "codable": 0}]:
        click.echo(f"codebook {book['name']} {book['version']}: {book['codes']} codes, {book['codable'] or 0} codable")


@click.command()
@STUDY
@click.option("--codebook", "codebook_id", help="Codebook version (or a unique prefix, or its name); default: the latest added.")
@click.option("--top-k", type=int, help="Show at most K suggestions per segment (default: deductive.toml).")
@click.option("--threshold", type=float, help="Calibrated score (0-1) a code needs to be suggested (default: deductive.toml).")
@click.option("--model", help="Embedding model: the packaged default, a local sentence-transformers path, or 'fake'.")
@click.option("--backend", type=click.Choice(list(BACKENDS)), help="Embedding backend for this run.")
@click.option("--learned/--definitions-only", default=None,
              help="Use (and first fit) a learned suggester, or only the codebook texts. Default: learned once enough decisions exist.")
@click.option("--trust-pickle", is_flag=True,
              help="Convert a learned model an older version saved as model.pkl (a pickle can run code: only for study folders you trust).")
def suggest(study_dir: Path, codebook_id: str | None, top_k: int | None, threshold: float | None,
            model: str | None, backend: str | None, learned: bool | None, trust_pickle: bool) -> None:
    """Suggest codebook codes for every segment by embedding similarity (incremental, cached)."""
    with open_study(study_dir) as study:
        study.settings = study.settings.override("suggest", top_k=top_k, threshold=threshold)
        study.settings = study.settings.override("embedding", model=model, backend=backend)
        with shown():
            report = study.suggest(codebook_id, learned=learned, trust_pickle=trust_pickle)
    click.echo(f"run {report.run_id} (codebook {report.codebook_version}, model {report.model})")
    click.echo(f"{report.new_segments} of {report.segments} segments suggested now ({report.embedded_now} texts embedded), "
               f"{report.shown} suggestions shown, {report.no_code} segments with no code, {report.seconds:.1f} s")
    if report.too_long:
        click.echo(f"note: {report.too_long} segments are longer than the model's window (~256 word pieces); "
                   "only their beginning is scored. Lower segment.max_chars to split them.")
    if report.set_aside:
        click.echo(f"note: this study does not seem to talk about {' or '.join(repr(n) for n in report.set_aside)}: "
                   "its sentences are no closer to these codes than generic sentences are, so they are suggested "
                   "only where a segment is clearly close to one (docs/method.md, step 4). If the codebook does "
                   "belong, add examples in the study's own words to these codes, confirm some segments and "
                   "run `deductive learn`, or set `set_aside = false` under [suggest] in deductive.toml and "
                   "suggest again.")
    if report.few_examples:
        few = ", ".join(repr(n) for n in report.few_examples[:5]) + (", ..." if len(report.few_examples) > 5 else "")
        click.echo(f"note: {len(report.few_examples)} of these codes have fewer than two examples ({few}); "
                   "with a definition alone, short utterances look less like a code than generic sentences do, "
                   "so give each code two or more examples in the study's own words first.")


@click.command()
@STUDY
@click.option("--codebook", "codebook_id", help="Codebook version (or prefix, or name); default: the latest added.")
@click.option("--coder", "coders", multiple=True, help="Learn from these coders only (repeat); default: all.")
@click.option("--model", help="Embedding model (default: deductive.toml).")
@click.option("--fine-tune", is_flag=True,
              help="First adapt the embedding model to the confirmed segments (contrastive, CPU, minutes); "
                   "later suggestion runs use the tuned model saved under models/tuned/.")
def learn(study_dir: Path, codebook_id: str | None, coders: tuple[str, ...], model: str | None, fine_tune: bool) -> None:
    """Fit a suggester on the confirmed decisions, cross-validate it per code, save it under models/."""
    with open_study(study_dir) as study:
        study.settings = study.settings.override("embedding", model=model)
        result = study.learn(codebook_id, coders=list(coders) or None, fine_tune=fine_tune,
                             progress=_tune_progress if fine_tune else None)
    card = result.card
    click.echo(f"learned suggester {result.id} from {card['decisions']} decisions on {card['segments']} segments -> {result.path}")
    if card.get("disagreements_left_out"):
        click.echo(f"  {card['disagreements_left_out']} segments where coders chose different codes of an exclusive group were left out of that group")
    if card.get("zero_shot_only"):
        click.echo(f"  too few confirmations, zero-shot scores kept: {', '.join(card['zero_shot_only'])}")
    click.echo(f"  {'code':<28} {'examples':>8} {'mix':>5} {'prec':>5} {'recall':>6} {'kappa':>6} {'AUC':>5}  trusted (grouped CV)")
    f = lambda x: "  -  " if x is None else f"{x:.2f}"  # noqa: E731
    for c in card["codes"]:
        click.echo(f"  {c['code'][:28]:<28} {c['positives']:>8} {f(card['mix'].get(c['code'])):>5} {f(c['precision']):>5} "
                   f"{f(c['recall']):>6} {f(c['kappa']):>6} {f(c['auc']):>5}  {'yes' if c['trusted'] else 'NO'}")


def _tune_progress(step: int, steps: int, seconds: float) -> None:
    """One line, rewritten in place: steps done and the time left at the pace so far."""
    left = seconds / step * (steps - step)
    click.echo(f"\rfine-tuning: step {step}/{steps}, {seconds / 60:.1f} min so far, about {left / 60:.1f} min left ",
               nl=step == steps, err=True)


@click.command()
@STUDY
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="CSV file to write.")
@click.option("--run", help="Suggestion run id (default: the latest).")
@click.option("--all", "include_all", is_flag=True, help="Also export runners-up that are not shown to coders.")
@RAW_CSV
def suggestions(study_dir: Path, out: Path, run: str | None, include_all: bool, raw: bool) -> None:
    """Export suggestions as CSV (segment id, external id, case, document, speaker, text, code, score, rank)."""
    with open_study(study_dir) as study:
        frame = study.suggestions(run, shown_only=not include_all)
    write_csv(frame, out, raw=raw)
    click.echo(f"wrote {len(frame)} suggestions to {out}")


@click.command()
@STUDY
@click.option("--gold", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True, help="CSV with gold labels.")
@click.option("--gold-column", required=True, help="Column of the gold file holding the code.")
@click.option("--id-column", "id_columns", multiple=True, required=True, help="Id column(s) joined with ':' into the segments' external id; repeat for several.")
@click.option("--run", help="Suggestion run id (default: the latest).")
@click.option("--top-k", type=int, default=2, show_default=True, help="k for top-k recall.")
@click.option("--json", "as_json", is_flag=True, help="Print the full evaluation as JSON.")
def evaluate(study_dir: Path, gold: Path, gold_column: str, id_columns: tuple[str, ...], run: str | None,
             top_k: int, as_json: bool) -> None:
    """Compare stored suggestions with gold labels, beside majority and TF-IDF baselines."""
    from pipeline.suggest.evaluate import read_gold

    with open_study(study_dir) as study:
        result = study.evaluate(read_gold(gold, gold_column, id_columns), gold_column, run, top_k)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, default=str))
        return
    click.echo(format_evaluation(result, top_k))


def format_evaluation(result: Any, top_k: int) -> str:
    lines = [f"gold column {result.gold_column}: {result.evaluated} of {result.rows} rows evaluated (run method: {result.run_method})"]
    if result.left_out_trained:
        lines.append(f"  left out (the run's learned model was trained on these segments): {result.left_out_trained}")
    if result.unknown_values:
        lines.append("  values that are not codes (not evaluated): " + ", ".join(f"{k!r} x{v}" for k, v in result.unknown_values.items()))
    if result.unmatched_ids:
        lines.append(f"  ids matching no segment (not evaluated): {result.unmatched_ids}, e.g. {', '.join(result.unmatched_examples)}")
    lines += [f"  note: {n}" for n in getattr(result, "notes", [])]
    lines.append(f"  {'method':<10} {'kappa':>6} {'macroF1':>8} {'accuracy':>9} {'top' + str(top_k):>6}")
    for name, m in result.methods.items():
        topk = m.get(f"top{top_k}_recall")
        lines.append(f"  {name:<10} {m['kappa']:>6.3f} {m['macro_f1']:>8.3f} {m['accuracy']:>9.3f} {'' if topk is None else format(topk, '.3f'):>6}")
    lines.append("  (embedding: the shown suggestion, or no code; forced: its best candidate, shown or not; the "
                 "baselines are forced to choose too. naive: cosine to 'label: definition' + mean of the two closest "
                 "examples, same model)")
    cal = result.methods["embedding"].get("calibration")
    if cal and cal["bands"]:
        lines.append(f"  calibration (embedding, best candidate): ECE {cal['ece']:.3f}; precision per score band: " + "; ".join(
            f"{b['band']} {b['precision']:.2f} (n={b['n']})" if b["n"] else f"{b['band']} - (n=0)" for b in cal["bands"]))
    lines.append("  per code (embedding): " + "; ".join(
        f"{c} P {v['precision']:.2f} R {v['recall']:.2f} F1 {v['f1']:.2f} (n={v['support']})" for c, v in result.methods["embedding"]["per_code"].items()))
    return "\n".join(lines)
