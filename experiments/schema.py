"""A small declarative schema for experiment configs, with errors a user can act on.

Each rule checks one value and says what is allowed. A config's keys are a tree
of dataclasses (:mod:`experiments.config_tree`) whose fields carry their rule,
default and one-line description (:func:`key`, :func:`section`);
:func:`rules` turns a tree into the mapping :func:`validate` walks,
:func:`defaults` into the resolved defaults, :func:`leaves` into the
documentation of every key. :func:`validate` reports the first problem as
``ConfigError`` with the key's dotted path, the file and line, and for unknown
keys the closest valid names.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import MISSING, Field, dataclass, field, fields, is_dataclass
from typing import Any

from plumbing.errors import FactorRegimesError


class ConfigError(FactorRegimesError):
    """A config file is malformed, names something unknown, or holds a value out of range."""


@dataclass(frozen=True)
class Rule:
    """A leaf value's check: ``check(value) -> error message or None``.

    ``kind`` is the type as documented (``integer``, ``number``, ...) and
    ``allowed`` the values allowed (a range, the names; a callable when the
    names come from a registry), so documentation and errors share one text.
    """

    kind: str
    check: Callable[[Any], str | None]
    nullable: bool = False
    allowed: str | Callable[[], str] = ""

    @property
    def allowed_text(self) -> str:
        return self.allowed() if callable(self.allowed) else self.allowed

    @property
    def describe(self) -> str:
        return " ".join(p for p in (self.kind, self.allowed_text) if p)


def _type(kind: type | tuple, name: str, short: str, low=None, high=None, nullable: bool = False) -> Rule:
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
    if low is None and high is None:
        bounds = ""
    else:
        bounds = f">= {low}" if high is None else (f"<= {high}" if low is None else f"{low} to {high}")
    return Rule(short, check, nullable, bounds)


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
    return _type(int, "an integer", "integer", low, high, nullable)


def Num(low=None, high=None, nullable=False) -> Rule:  # noqa: N802
    return _type((int, float), "a number", "number", low, high, nullable)


def Bool(nullable=False) -> Rule:  # noqa: N802
    return _type(bool, "true or false", "true/false", nullable=nullable)


def Str(nullable=False) -> Rule:  # noqa: N802
    return _type(str, "a string", "text", nullable=nullable)


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
    return Rule("integer or span", check, nullable, f">= {low}, or a span: 1Y, 3M, 4W, 63D")


def Choice(options: list[str] | Callable[[], list[str]], nullable=False) -> Rule:  # noqa: N802
    def check(value: Any) -> str | None:
        valid = options() if callable(options) else options
        if value in valid:
            return None
        close = difflib.get_close_matches(str(value), valid, n=3)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        return f"{value!r} is not one of {', '.join(map(str, valid))}{hint}"
    return Rule("one of", check, nullable, lambda: ", ".join(map(str, options() if callable(options) else options)))


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
    return Rule("date", check, nullable, "YYYY-MM or YYYY-MM-DD")


def Anything(nullable=True) -> Rule:  # noqa: N802
    return Rule("any value", lambda v: None, nullable)


@dataclass(frozen=True)
class ListOf:
    """A list whose items follow ``item``: a Rule, or a tree of keys (a dataclass, see :func:`key`)."""

    item: Any
    min_items: int = 0
    #: Keys every item (a mapping) must have (derived from a tree item's REQUIRED keys by :func:`rules`).
    required: tuple[str, ...] = ()
    #: Each value may appear once.
    unique: bool = False


@dataclass(frozen=True)
class MapOf:
    """A free mapping (parameters): keys are not checked here, the component checks them."""

    nullable: bool = True


class _Required:
    def __repr__(self) -> str:
        return "required"

    def __deepcopy__(self, memo: dict) -> _Required:
        return self


#: The default of a key that has none: the config (or the component) must give it.
REQUIRED: Any = _Required()


def key(default: Any, rule: Rule | ListOf | MapOf, doc: str, *, file_only: bool = False) -> Any:
    """A key of a config tree: its default (:data:`REQUIRED` when none), its rule and a one-line description.

    ``file_only`` keys (``extends``) may appear in a file but are not part of the resolved config.
    """
    meta = {"rule": rule, "doc": doc, "file_only": file_only}
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: copy.deepcopy(default), metadata=meta)
    return field(default=default, metadata=meta)


def section(tree: type, doc: str) -> Any:
    """A section of a config tree: a mapping of keys described by the dataclass ``tree``."""
    return field(default_factory=tree, metadata={"doc": doc})


def _is_tree(item: Any) -> bool:
    """A tree of keys (a dataclass type), not a rule (a dataclass instance)."""
    return isinstance(item, type) and is_dataclass(item)


def _default(f: Field) -> Any:
    return copy.deepcopy(f.default) if f.default is not MISSING else f.default_factory()


@functools.cache
def rules(tree: type) -> dict[str, Any]:
    """The mapping of rules :func:`validate` walks, from a tree of dataclasses (sections nest)."""
    out: dict[str, Any] = {}
    for f in fields(tree):
        rule = f.metadata.get("rule")
        if rule is None:
            out[f.name] = rules(f.default_factory)
        elif isinstance(rule, ListOf) and _is_tree(rule.item):
            required = tuple(g.name for g in fields(rule.item) if g.default is REQUIRED)
            out[f.name] = ListOf(rules(rule.item), rule.min_items, required, rule.unique)
        else:
            out[f.name] = rule
    return out


def defaults(tree: type) -> dict[str, Any]:
    """The resolved defaults of a tree: every key but REQUIRED and file-only ones (items of lists are kept as
    their defaults give them)."""
    out: dict[str, Any] = {}
    for f in fields(tree):
        if "rule" not in f.metadata:
            out[f.name] = defaults(f.default_factory)
        elif f.default is not REQUIRED and not f.metadata["file_only"]:
            out[f.name] = _default(f)
    return out


def ordered(config: Mapping, tree: type) -> dict[str, Any]:
    """``config`` with the keys of every section in the tree's order (values unchanged)."""
    out: dict[str, Any] = {}
    for f in fields(tree):
        if f.name in config:
            value = config[f.name]
            sub = "rule" not in f.metadata and isinstance(value, Mapping)
            out[f.name] = ordered(value, f.default_factory) if sub else value
    out.update({k: v for k, v in config.items() if k not in out})
    return out


@dataclass(frozen=True)
class Leaf:
    """One documented key: dotted path (``.N.`` stands for a list item), type, whether null is allowed,
    default, allowed values, description."""

    path: str
    kind: str
    nullable: bool
    default: Any
    allowed: str
    doc: str


def _kind(rule: Any) -> tuple[str, bool, str]:
    if isinstance(rule, ListOf):
        if _is_tree(rule.item):
            kind, allowed = "list of components", ""
        else:
            item_kind, _, allowed = _kind(rule.item)
            kind = f"list of {item_kind}"
        parts = (f"at least {rule.min_items}" if rule.min_items else "", "each once" if rule.unique else "", allowed)
        return kind, False, "; ".join(p for p in parts if p)
    if isinstance(rule, MapOf):
        return "mapping", rule.nullable, "the component's parameters"
    return rule.kind, rule.nullable, rule.allowed_text


def leaves(tree: type, path: str = "") -> list[Leaf]:
    """Every key of a tree, sections walked, items of component lists as ``LIST.N.KEY``."""
    out: list[Leaf] = []
    for f in fields(tree):
        at = f"{path}{f.name}"
        rule = f.metadata.get("rule")
        if rule is None:
            out += leaves(f.default_factory, at + ".")
            continue
        kind, nullable, allowed = _kind(rule)
        out.append(Leaf(at, kind, nullable, _default(f), allowed, f.metadata["doc"]))
        if isinstance(rule, ListOf) and _is_tree(rule.item):
            out += leaves(rule.item, at + ".N.")
    return out


def repeated(values: list) -> list[str]:
    """The values that appear more than once in ``values``, in order of first repetition, as text."""
    seen, out = [], []
    for v in values:
        if v in seen and v not in out:
            out.append(v)
        seen.append(v)
    return [str(v) for v in out]


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
        twice = repeated(config) if schema.unique else []
        if twice:
            raise ConfigError(f"{where(path, file, lines)}: repeated entries: {', '.join(twice)} (each may appear "
                              "once)")
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
