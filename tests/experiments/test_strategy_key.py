"""The typed strategy key: printed labels as before, metrics columns from its fields, old labels parsed."""

from __future__ import annotations

import pytest

from experiments.strategy_key import KEY_COLUMNS, StrategyKey
from plumbing.errors import FactorRegimesError

CASES = [  # key -> the name earlier versions printed (README tables and old run directories use them)
    (StrategyKey(("UMD",), "binary", "per_regime[ridge]", "ridge", "hmm"), "UMD/binary/per_regime[ridge]@hmm"),
    (StrategyKey(("UMD",), "static"), "UMD/static"),
    (StrategyKey(("HML",), "vol_target"), "HML/vol_target"),
    (StrategyKey(("UMD",), "regime_scaled", None, None, "jump"), "UMD/regime_scaled@jump"),
    (StrategyKey(("UMD",), "binary", "ridge"), "UMD/binary/ridge"),
    (StrategyKey(("UMD", "HML"), "mean_variance", "ridge"), "UMD+HML/mean_variance/ridge"),
    (StrategyKey(("SPY",), "buy_and_hold"), "benchmark/SPY"),
]


@pytest.mark.parametrize("key,label", CASES)
def test_label_is_the_printed_name_and_parses_back(key: StrategyKey, label: str) -> None:
    assert key.label == label
    assert StrategyKey.from_row(key.row(), label) == key
    parsed = StrategyKey.from_label(label)
    assert parsed.label == label
    assert (parsed.assets, parsed.allocator, parsed.forecaster, parsed.detector) == \
        (key.assets, key.allocator, key.forecaster, key.detector)


def test_row_holds_every_field_and_the_static_benchmark() -> None:
    key = StrategyKey(("UMD", "HML"), "binary", "regime_conditioned", "lasso", "jump")
    assert list(key.row()) == list(KEY_COLUMNS)
    assert key.row() == {"target": "UMD+HML", "regime_model": "jump", "forecaster": "regime_conditioned",
                         "base": "lasso", "allocator": "binary"}
    assert key.static().label == "UMD+HML/static"
    bench = StrategyKey(("SPY",), "buy_and_hold")
    assert bench.row()["target"] == "benchmark" and bench.static() == bench


def test_base_not_in_the_label_is_kept_by_the_row_only() -> None:
    key = StrategyKey(("UMD",), "binary", "per_regime", "ridge", "hmm")  # default base: not in the label
    assert StrategyKey.from_row(key.row(), key.label) == key
    assert StrategyKey.from_label(key.label).base is None  # an old label cannot tell


def test_old_metrics_rows_without_base_are_read_from_the_label() -> None:
    row = {"target": "UMD", "regime_model": "hmm", "forecaster": "per_regime[lasso]", "allocator": "binary"}
    assert StrategyKey.from_row(row, "UMD/binary/per_regime[lasso]@hmm").base == "lasso"


@pytest.mark.parametrize("label", ["UMD", "/static", "UMD/"])
def test_a_name_that_is_no_strategy_is_refused(label: str) -> None:
    with pytest.raises(FactorRegimesError, match="not a strategy name"):
        StrategyKey.from_label(label)
