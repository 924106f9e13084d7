"""Analysis figures. The main job's figure: cohesion over time with ensemble bands."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

#: Okabe-Ito colour-blind-safe palette.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")


def ensemble_band(series: pd.DataFrame, entity: str, metric: str,
                  quantiles: tuple[float, float] = (0.05, 0.95)) -> pd.DataFrame:
    """Median and a quantile band over runs of one (entity, metric), by date."""
    rows = series[(series["entity"] == entity) & (series["metric"] == metric)]
    grouped = rows.groupby("date", observed=True)["value"]
    return pd.DataFrame({"median": grouped.median(), "low": grouped.quantile(quantiles[0]),
                         "high": grouped.quantile(quantiles[1])})


def new_figure(rows: int = 1, cols: int = 1, size: tuple[float, float] = (8, 4.5),
               **kwargs) -> tuple[Figure, list[list]]:
    """A figure in the project's style with a 2-D list of axes."""
    fig, axes = plt.subplots(rows, cols, figsize=size, layout="constrained", squeeze=False, **kwargs)
    for ax in axes.ravel():
        ax.grid(alpha=0.3)
    return fig, [list(row) for row in axes]


def cohesion_figure(series: pd.DataFrame, institutions: list[str],
                    title: str = "Cohesion of the institutions") -> Figure:
    """SCO and CSTO (or any institutions) cohesion: ensemble median with a 90% band."""
    fig, axes = new_figure()
    ax = axes[0][0]
    runs = series["run"].nunique()
    for colour, code in zip(PALETTE, institutions):
        band = ensemble_band(series, code, "cohesion")
        band = band[band["median"] > 0]
        if band.empty:
            continue
        ax.fill_between(band.index, band["low"], band["high"], color=colour, alpha=0.25, linewidth=0,
                        label=f"{code} 90% band")
        ax.plot(band.index, band["median"], color=colour, linewidth=2, label=f"{code} median")
    ax.set_xlabel("Date (quarter)")
    ax.set_ylabel("Cohesion index (0-1)")
    ax.set_ylim(0, 1)
    ax.set_title(f"{title} ({runs} runs)")
    ax.legend(loc="lower left", ncols=2, fontsize="small")
    return fig


def save_figure(fig: Figure, path) -> None:
    """Save and close a figure."""
    fig.savefig(path, dpi=150)
    plt.close(fig)


def quantiles(values: np.ndarray) -> tuple[float, float, float]:
    """(5%, median, 95%) of a sample."""
    return tuple(float(v) for v in np.quantile(values, [0.05, 0.5, 0.95]))
