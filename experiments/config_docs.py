"""The documentation of every config key, generated from the typed tree (:mod:`experiments.config_tree`).

``factor-regimes config schema`` prints it; the README holds the same table
as Markdown between :data:`START` and :data:`END` (``config schema --readme
README.md`` rewrites it, and a test checks it equals :func:`markdown`, so the
README cannot drift from the code).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from experiments.config_tree import Config
from experiments.schema import REQUIRED, Leaf, leaves
from plumbing.atomic import atomic_write_text
from plumbing.errors import FactorRegimesError

START = "<!-- config-keys:start -->"
END = "<!-- config-keys:end -->"
COLUMNS = ("key", "type", "default", "allowed", "description")


def shown_default(leaf: Leaf) -> str:
    """A key's default as YAML text; ``required`` when it has none, ``omitted`` when absent means "the
    component's default" (a key that cannot be null)."""
    value: Any = leaf.default
    if value is REQUIRED:
        return "required"
    if value is None and not leaf.nullable:
        return "omitted"
    return yaml.safe_dump(value, default_flow_style=True, width=10_000).strip().removesuffix("...").strip()


def rows() -> list[dict[str, str]]:
    """One row per key of the tree (``LIST.N.KEY`` for a key of a list's items): the :data:`COLUMNS`."""
    return [{"key": leaf.path, "type": leaf.kind + (" or null" if leaf.nullable else ""),
             "default": shown_default(leaf), "allowed": leaf.allowed, "description": leaf.doc}
            for leaf in leaves(Config)]


def text() -> str:
    """The keys as plain text, two lines each: ``KEY  TYPE (ALLOWED)  default DEFAULT``, then the description."""
    out = []
    for leaf in leaves(Config):
        kind = leaf.kind + (f" ({leaf.allowed})" if leaf.allowed else "") + (" or null" if leaf.nullable else "")
        default = shown_default(leaf)
        default = default if default == "required" else f"default {default}"
        out.append(f"{leaf.path}  {kind}  {default}\n    {leaf.doc}")
    return "\n".join(out)


def _cell(text: str, code: bool = False) -> str:
    text = text.replace("|", "\\|")
    return f"`{text}`" if code and text else text


def markdown() -> str:
    """The table of every key as Markdown (what the README holds between the markers)."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in rows():
        lines.append("| " + " | ".join(_cell(row[c], code=c == "key" or (c == "default" and row[c] not in (
            "required", "omitted"))) for c in COLUMNS) + " |")
    return "\n".join(lines)


def readme_table(readme: Path) -> str:
    """The text between the markers of ``readme`` (without the newlines next to them)."""
    content = readme.read_text()
    if START not in content or END not in content:
        raise FactorRegimesError(f"{readme}: no '{START}' ... '{END}' markers")
    return content.split(START, 1)[1].split(END, 1)[0].strip("\n")


def update_readme(readme: Path) -> None:
    """Replace the table between the markers of ``readme`` with :func:`markdown`."""
    readme_table(readme)  # markers present
    head, rest = readme.read_text().split(START, 1)
    tail = rest.split(END, 1)[1]
    atomic_write_text(readme, f"{head}{START}\n{markdown()}\n{END}{tail}")
