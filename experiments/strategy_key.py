"""The identity of a strategy: which assets, which allocator, which forecaster (on which base), which detector.

A strategy is built from a :class:`StrategyKey` and keeps it to the end: the
``target``, ``regime_model``, ``forecaster``, ``base`` and ``allocator``
columns of ``metrics.csv`` come from its fields, never from parsing a name.
Its :attr:`StrategyKey.label` is the printed name of earlier versions
(``UMD/binary/per_regime[ridge]@hmm``), so reports, README tables and old run
directories stay valid; :meth:`StrategyKey.from_label` parses such a name and
serves only to read run directories written before ``metrics.csv`` held every
field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from plumbing.errors import FactorRegimesError

#: The allocator of a buy-and-hold benchmark series (label ``benchmark/<asset>``).
BUY_AND_HOLD = "buy_and_hold"
#: The allocator of static exposure (label ``<assets>/static``).
STATIC = "static"
#: The columns of ``metrics.csv`` (and of :meth:`StrategyKey.row`) that hold the key.
KEY_COLUMNS = ("target", "regime_model", "forecaster", "base", "allocator")


@dataclass(frozen=True)
class StrategyKey:
    """One strategy of a run.

    Parameters
    ----------
    assets : tuple of str
        The assets it holds (one target, several joined by ``+``, or a benchmark series).
    allocator : str
        The allocator's label, ``static`` or ``buy_and_hold``.
    forecaster : str, optional
        The forecaster's label (``per_regime[ridge]``); None when the allocator reads no forecast.
    base : str, optional
        The unconditional model a regime-aware forecaster is built on; None otherwise.
    detector : str, optional
        The detector label whose regime path the forecaster or the allocator reads; None when none does.
    """

    assets: tuple[str, ...]
    allocator: str
    forecaster: str | None = None
    base: str | None = None
    detector: str | None = None

    def __post_init__(self) -> None:
        if not self.assets or not self.allocator:
            raise FactorRegimesError(f"a strategy needs assets and an allocator, got {self!r}")
        object.__setattr__(self, "assets", tuple(self.assets))

    @property
    def is_benchmark(self) -> bool:
        return self.allocator == BUY_AND_HOLD

    @property
    def is_static(self) -> bool:
        return self.allocator == STATIC

    @property
    def target(self) -> str:
        """The ``target`` column: the asset, the ``+``-joined assets, or ``benchmark``."""
        return "benchmark" if self.is_benchmark else "+".join(self.assets)

    @property
    def label(self) -> str:
        """The printed name: ``<assets>/<allocator>[/<forecaster>][@<detector>]`` or ``benchmark/<asset>``."""
        if self.is_benchmark:
            return f"benchmark/{'+'.join(self.assets)}"
        return (f"{'+'.join(self.assets)}/{self.allocator}" + (f"/{self.forecaster}" if self.forecaster else "")
                + (f"@{self.detector}" if self.detector else ""))

    def static(self) -> StrategyKey:
        """The static-exposure strategy on the same assets (the benchmark a strategy is tested against)."""
        return self if self.is_benchmark else StrategyKey(self.assets, STATIC)

    def row(self) -> dict[str, str]:
        """The key columns of ``metrics.csv`` (``none`` for an absent field)."""
        return {"target": self.target, "regime_model": self.detector or "none",
                "forecaster": self.forecaster or "none", "base": self.base or "none", "allocator": self.allocator}

    @classmethod
    def from_row(cls, row: Mapping, label: str | None = None) -> StrategyKey:
        """The key from the columns of a ``metrics.csv`` row (:meth:`row`).

        Rows written before the ``base`` column existed are completed from ``label`` (:meth:`from_label`).
        """
        def field(name: str) -> str | None:
            value = row.get(name)
            return None if value is None or value != value or value == "none" else str(value)

        if "base" not in row and label is not None:
            return cls.from_label(label)
        allocator = field("allocator")
        if allocator is None:
            raise FactorRegimesError(f"strategy {label or row!r}: no allocator column")
        target = field("target") or ""
        if target == "benchmark":
            if label is None or not label.startswith("benchmark/"):
                raise FactorRegimesError(f"benchmark strategy without its label: {row!r}")
            assets = tuple(label.split("/", 1)[1].split("+"))
        else:
            assets = tuple(target.split("+"))
        return cls(assets, allocator, field("forecaster"), field("base"), field("regime_model"))

    @classmethod
    def from_label(cls, label: str) -> StrategyKey:
        """Parse a printed name (:attr:`label`); only for run directories that predate the key columns.

        The base is known only when the forecaster label names it (``per_regime[ridge]``).
        """
        head, _, detector = label.partition("@")
        parts = head.split("/", 2)
        if len(parts) < 2 or not parts[0] or not parts[1]:
            raise FactorRegimesError(f"{label!r} is not a strategy name (<assets>/<allocator>[/<forecaster>]"
                                     "[@<detector>])")
        if parts[0] == "benchmark":
            return cls(tuple(parts[1].split("+")), BUY_AND_HOLD)
        forecaster = parts[2] if len(parts) == 3 else None
        base = forecaster.split("[", 1)[1].rstrip("]") if forecaster and "[" in forecaster else None
        return cls(tuple(parts[0].split("+")), parts[1], forecaster, base, detector or None)
