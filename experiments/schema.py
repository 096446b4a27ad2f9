"""A small declarative schema for experiment configs, with errors a user can act on.

Each rule checks one value and says what is allowed. :func:`validate`
walks a config against :data:`experiments.config.SCHEMA`, reporting the first
problem as ``ConfigError`` with the key's dotted path, the file and line, and
for unknown keys the closest valid names.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from regimes.errors import FactorRegimesError


class ConfigError(FactorRegimesError):
    """A config file is malformed, names something unknown, or holds a value out of range."""


@dataclass(frozen=True)
class Rule:
    """A leaf value's check: ``check(value) -> error message or None``."""

    describe: str
    check: Callable[[Any], str | None]
    nullable: bool = False


def _type(kind: type | tuple, name: str, low=None, high=None, nullable: bool = False) -> Rule:
    def check(value: Any) -> str | None:
        if isinstance(value, bool) and kind is not bool and bool not in (kind if isinstance(kind, tuple) else (kind,)):
            return f"expected {name}, got a boolean"
        if not isinstance(value, kind):
            return f"expected {name}, got {type(value).__name__} {value!r}"
        if low is not None and value < low:
            return f"expected {name} >= {low}, got {value!r}"
        if high is not None and value > high:
            return f"expected {name} <= {high}, got {value!r}"
        return None
    bounds = "" if low is None and high is None else f" in [{low}, {high if high is not None else 'inf'}]"
    return Rule(f"{name}{bounds}", check, nullable)


def Int(low=None, high=None, nullable=False) -> Rule:  # noqa: N802 (reads like a type)
    return _type(int, "an integer", low, high, nullable)


def Num(low=None, high=None, nullable=False) -> Rule:  # noqa: N802
    return _type((int, float), "a number", low, high, nullable)


def Bool(nullable=False) -> Rule:  # noqa: N802
    return _type(bool, "true or false", nullable=nullable)


def Str(nullable=False) -> Rule:  # noqa: N802
    return _type(str, "a string", nullable=nullable)


def Choice(options: list[str] | Callable[[], list[str]], nullable=False) -> Rule:  # noqa: N802
    def check(value: Any) -> str | None:
        valid = options() if callable(options) else options
        if value in valid:
            return None
        close = difflib.get_close_matches(str(value), valid, n=3)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        return f"{value!r} is not one of {', '.join(map(str, valid))}{hint}"
    return Rule("one of the listed names", check, nullable)


def Date(nullable=False) -> Rule:  # noqa: N802
    def check(value: Any) -> str | None:
        if isinstance(value, (dt.date, dt.datetime)):
            return None
        if isinstance(value, str):
            for fmt in ("%Y-%m", "%Y-%m-%d"):
                try:
                    dt.datetime.strptime(value, fmt)
                    return None
                except ValueError:
                    pass
        return f"expected a date YYYY-MM or YYYY-MM-DD, got {value!r}"
    return Rule("a date", check, nullable)


def Anything(nullable=True) -> Rule:  # noqa: N802
    return Rule("any value", lambda v: None, nullable)


@dataclass(frozen=True)
class ListOf:
    """A list whose items follow ``item`` (a Rule or a mapping schema)."""

    item: Any
    min_items: int = 0


@dataclass(frozen=True)
class MapOf:
    """A free mapping (parameters): keys are not checked here, the component checks them."""

    nullable: bool = True


Lines = Mapping[tuple, int]


def _where(path: tuple, file: str | None, lines: Lines) -> str:
    dotted = ".".join(str(p) for p in path) or "<top level>"
    line = lines.get(path)
    location = f"{file}, line {line}" if file and line else (file or "")
    return f"{location}: {dotted}" if location else dotted


def validate(config: Any, schema: Any, file: str | None = None, lines: Lines | None = None, path: tuple = ()) -> None:
    """Raise :class:`ConfigError` at the first value that breaks ``schema``."""
    lines = lines or {}
    if isinstance(schema, dict):
        if not isinstance(config, Mapping):
            raise ConfigError(f"{_where(path, file, lines)}: expected a mapping of keys, got {config!r}")
        for key, value in config.items():
            if key not in schema:
                close = difflib.get_close_matches(str(key), list(schema), n=3)
                hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
                raise ConfigError(f"{_where((*path, key), file, lines)}: unknown key {key!r}{hint} "
                                  f"(valid: {', '.join(schema)})")
            validate(value, schema[key], file, lines, (*path, key))
        return
    if isinstance(schema, ListOf):
        if not isinstance(config, list):
            raise ConfigError(f"{_where(path, file, lines)}: expected a list, got {config!r}")
        if len(config) < schema.min_items:
            raise ConfigError(f"{_where(path, file, lines)}: expected at least {schema.min_items} item(s)")
        for i, item in enumerate(config):
            validate(item, schema.item, file, lines, (*path, i))
        return
    if isinstance(schema, MapOf):
        if config is None and schema.nullable:
            return
        if not isinstance(config, Mapping):
            raise ConfigError(f"{_where(path, file, lines)}: expected a mapping of parameters, got {config!r}")
        return
    if config is None:
        if schema.nullable:
            return
        raise ConfigError(f"{_where(path, file, lines)}: a value is required ({schema.describe})")
    problem = schema.check(config)
    if problem:
        raise ConfigError(f"{_where(path, file, lines)}: {problem}")
