"""One figure style for every plot: sizes, colours, fonts, date axes, shading."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import matplotlib

matplotlib.use("Agg", force=False)
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from plumbing.atomic import atomic_write_bytes  # noqa: E402

RISK_OFF = "#c0392b"
RISK_ON = "#2e86c1"
RECESSION = "#7f8c8d"
PALETTE = ["#1f4e79", "#c0392b", "#27ae60", "#8e44ad", "#d68910", "#17a589", "#5d6d7e", "#a04000"]
WIDTH = 11.0

RC = {
    "figure.dpi": 110,
    "savefig.dpi": 120,
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.25,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
}


@contextmanager
def style():
    """Apply the house style inside a ``with`` block."""
    with plt.rc_context(RC):
        yield


def spans(mask: pd.Series) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Contiguous runs of True in a date-indexed boolean series, as (start, end) pairs.

    A run covers its periods from the end of the previous period to its last
    date, so monthly shading covers the whole month.
    """
    mask = mask.fillna(False).astype(bool)
    out = []
    idx = mask.index
    values = mask.to_numpy()
    i = 0
    while i < len(values):
        if values[i]:
            j = i
            while j + 1 < len(values) and values[j + 1]:
                j += 1
            start = idx[i - 1] if i > 0 else idx[i]
            out.append((start, idx[j]))
            i = j + 1
        else:
            i += 1
    return out


def shade(ax, mask: pd.Series, color: str = RISK_OFF, alpha: float = 0.18, label: str | None = None) -> None:
    """Shade the periods where ``mask`` is True."""
    for k, (a, b) in enumerate(spans(mask)):
        ax.axvspan(a, b, color=color, alpha=alpha, lw=0, label=label if k == 0 else None)


def date_axis(ax) -> None:
    locator = mdates.AutoDateLocator(minticks=6, maxticks=14)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def log_price_axis(ax) -> None:
    """Log scale with plain tick labels (1,000 not 10^3)."""
    from matplotlib.ticker import FuncFormatter, LogLocator
    ax.set_yscale("log")
    low, high = ax.get_ylim()
    subs = (1.0, 2.0, 5.0) if high / max(low, 1e-12) > 20 else (1.0, 1.25, 1.5, 2.0, 3.0, 5.0, 7.5)
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=subs, numticks=30))
    ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 10 else f"{v:g}"))


def save(fig, path: str | Path) -> Path:
    """Write a PNG atomically and close the figure."""
    import io
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())
    return Path(path)


def finite(series: pd.Series) -> pd.Series:
    return series[np.isfinite(series.to_numpy(dtype=float))]
