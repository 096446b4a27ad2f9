"""Lazy public re-exports for package ``__init__`` modules (PEP 562).

A package lists its public names and the module each lives in; the module is
imported the first time a name is used, so ``import experiments`` stays cheap
(the command line starts without loading matplotlib or scikit-learn).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, exports: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package`` re-exporting ``name -> module`` lazily.

    Parameters
    ----------
    package : str
        The package's ``__name__`` (for error messages).
    exports : mapping of str to str
        Public name -> dotted module that defines it.
    """
    def getattr_(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(exports[name]), name)

    def dir_() -> list[str]:
        return sorted(exports)

    return getattr_, dir_
