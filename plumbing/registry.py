"""Name -> component registries, one per component kind.

Every kind uses this one class: detectors, features, forecasters, allocators,
analyses, replication studies and data sources.

YAML names components; the registry turns a name and parameters into an
object, or raises one clear error listing the valid names (and the closest
ones) or the valid parameters.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from plumbing.errors import FactorRegimesError

T = TypeVar("T")


class Registry(Generic[T]):
    """Components of one kind by name.

    Parameters
    ----------
    kind : str
        What the components are ("detector", "forecaster", ...), for messages.
    """

    def __init__(self, kind: str):
        self.kind = kind
        self._items: dict[str, Callable[..., T]] = {}

    def register(self, name: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
        """Decorator registering a class or factory under ``name`` (a duplicate is an error)."""
        def decorate(factory: Callable[..., T]) -> Callable[..., T]:
            if name in self._items:
                raise ValueError(f"{self.kind} {name!r} is already registered")
            self._items[name] = factory
            return factory
        return decorate

    def add(self, name: str, item: T) -> T:
        """Register an object that is used as it is (a feature, say), not called to build one."""
        return self.register(name)(item)

    def names(self) -> list[str]:
        return list(self._items)

    def items(self) -> list[tuple[str, Callable[..., T]]]:
        """``(name, registered object)`` pairs, in registration order."""
        return list(self._items.items())

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self):
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def get(self, name: str) -> Callable[..., T]:
        """The factory registered as ``name``."""
        if name not in self._items:
            close = difflib.get_close_matches(str(name), self._items, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise FactorRegimesError(f"unknown {self.kind} {name!r}{hint} (known: {', '.join(self._items)})")
        return self._items[name]

    def parameters(self, name: str) -> list[str]:
        """Keyword parameters the component accepts."""
        sig = inspect.signature(self.get(name))
        return [p for p, v in sig.parameters.items()
                if v.kind in (v.POSITIONAL_OR_KEYWORD, v.KEYWORD_ONLY) and not p.startswith("_")]

    def create(self, name: str, **params: Any) -> T:
        """Build ``name`` with ``params``; unknown parameters are named with the valid ones."""
        factory = self.get(name)
        valid = self.parameters(name)
        unknown = [p for p in params if p not in valid]
        if unknown:
            close = {u: difflib.get_close_matches(u, valid, n=1) for u in unknown}
            hints = ", ".join(f"{u!r}" + (f" (did you mean {c[0]!r}?)" if c else "") for u, c in close.items())
            raise FactorRegimesError(f"{self.kind} {name!r} has no parameter {hints}; valid: {', '.join(valid)}")
        return factory(**params)
