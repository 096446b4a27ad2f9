"""Addressing single values of a config: ``--set`` keys, sweep grid keys, flattened config paths.

A key is a dotted path. A list item is addressed by index
(``regimes.detectors.0.params.n_states``) or by the component's label in
brackets (``regimes.detectors[jump].params.jump_penalty``,
``forecasting.forecasters[per_regime[ridge]].params.min_weight``). The label is
the one the study names the component by (:func:`component_label`): its
``label:`` key, else its name (a regime-aware forecaster: ``name[base]``).

Every key is checked against the schema and, under ``params``, against the
parameters the component takes, before it is set: a key that does not exist is
refused with the closest valid paths, a label that matches no component, or
several, with the labels that exist.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from experiments.schema import ConfigError, ListOf, MapOf, rules


@dataclass(frozen=True)
class Label:
    """A list item addressed by its component label (``[jump]`` in a key)."""

    text: str

    def __str__(self) -> str:
        return f"[{self.text}]"


def split_key(key: str, where: str) -> list[str | Label]:
    """``regimes.detectors[jump].params.x`` -> ``["regimes", "detectors", Label("jump"), "params", "x"]``.

    Dots inside brackets belong to the label; brackets nest (``per_regime[ridge]``).
    """
    parts: list[str | Label] = []
    word, depth, label = "", 0, ""
    for ch in key:
        if depth:
            if ch == "[":
                depth += 1
            elif ch == "]":
                depth -= 1
                if not depth:
                    if not label.strip():
                        raise ConfigError(f"{where}: an empty label '[]' in key {key!r}")
                    parts.append(Label(label.strip()))
                    label = ""
                    continue
            label += ch
        elif ch == "[":
            if word.strip():
                parts.append(word.strip())
            elif not parts:
                raise ConfigError(f"{where}: key {key!r} starts with a label; name the list first, "
                                  "e.g. regimes.detectors[jump]")
            word, depth = "", 1
        elif ch == "]":
            raise ConfigError(f"{where}: unbalanced ']' in key {key!r}")
        elif ch == ".":
            if word.strip():
                parts.append(word.strip())
            elif not parts or not isinstance(parts[-1], Label):
                raise ConfigError(f"{where}: expected KEY=VALUE, e.g. data.start=2005-01 (empty part in {key!r})")
            word = ""
        else:
            word += ch
    if depth:
        raise ConfigError(f"{where}: unbalanced '[' in key {key!r}")
    if word.strip():
        parts.append(word.strip())
    elif key.rstrip().endswith("."):
        raise ConfigError(f"{where}: expected KEY=VALUE, e.g. data.start=2005-01 (empty part in {key!r})")
    if not parts:
        raise ConfigError(f"{where}: expected KEY=VALUE, e.g. data.start=2005-01")
    if re.search(r"\][^.\[\]]", _outside_labels(key)):
        raise ConfigError(f"{where}: expected '.' or '[' after ']' in key {key!r}")
    return parts


def _outside_labels(key: str) -> str:
    """``key`` with the text inside top-level brackets removed (``a[b.c].d`` -> ``a[].d``)."""
    out, depth = "", 0
    for ch in key:
        if ch == "[":
            depth += 1
            if depth == 1:
                out += ch
        elif ch == "]" and depth:
            depth -= 1
            if not depth:
                out += ch
        elif not depth:
            out += ch
    return out


def show(path: tuple | list) -> str:
    """A path as text: ``regimes.detectors[jump].params.x`` (labels) or ``regimes.detectors.0`` (indices)."""
    out = ""
    for p in path:
        out += str(p) if isinstance(p, Label) else ("." if out else "") + str(p)
    return out or "<top level>"


def _registries() -> dict[tuple, Any]:
    from allocation.allocators import ALLOCATORS
    from allocation.forecasters import FORECASTERS
    from experiments.analyses import ANALYSES
    from regimes.detectors import DETECTORS
    return {("regimes", "detectors"): DETECTORS, ("forecasting", "forecasters"): FORECASTERS,
            ("allocation", "allocators"): ALLOCATORS, ("analyses",): ANALYSES}


def component_label(list_path: tuple, item: Any) -> str | None:
    """The label of a list item: its ``label``, else its name (forecasters: as the study names them)."""
    if not isinstance(item, Mapping) or "name" not in item:
        return None
    if tuple(list_path) == ("forecasting", "forecasters") and isinstance(item.get("params") or {}, Mapping):
        from experiments.study import _label
        return _label(item)
    return str(item.get("label") or item["name"])


def _parameters(list_path: tuple, item: Mapping) -> list[str] | None:
    """Parameters the component takes (None when the component is unknown: validation names it later)."""
    registry = _registries().get(tuple(list_path))
    if registry is None or not isinstance(item.get("name"), str) or item["name"] not in registry:
        return None
    return [p for p in registry.parameters(item["name"]) if p != "ctx"]


def _schema_paths(config: Any, schema: Any, path: tuple, by_label: bool) -> list[tuple]:
    """Every addressable path under ``path`` (sections, leaves, component parameters)."""
    if isinstance(schema, dict):
        out = [path] if path else []
        for key, sub in schema.items():
            sub_config = config.get(key) if isinstance(config, Mapping) else None
            out += _schema_paths(sub_config, sub, (*path, key), by_label)
        return out
    if isinstance(schema, ListOf) and isinstance(schema.item, dict) and isinstance(config, list):
        out = [path]
        for i, item in enumerate(config):
            label = component_label(path, item)
            at = (*path, Label(label) if by_label and label is not None else i)
            out.append(at)
            for key, sub in schema.item.items():
                out.append((*at, key))
                if isinstance(sub, MapOf) and isinstance(item, Mapping):
                    out += [(*at, key, p) for p in _parameters(path, item) or []]
        return out
    return [path]


def valid_paths(config: dict) -> list[str]:
    """Every addressable path of ``config``, by label and by index (for did-you-mean hints)."""
    from experiments.config_tree import Config
    paths = {show(p) for by_label in (True, False) for p in _schema_paths(config, rules(Config), (), by_label)}
    return sorted(paths)


def _closest(config: dict, key: str) -> str:
    close = difflib.get_close_matches(key, valid_paths(config), n=3, cutoff=0.5)
    return f" (closest valid paths: {', '.join(close)})" if close else ""


def _pick(node: list, part: str | Label, list_path: tuple, path: tuple, key: str, where: str) -> int:
    """The index of the list item ``part`` names (an index or a label)."""
    if isinstance(part, Label):
        labels = [component_label(list_path, item) for item in node]
        hits = [i for i, label in enumerate(labels) if label == part.text]
        known = ", ".join(str(label) for label in labels if label is not None) or "none"
        if len(hits) == 1:
            return hits[0]
        if not hits:
            close = difflib.get_close_matches(part.text, [lb for lb in labels if lb is not None], n=1)
            hint = f"; did you mean [{close[0]}]?" if close else ""
            raise ConfigError(f"{where}: {show(path)}{part}: no item of {show(path)} is labelled "
                              f"{part.text!r}{hint} (labels: {known})")
        raise ConfigError(f"{where}: {show(path)}{part}: {len(hits)} items of {show(path)} are labelled "
                          f"{part.text!r} (items {', '.join(map(str, hits))}; labels: {known}); give each a "
                          f"distinct 'label', or address one by index ({show((*path, hits[0]))})")
    if not (part.isascii() and part.isdigit()) or int(part) >= len(node):
        allowed = f"an index 0..{len(node) - 1} or a label in brackets" if node else "no index (set the whole list)"
        raise ConfigError(f"{where}: {show(path)} is a list of {len(node)} item(s); expected {allowed}, "
                          f"got {part!r}")
    return int(part)


def resolve(config: dict, parts: list[str | Label], where: str) -> tuple:
    """The concrete path (list items as indices) of a key, checked against the schema and components.

    Raises
    ------
    ConfigError
        A key the schema or the component does not have (with the closest valid paths), a label matching
        no item or several (with the labels), an index out of range, or a step into a value.
    """
    from experiments.config_tree import Config
    key = show(parts)
    node: Any = config
    schema: Any = rules(Config)  # None below a component's parameters: free, the component checks them later
    component: tuple[tuple, Mapping] | None = None  # (list path, item) of the component we are in
    path: list = []
    for depth, part in enumerate(parts):
        shown = parts[:depth]  # the path so far as the user wrote it
        if isinstance(node, list):
            list_path = tuple(p for p in path if isinstance(p, str))
            index = _pick(node, part, list_path, tuple(shown), key, where)
            node = node[index]
            if isinstance(schema, ListOf) and isinstance(schema.item, dict):
                schema, component = schema.item, (list_path, node)
            else:
                schema = None
            path.append(index)
            continue
        if isinstance(part, Label):
            raise ConfigError(f"{where}: {show(shown)} is not a list of components; {part} addresses nothing"
                              + _closest(config, key))
        if isinstance(schema, ListOf):
            raise ConfigError(f"{where}: {show(shown)} is {node!r}, not a list to index (set the whole list)")
        leaf = schema is not None and not isinstance(schema, (dict, ListOf, MapOf))
        if (node is not None and not isinstance(node, Mapping)) or leaf:
            raise ConfigError(f"{where}: {show(shown)} holds a value ({node!r}), not a section"
                              + _closest(config, key))
        if isinstance(schema, dict):
            if part not in schema:
                close = difflib.get_close_matches(part, list(schema), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise ConfigError(f"{where}: {show((*shown, part))}: unknown key {part!r}{hint}"
                                  + _closest(config, key))
            schema = schema[part]
            if isinstance(schema, MapOf):
                valid = _parameters(*component) if component is not None else None
                following = parts[depth + 1] if depth + 1 < len(parts) else None
                if valid is not None and isinstance(following, str) and following not in valid:
                    close = difflib.get_close_matches(following, valid, n=1)
                    hint = f"; did you mean {close[0]!r}?" if close else ""
                    raise ConfigError(f"{where}: {show((*shown, part, following))}: {component[1]['name']!r} has "
                                      f"no parameter {following!r}{hint} (valid: {', '.join(valid) or 'none'})"
                                      + _closest(config, key))
                schema = None
        path.append(part)
        node = node.get(part) if isinstance(node, Mapping) else None
    return tuple(path)


def flatten(config: Any, path: tuple = (), out: dict | None = None, list_path: tuple = ()) -> dict[str, Any]:
    """Leaf values of a resolved config by path, list items of components by label.

    A list of components (mappings with a ``name``) is flattened item by item,
    keyed by label; any other list (targets, features) is one value.
    """
    out = {} if out is None else out
    if isinstance(config, Mapping):
        if not config and path:
            out[show(path)] = {}
        for key, value in config.items():
            flatten(value, (*path, key), out, tuple(p for p in (*path, key) if isinstance(p, str)))
        return out
    if isinstance(config, list) and config and all(isinstance(i, Mapping) and "name" in i for i in config):
        labels = [component_label(list_path, item) for item in config]
        unique = len(set(labels)) == len(labels)
        for i, item in enumerate(config):
            flatten(item, (*path, Label(labels[i]) if unique else i), out, list_path)
        return out
    out[show(path)] = config
    return out
