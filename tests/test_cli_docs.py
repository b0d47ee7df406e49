"""Every CLI command has help text and a section of its own in docs/commands.md."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from cli.main import cli

COMMANDS_DOC = (Path(__file__).resolve().parents[1] / "docs" / "commands.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    out = []
    for name, command in group.commands.items():
        out.append((prefix + name, command))
        if isinstance(command, click.Group):
            out += _commands(command, prefix + name + " ")
    return out


COMMANDS = _commands(cli)


@pytest.mark.parametrize("name, command", COMMANDS, ids=[n for n, _ in COMMANDS])
def test_command_has_help(name: str, command: click.Command) -> None:
    assert command.help and len(command.help.strip()) > 20, f"`deductive {name}` has no help text"
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"`deductive {name}` option {param.opts} has no help"
    result = CliRunner().invoke(cli, name.split() + ["--help"])
    assert result.exit_code == 0 and "Usage:" in result.output


@pytest.mark.parametrize("name", [n for n, command in COMMANDS if not isinstance(command, click.Group)])
def test_command_has_a_section_in_the_docs(name: str) -> None:
    heading = re.search(rf"^#+ `deductive {re.escape(name)}`\s*$", COMMANDS_DOC, flags=re.M)
    assert heading, f"`deductive {name}` has no section (a `### \\`deductive {name}\\`` heading) in docs/commands.md"


def test_the_docs_name_no_command_that_does_not_exist() -> None:
    documented = set(re.findall(r"^#+ `deductive ([a-z -]+)`\s*$", COMMANDS_DOC, flags=re.M))
    assert documented <= {n for n, _ in COMMANDS}, documented - {n for n, _ in COMMANDS}
