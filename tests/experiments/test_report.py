"""The report's generated summary: what it says for known metric tables (benchmark that wins, nothing beats static)."""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pandas as pd

from experiments.report import summary_points
from experiments.tables import html_table


def _result(rows: list[tuple], spa: dict | None = None) -> SimpleNamespace:
    """A result holding only what the summary reads: rows are (strategy, target, regime_model, forecaster,
    allocator, sharpe)."""
    metrics = pd.DataFrame(rows, columns=["strategy", "target", "regime_model", "forecaster", "allocator", "sharpe"])
    metrics = metrics.set_index("strategy")
    metrics["dsr"] = 0.5
    metrics["sharpe_diff_p"] = np.where(metrics["allocator"] == "static", np.nan, 0.5)
    metrics["hlz_pass"] = False
    return SimpleNamespace(metrics=metrics, spa=spa or {}, stepm={}, mcs={}, pbo={},
                           forecast_metrics=pd.DataFrame())


def _text(points: list[str]) -> str:
    return " ".join(re.sub(r"<[^>]+>", "", p) for p in points)


def test_summary_names_a_benchmark_that_beats_every_strategy() -> None:
    result = _result([
        ("benchmark/SPY", "benchmark", "none", "none", "buy_and_hold", 0.90),
        ("MTUM/static", "MTUM", "none", "none", "static", 0.60),
        ("MTUM/vol_target", "MTUM", "none", "none", "vol_target", 0.70),
        ("MTUM/regime_tilt@hmm", "MTUM", "hmm", "none", "regime_tilt", 0.65),
    ])
    points = summary_points(result)
    assert points[0].startswith("<b>Benchmark SPY</b>")
    text = _text(points)
    assert ("Benchmark SPY (buy and hold, benchmark/SPY) earns a Sharpe ratio of 0.90 over the evaluation window: "
            "it beats every one of the 3 strategies, static exposures included (the best, MTUM/vol_target, earns "
            "0.70).") in text
    # vol_target is an unconditional strategy: the regime strategy is compared with it
    assert ("MTUM: the best regime-aware strategy (MTUM/regime_tilt@hmm, Sharpe 0.65) does not beat the best "
            "unconditional one (MTUM/vol_target, 0.70).") in text


def test_summary_counts_strategies_that_beat_a_benchmark() -> None:
    result = _result([
        ("benchmark/SPY", "benchmark", "none", "none", "buy_and_hold", 0.50),
        ("UMD/static", "UMD", "none", "none", "static", 0.40),
        ("UMD/binary/ridge", "UMD", "none", "ridge", "binary", 0.55),
        ("UMD/binary/ridge@hmm", "UMD", "hmm", "ridge", "binary", 0.45),
    ])
    text = _text(summary_points(result))
    assert "1 of 3 strategies beat it (the best, UMD/binary/ridge, earns 0.55)" in text
    assert "2 of 2 strategies do better after costs; the best is UMD/binary/ridge (0.55)" in text


def test_summary_when_no_strategy_beats_static() -> None:
    result = _result([
        ("HML/static", "HML", "none", "none", "static", 0.30),
        ("HML/binary/ridge", "HML", "none", "ridge", "binary", 0.10),
        ("HML/binary/ridge@jump", "HML", "jump", "ridge", "binary", 0.20),
    ], spa={"HML/static": {"spa_consistent": 0.8, "reality_check": 0.9}})
    points = summary_points(result)
    text = _text(points)
    assert ("HML: static exposure earns a Sharpe ratio of 0.30 over the evaluation window. None of its 2 strategies "
            "does better after costs; the best is HML/binary/ridge@jump (0.20).") in text
    assert "Hansen's SPA test does not reject that no strategy beats static (p = 0.800" in text
    assert "0 of" not in text  # nothing counted out of nothing, and no "0 of them differ"
    assert "Benchmark" not in text  # no benchmark configured: none named


def test_summary_leaves_out_comparisons_with_nothing_to_compare() -> None:
    result = _result([("UMD/static", "UMD", "none", "none", "static", 0.4)])
    points = summary_points(result)
    assert len(points) == 1
    assert "0 of 0" not in points[0] and "strategies" not in points[0]


def test_html_table_scrolls_and_keeps_the_first_column_in_view() -> None:
    frame = pd.DataFrame({"a": [0.12345], "b": ["x<y"]}, index=pd.Index(["s1"], name="strategy"))
    out = html_table(frame, digits=2, pct_columns=("a",))
    assert out.startswith("<div class='scroll'><table class='sticky'>") and out.endswith("</table></div>")
    assert "<th>strategy</th><th>a</th><th>b</th>" in out
    assert ">12.35%<" in out and "x&lt;y" in out
