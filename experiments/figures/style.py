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
#: Ten qualitative colours that stay apart (no two greens or two blues); past ten series the cycle repeats
#: them dashed, then dotted (30 distinct styles), so no two of a chart's series look alike.
PALETTE = ["#1f4e79", "#c0392b", "#27ae60", "#8e44ad", "#d68910", "#00a3cc", "#8b4513", "#e377c2", "#7d8c1f",
           "#5d6d7e"]
LINESTYLES = ["-", "--", ":"]


def series_colors(n: int) -> list[str]:
    """``n`` colours for bars or markers, cycling :data:`PALETTE` (pair with hatches past ten)."""
    return [PALETTE[k % len(PALETTE)] for k in range(n)]
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
    "axes.prop_cycle": matplotlib.cycler(linestyle=LINESTYLES) * matplotlib.cycler(color=PALETTE),
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


#: Mantissas of log-axis ticks, coarsest first: the first set giving at least four ticks is used.
LOG_SUBS = ((1.0,), (1.0, 2.0, 5.0), (1.0, 1.5, 2.0, 3.0, 5.0, 7.0),
            (1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0))


def log_ticks(low: float, high: float, least: int = 4, most: int = 12) -> list[float]:
    """Readable tick values for a log axis spanning ``[low, high]`` (both > 0): at least ``least`` where the
    range allows, at most ``most``, as round numbers (1, 2, 5, ... then finer mantissas, then even steps)."""
    low, high = max(low, 1e-12), max(high, low * (1 + 1e-9))
    decades = range(int(np.floor(np.log10(low))), int(np.ceil(np.log10(high))) + 1)
    best: list[float] = []
    for subs in LOG_SUBS:
        ticks = [float(f"{m * 10.0 ** d:.6g}") for d in decades for m in subs if low <= m * 10.0 ** d <= high]
        if len(ticks) > most:
            break
        best = ticks
        if len(ticks) >= least:
            return ticks
    if len(best) < least:  # a narrow range: evenly spaced round values
        from matplotlib.ticker import MaxNLocator
        locator = MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10], min_n_ticks=least)
        best = [float(f"{v:.6g}") for v in locator.tick_values(low, high) if low <= v <= high and v > 0]
    return best


def log_price_axis(ax) -> None:
    """Log scale with plain tick labels (1,000 not 10^3) and four to twelve round ticks; call after plotting."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator
    ax.set_yscale("log")
    ax.autoscale_view()
    low, high = ax.get_ylim()
    ax.yaxis.set_major_locator(FixedLocator(log_ticks(low, high)))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 100 else f"{v:g}"))
    ax.set_ylim(low, high)


def legend_below(ax, ncol: int | None = None, **kwargs) -> None:
    """A legend under the axes (never over the data), in as many columns as its labels allow."""
    handles, labels = ax.get_legend_handles_labels()
    if not labels:
        return
    if ncol is None:
        longest = max(len(label) for label in labels)
        ncol = max(1, min(len(labels), 4 if longest <= 24 else 3 if longest <= 34 else 2))
    from matplotlib.transforms import offset_copy
    below = offset_copy(ax.transAxes, fig=ax.figure, y=-30, units="points")  # clear of the date tick labels
    ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), bbox_transform=below, ncol=ncol,
              **kwargs)


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
