"""The docs check: every command the README shows exists, with the options it names.

Each ``factor-regimes ...`` line of the README's code blocks (backslash continuations joined, comments
dropped, ``A | B`` alternatives split) must name a real command of the CLI, and every ``--option`` it
shows must be an option of that command; every ``python benchmarks/X.py`` and config file it names must
exist. Commands that the tests run end to end are run there; this check keeps the rest from drifting.
"""

from __future__ import annotations

import re

import click
import pytest

from experiments.cli import cli
from tests import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def _code_lines() -> list[str]:
    """Lines of the README's fenced code blocks, continuations joined, comments dropped."""
    out, inside, pending = [], False, ""
    for line in README.splitlines():
        if line.strip().startswith("```"):
            inside = not inside
            continue
        if not inside:
            continue
        text = pending + line.split("  #")[0].rstrip()
        if text.endswith("\\"):
            pending = text[:-1] + " "
            continue
        pending = ""
        out.append(text.strip())
    return out


def _commands() -> list[str]:
    """Every ``factor-regimes`` invocation shown, alternatives (``runs list | runs compare``) apart."""
    shown = []
    for line in _code_lines():
        if not line.startswith("factor-regimes "):
            continue
        first, *rest = re.split(r"\s\|\s(?=[a-z])", line[len("factor-regimes "):])
        shown.append(first)
        parent = first.split()[0]
        for alt in rest:  # "runs list | runs compare RUN..." or "... | compare RUN..."
            shown.append(alt if alt.split()[0] == parent else f"{parent} {alt}")
    return shown


def _resolve(words: list[str]) -> tuple[click.Command, list[str]]:
    """The command the leading words name, and the words after it."""
    command: click.Command = cli
    while isinstance(command, click.Group) and words and not words[0].startswith("-"):
        name = words[0]
        assert name in command.commands, f"README names 'factor-regimes ... {name}', which is not a command"
        command, words = command.commands[name], words[1:]
    return command, words


COMMANDS = _commands()


def test_the_readme_shows_the_command_groups() -> None:
    shown = {c.split()[0] for c in COMMANDS}
    assert {"run", "regimes", "sweep", "runs", "data", "config", "tearsheet", "replicate"} <= shown, shown


@pytest.mark.parametrize("line", COMMANDS)
def test_each_readme_command_exists_with_its_options(line: str) -> None:
    global_options = {o for p in cli.params for o in p.opts}
    words = [w for w in line.replace("[", " ").replace("]", " ").split() if w not in global_options]
    command, rest = _resolve(words)
    assert not isinstance(command, click.Group), f"'{line}' names a group, not a command"
    options = {o for p in command.params for o in (*p.opts, *p.secondary_opts)} | {"--help", "-h"}
    for word in rest:
        if word.startswith("-") and not re.fullmatch(r"-?\d+(\.\d+)?", word):
            name = word.split("=")[0].rstrip(".,;")
            assert name in options, f"README: '{line}' shows {name}, which '{command.name}' does not take"


def test_benchmarks_and_configs_the_readme_names_exist() -> None:
    for path in sorted(set(re.findall(r"benchmarks/[a-z_]+\.py", README))):
        assert (REPO / path).is_file(), f"README names {path}, which does not exist"
    for path in sorted(set(re.findall(r"configs/[a-z0-9_/]+\.yaml", README))):
        assert (REPO / path).is_file(), f"README names {path}, which does not exist"
