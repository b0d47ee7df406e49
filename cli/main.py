"""`deductive`: the command group. Each module of this package defines its commands;
this one adds them, so no module registers itself by being imported."""

from __future__ import annotations

import click

from cli import audit, codebook, flows, interchange, methods, pseudonymise, review, study, summarize
from cli.options import ErrorGroup, show_library_messages

__all__ = ["cli", "main"]


@click.group(cls=ErrorGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--verbose", is_flag=True, help="Show the full traceback when a command fails.")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """deductive: NLP-assisted deductive qualitative coding, on your own machine."""
    ctx.ensure_object(dict)["verbose"] = verbose
    show_library_messages()


for command in (
    study.init, study.ingest, study.segment, study.status, codebook.codebook, study.suggest, study.learn,
    study.suggestions, study.evaluate, review.queue_command, review.confirm_command, review.decisions_command,
    review.import_decisions_command, summarize.summarize_command, summarize.ratings_command,
    audit.audit_command, audit.resolve_command, audit.merge_coders_command, methods.report_methods, interchange.export,
    interchange.import_, flows.run_command, flows.demo_command, flows.serve_command,
    pseudonymise.pseudonymise, pseudonymise.reidentify,
):
    cli.add_command(command)


def main() -> None:
    cli(obj={})


if __name__ == "__main__":
    main()
