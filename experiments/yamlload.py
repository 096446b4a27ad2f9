"""Read YAML configs with limits: size, nesting, alias expansion, encoding, and one error line per problem.

A config is a few hundred lines written by a person, so anything far larger
is refused before it can exhaust memory or time:

- the file is read only up to :data:`MAX_BYTES` (a larger file is refused);
- it must be UTF-8 (an invalid byte is reported with its line);
- nesting deeper than :data:`MAX_DEPTH` levels is refused (instead of a
  ``RecursionError``);
- the document may not expand to more than :data:`MAX_NODES` values once
  aliases are followed: a "billion laughs" file (aliases of aliases) is
  refused while it is composed, in time and memory proportional to the file,
  not to its expansion;
- keys are unique plain strings, and values that YAML cannot construct
  (``2005-02-30``) are reported with their line.

Every problem is a :class:`~experiments.schema.ConfigError` naming the file
(or the ``--set`` option) and the line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from experiments.schema import ConfigError

#: Largest config file read, in bytes.
MAX_BYTES = 1 << 20
#: Deepest nesting of mappings and lists.
MAX_DEPTH = 50
#: Most values a document may hold once every alias is expanded.
MAX_NODES = 20_000

_MERGE_TAG = "tag:yaml.org,2002:merge"


class LimitedLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` with bounded nesting and alias expansion, unique string keys, located errors."""

    def __init__(self, text: str, name: str, with_lines: bool = True):
        super().__init__(text)
        self.name = name
        self.with_lines = with_lines
        self._sizes: dict[int, int] = {}
        self._depth = 0

    def _at(self, node_or_mark: Any) -> str:
        mark = getattr(node_or_mark, "start_mark", node_or_mark)
        return f"{self.name}, line {mark.line + 1}" if mark is not None and self.with_lines else self.name

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise ConfigError(f"{self._at(self.peek_event().start_mark)}: nested deeper than {MAX_DEPTH} levels")
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        size = self._sizes.get(id(node))
        if size is None:  # an alias returns a node already sized: its expansion counts again where it is used
            if isinstance(node, MappingNode):
                size = 1 + sum(self._sizes[id(k)] + self._sizes[id(v)] for k, v in node.value)
            elif isinstance(node, SequenceNode):
                size = 1 + sum(self._sizes[id(v)] for v in node.value)
            else:
                size = 1
            self._sizes[id(node)] = size
        if size > MAX_NODES:
            raise ConfigError(f"{self._at(node)}: the document expands to more than {MAX_NODES:,} values "
                              "(aliases of aliases?); a config must be small")
        return node

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, OverflowError, RecursionError) as exc:
            shown = f" {node.value!r}" if isinstance(node.value, str) else ""
            raise ConfigError(f"{self._at(node)}: invalid value{shown} ({exc})") from None


def _construct_mapping(loader: LimitedLoader, node: MappingNode, deep: bool = False) -> dict:
    seen: set = set()
    for key_node, _ in node.value:
        if key_node.tag == _MERGE_TAG:
            continue
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            raise ConfigError(f"{loader._at(key_node)}: key {key!r} is not text (quote it)")
        if key in seen:
            raise ConfigError(f"{loader._at(key_node)}: duplicate key {key!r}")
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


LimitedLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_text(path: Path) -> str:
    """The file's text: at most :data:`MAX_BYTES`, UTF-8 (a BOM is allowed), or a located error."""
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder, not a config file")
    if not path.exists():
        raise ConfigError(f"{path}: config file not found")
    if not path.is_file():
        raise ConfigError(f"{path}: not a regular file")
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc.strerror or exc})") from None
    if len(raw) > MAX_BYTES:
        raise ConfigError(f"{path}: larger than {MAX_BYTES // 1024} KiB; a config file must be small")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}, line {line}: not UTF-8 text (byte 0x{raw[exc.start]:02x}); "
                          "save the file as UTF-8") from None


def parse(text: str, name: str, with_lines: bool = True) -> tuple[Any, Node | None]:
    """The document in ``text`` and its node tree (for line numbers); errors name ``name`` and the line
    (``with_lines=False``: a one-line value, such as a ``--set`` option, named without a line)."""
    loader = None
    try:
        loader = LimitedLoader(text, name, with_lines)  # the reader refuses control characters here
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{name}, line {mark.line + 1 if mark else '?'}" if with_lines else name
        raise ConfigError(f"{where}: invalid YAML: {exc.problem}") from None
    except yaml.reader.ReaderError as exc:  # a control character
        where = f"{name}, line {text[:exc.position].count(chr(10)) + 1}" if with_lines else name
        raise ConfigError(f"{where}: invalid YAML: character #x{exc.character:04x} is not allowed") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{name}: invalid YAML: {str(exc).splitlines()[0]}") from None
    except RecursionError:
        raise ConfigError(f"{name}: nested too deeply") from None
    finally:
        if loader is not None:
            loader.dispose()
    return data, node


def lines(node: Node | None, path: tuple = ()) -> dict[tuple, int]:
    """The 1-based line of every key and list item, by path (keys are strings, list items integers)."""
    out: dict[tuple, int] = {}
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            key = (*path, key_node.value)
            out[key] = key_node.start_mark.line + 1
            out.update(lines(value_node, key))
    elif isinstance(node, SequenceNode):
        for i, item in enumerate(node.value):
            out[(*path, i)] = item.start_mark.line + 1
            out.update(lines(item, (*path, i)))
    return out
