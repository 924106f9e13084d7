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


MARKED_KINDS = ("separatism_support", "normative_pressure", "charter_revision", "outside_channel",
                "accession", "colour_revolution")


def event_markers(scenario) -> list[tuple[pd.Timestamp, str]]:
    """(date, label) of the events worth marking on a time axis: shocks, revisions, accessions."""
    labels: dict[pd.Timestamp, list[str]] = {}
    for event in scenario.events:
        if event.kind in MARKED_KINDS and not getattr(event, "as_observer", False):
            labels.setdefault(pd.Timestamp(scenario.dates[event.step]), []).append(event.key.replace("_", " "))
    return [(date, " / ".join(names)) for date, names in labels.items()]


def cohesion_figure(series: pd.DataFrame, institutions: list[str],
                    title: str = "Cohesion of the institutions",
                    events: list[tuple[pd.Timestamp, str]] | None = None) -> Figure:
    """Cohesion of each institution: ensemble median with a 90% band, events marked."""
    fig, axes = new_figure(size=(9, 5))
    ax = axes[0][0]
    runs = series["run"].nunique()
    low_end = 1.0
    for colour, code in zip(PALETTE, institutions):
        band = ensemble_band(series, code, "cohesion")
        band = band[band["median"] > 0]
        if band.empty:
            continue
        ax.fill_between(band.index, band["low"], band["high"], color=colour, alpha=0.25, linewidth=0,
                        label=f"{code} 90% band")
        ax.plot(band.index, band["median"], color=colour, linewidth=2, label=f"{code} median")
        low_end = min(low_end, float(band["low"].min()))
    bottom = max(0.0, low_end - 0.05)
    ax.set_ylim(bottom, 1.0)
    for date, label in events or []:
        ax.axvline(date, color="grey", linewidth=0.7, linestyle=":")
        ax.text(date, bottom + 0.005, label, rotation=90, fontsize=7, color="dimgrey",
                va="bottom", ha="right")
    ax.set_xlabel("Date (quarter)")
    ax.set_ylabel("Cohesion index (0-1)")
    ax.set_title(f"{title} ({runs} runs)")
    ax.legend(loc="upper left", ncols=2, fontsize="small")
    return fig


def save_figure(fig: Figure, path) -> None:
    """Save and close a figure."""
    fig.savefig(path, dpi=150)
    plt.close(fig)


def quantiles(values: np.ndarray) -> tuple[float, float, float]:
    """(5%, median, 95%) of a sample."""
    return tuple(float(v) for v in np.quantile(values, [0.05, 0.5, 0.95]))
