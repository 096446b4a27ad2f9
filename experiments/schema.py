"""A small declarative schema for experiment configs, with errors a user can act on.

Each rule checks one value and says what is allowed. :func:`validate`
walks a config against :data:`experiments.config.SCHEMA`, reporting the first
problem as ``ConfigError`` with the key's dotted path, the file and line, and
for unknown keys the closest valid names.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from plumbing.errors import FactorRegimesError


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
            return f"expected {name}, got {type(value).__name__} {value!r}{number_hint(value)}"
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            problem = _finite(value)
            if problem:
                return f"expected {name}, got {problem}"
        if isinstance(value, str) and not value.strip() and not nullable:
            return f"expected {name}, got an empty string"
        if low is not None and value < low:
            return f"expected {name} >= {low}, got {value!r}"
        if high is not None and value > high:
            return f"expected {name} <= {high}, got {value!r}"
        return None
    bounds = "" if low is None and high is None else f" in [{low}, {high if high is not None else 'inf'}]"
    return Rule(f"{name}{bounds}", check, nullable)


def number_hint(value: Any) -> str:
    """A hint for text that reads as a number but that YAML 1.1 keeps as text (``1e-4``, ``1e3``)."""
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return ""
        return " (YAML reads it as text: write the exponent with a dot and a sign, e.g. 1.0e-4 or 1.0e+3)"
    return ""


def _finite(value: float) -> str | None:
    """Why ``value`` is not a usable number (``.nan``, ``.inf``, too large for a float), or None."""
    try:
        ok = math.isfinite(float(value))
    except OverflowError:
        return f"a number too large ({str(value)[:20]}...)"
    return None if ok else f"{value!r} (NaN and infinity are not numbers here)"


def Int(low=None, high=None, nullable=False) -> Rule:  # noqa: N802 (reads like a type)
    return _type(int, "an integer", low, high, nullable)


def Num(low=None, high=None, nullable=False) -> Rule:  # noqa: N802
    return _type((int, float), "a number", low, high, nullable)


def Bool(nullable=False) -> Rule:  # noqa: N802
    return _type(bool, "true or false", nullable=nullable)


def Str(nullable=False) -> Rule:  # noqa: N802
    return _type(str, "a string", nullable=nullable)


def Length(low: int = 1, nullable=False) -> Rule:  # noqa: N802
    """A schedule length: an integer >= ``low`` (periods) or a calendar span such as 1Y, 3M, 4W, 63D."""
    from regimes.calendar import is_span

    def check(value: Any) -> str | None:
        if isinstance(value, str) and is_span(value):
            if int(value.strip()[:-1]) < 1:
                return f"expected a span of at least 1 unit, got {value!r}"
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            return (f"expected an integer (periods) or a span such as 1Y, 3M, 4W or 63D (D business days, "
                    f"W weeks, M months, Y years), got {type(value).__name__} {value!r}")
        if value < low:
            return f"expected an integer >= {low} or a span such as 1Y, got {value!r}"
        return None
    return Rule(f"an integer >= {low} or a span (1Y, 3M, 4W, 63D)", check, nullable)


def Choice(options: list[str] | Callable[[], list[str]], nullable=False) -> Rule:  # noqa: N802
    def check(value: Any) -> str | None:
        valid = options() if callable(options) else options
        if value in valid:
            return None
        close = difflib.get_close_matches(str(value), valid, n=3)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        return f"{value!r} is not one of {', '.join(map(str, valid))}{hint}"
    return Rule("one of the listed names", check, nullable)


def parse_date(value: Any, end: bool = False) -> dt.date | None:
    """A config date as a calendar date (None if it is not one).

    ``YYYY-MM`` means the month's first day, or its last day when ``end`` is
    true (an end date includes its whole month); ``YYYY-MM-DD`` and YAML dates
    are taken as they are. Years before 1800 or after 2200 are not dates of
    market data and are refused.
    """
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):
        for fmt in ("%Y-%m-%d", "%Y-%m"):
            try:
                parsed = dt.datetime.strptime(value.strip(), fmt).date()
            except ValueError:
                continue
            if fmt == "%Y-%m" and end:
                nxt = dt.date(parsed.year + parsed.month // 12, parsed.month % 12 + 1, 1)
                parsed = nxt - dt.timedelta(days=1)
            value = parsed
            break
    if isinstance(value, dt.date) and 1800 <= value.year <= 2200:
        return value
    return None


def Date(nullable=False) -> Rule:  # noqa: N802
    def check(value: Any) -> str | None:
        if parse_date(value) is not None:
            return None
        return f"expected a date YYYY-MM or YYYY-MM-DD, got {value!r} (a calendar date, years 1800-2200)"
    return Rule("a date", check, nullable)


def Anything(nullable=True) -> Rule:  # noqa: N802
    return Rule("any value", lambda v: None, nullable)


@dataclass(frozen=True)
class ListOf:
    """A list whose items follow ``item`` (a Rule or a mapping schema)."""

    item: Any
    min_items: int = 0
    #: Keys every item (a mapping) must have.
    required: tuple[str, ...] = ()


@dataclass(frozen=True)
class MapOf:
    """A free mapping (parameters): keys are not checked here, the component checks them."""

    nullable: bool = True


Lines = Mapping[tuple, int]


def where(path: tuple, file: str | None, lines: Lines) -> str:
    """``"FILE, line N: dotted.key"`` for ``path``.

    ``lines`` maps a path to its line in ``file`` (an int) or to a full
    location (a str, e.g. another file's line or a ``--set`` option); a path
    without an entry takes its nearest ancestor's.
    """
    dotted = ".".join(str(p) for p in path) or "<top level>"
    line = next((lines[path[:i]] for i in range(len(path), -1, -1) if path[:i] in lines), None)
    if isinstance(line, str):
        location = line
    else:
        location = f"{file}, line {line}" if file and line else (file or "")
    return f"{location}: {dotted}" if location else dotted


def _check_values(value: Any, path: tuple, file: str | None, lines: Lines) -> None:
    """Free-form values (component parameters): numbers finite, keys text."""
    if isinstance(value, float) or (isinstance(value, int) and not isinstance(value, bool)):
        problem = _finite(value)
        if problem:
            raise ConfigError(f"{where(path, file, lines)}: expected a number, got {problem}")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ConfigError(f"{where(path, file, lines)}: key {key!r} is not text")
            _check_values(item, (*path, key), file, lines)
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check_values(item, (*path, i), file, lines)


def validate(config: Any, schema: Any, file: str | None = None, lines: Lines | None = None, path: tuple = (),
             complete: bool = False, optional: tuple[str, ...] = ()) -> None:
    """Raise :class:`ConfigError` at the first value that breaks ``schema``.

    With ``complete`` (a resolved config), every key of every section must be
    present, except top-level keys in ``optional``.
    """
    lines = lines or {}
    if isinstance(schema, dict):
        if not isinstance(config, Mapping):
            raise ConfigError(f"{where(path, file, lines)}: expected a mapping of keys, got {config!r}")
        for key, value in config.items():
            if key not in schema:
                close = difflib.get_close_matches(str(key), list(schema), n=3)
                hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
                raise ConfigError(f"{where((*path, key), file, lines)}: unknown key {key!r}{hint} "
                                  f"(valid: {', '.join(map(str, schema))})")
            validate(value, schema[key], file, lines, (*path, key), complete)
        if complete:
            missing = [k for k in schema if k not in config and not (not path and k in optional)]
            if missing:
                raise ConfigError(f"{where(path, file, lines)}: missing key(s) {', '.join(missing)} (a value that "
                                  "replaces a whole section must list all of its keys; set single keys instead, "
                                  "e.g. data.start=2005-01)")
        return
    if isinstance(schema, ListOf):
        if not isinstance(config, list):
            raise ConfigError(f"{where(path, file, lines)}: expected a list, got {config!r}")
        if len(config) < schema.min_items:
            raise ConfigError(f"{where(path, file, lines)}: expected at least {schema.min_items} item(s)")
        for i, item in enumerate(config):
            validate(item, schema.item, file, lines, (*path, i))
            missing = [k for k in schema.required if isinstance(item, Mapping) and k not in item]
            if missing:
                raise ConfigError(f"{where((*path, i), file, lines)}: missing key(s) {', '.join(missing)}")
        return
    if isinstance(schema, MapOf):
        if config is None and schema.nullable:
            return
        if not isinstance(config, Mapping):
            raise ConfigError(f"{where(path, file, lines)}: expected a mapping of parameters, got {config!r}")
        _check_values(config, path, file, lines)
        return
    if config is None:
        if schema.nullable:
            return
        raise ConfigError(f"{where(path, file, lines)}: a value is required ({schema.describe})")
    problem = schema.check(config)
    if problem:
        raise ConfigError(f"{where(path, file, lines)}: {problem}")
