"""Figures, in one style: a colour-blind-safe palette, labelled axes and dates, PNG and SVG.

Every function takes the project's tables (the long time series, decision rows, comparison
or sensitivity tables, a sweep's runs) and returns a matplotlib `Figure`; `save_figure`
writes it as PNG and SVG, the same bytes each time the same figure is saved. Ensemble bands are quantiles over runs: the median line, a 50%
band and a 90% band.
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib
import matplotlib.dates
import matplotlib.patches
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure

from sim.institutions import GOOD_STANDING, STATUS_NAMES
from sim.store import write_if_changed

#: Okabe-Ito colour-blind-safe palette.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
#: Colours of membership statuses: none, active, hedging, suspended, withdrawn, observer.
STATUS_COLOURS = ("#FFFFFF", "#009E73", "#F0E442", "#E69F00", "#D55E00", "#56B4E9")
COMPONENTS = ("cohesion", "trust", "congruence", "engagement")
#: Fixed salt of the ids matplotlib gives SVG elements (random by default).
SVG_HASHSALT = "protective-integration"
#: Stamps left out of saved files: SVG's creation date, PNG's software version.
NO_STAMPS = {"png": {"Software": None}, "svg": {"Date": None}}
MARKED_KINDS = ("separatism_support", "normative_pressure", "charter_revision", "outside_channel",
                "accession", "colour_revolution")


def new_figure(rows: int = 1, cols: int = 1, size: tuple[float, float] = (8, 4.5),
               **kwargs) -> tuple[Figure, list[list]]:
    """A figure in the project's style with a 2-D list of axes."""
    fig, axes = plt.subplots(rows, cols, figsize=size, layout="constrained", squeeze=False, **kwargs)
    for ax in axes.ravel():
        ax.grid(alpha=0.3)
    return fig, [list(row) for row in axes]


def save_figure(fig: Figure, path: str | Path) -> list[Path]:
    """Write a figure as PNG and SVG next to each other and close it.

    The bytes depend on the figure alone (see `render`); a file that already holds them is
    left untouched, any other is replaced atomically.
    """
    base = Path(path).with_suffix("")
    written = [write_if_changed(base.with_suffix(f".{fmt}"), render(fig, fmt)) for fmt in ("png", "svg")]
    plt.close(fig)
    return written


def render(fig: Figure, fmt: str) -> bytes:
    """A figure as PNG or SVG bytes, deterministic: SVG ids from a fixed salt, no date or
    software stamp."""
    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": SVG_HASHSALT}):
        fig.savefig(buffer, format=fmt, dpi=150, metadata=NO_STAMPS[fmt])
    return buffer.getvalue()


def ensemble_band(series: pd.DataFrame, entity: str, metric: str,
                  quantiles: tuple[float, float] = (0.05, 0.95)) -> pd.DataFrame:
    """Median and a quantile band over runs of one (entity, metric), by date; missing
    values (an institution before its founding) are skipped, and a date where every run
    is missing has NaN."""
    rows = series[(series["entity"] == entity) & (series["metric"] == metric)]
    grouped = rows.groupby("date", observed=True)["value"]
    return pd.DataFrame({"median": grouped.median(), "low": grouped.quantile(quantiles[0]),
                         "high": grouped.quantile(quantiles[1])})


def _bands(ax, series: pd.DataFrame, entity: str, metric: str, colour: str, label: str) -> float:
    """Median line with 50% and 90% bands from the first date with a value (an
    institution's founding); returns the lowest plotted value."""
    wide = ensemble_band(series, entity, metric)
    inner = ensemble_band(series, entity, metric, (0.25, 0.75))
    keep = wide["median"].notna()
    wide, inner = wide[keep], inner[keep]
    if wide.empty:
        return 1.0
    ax.fill_between(wide.index, wide["low"], wide["high"], color=colour, alpha=0.18, linewidth=0)
    ax.fill_between(inner.index, inner["low"], inner["high"], color=colour, alpha=0.35, linewidth=0)
    ax.plot(wide.index, wide["median"], color=colour, linewidth=2, label=label)
    return float(wide["low"].min())


def event_markers(scenario) -> list[tuple[pd.Timestamp, str]]:
    """(date, label) of the events worth marking on a time axis: shocks, revisions, accessions."""
    labels: dict[pd.Timestamp, list[str]] = {}
    for event in scenario.events:
        if event.kind in MARKED_KINDS and not getattr(event, "as_observer", False):
            labels.setdefault(pd.Timestamp(scenario.dates[event.step]), []).append(event.key.replace("_", " "))
    return [(date, " / ".join(names)) for date, names in labels.items()]


def _mark(ax, events: list[tuple[pd.Timestamp, str]] | None, bottom: float) -> None:
    for date, label in events or []:
        ax.axvline(date, color="grey", linewidth=0.7, linestyle=":")
        ax.text(date, bottom + 0.005, label, rotation=90, fontsize=7, color="dimgrey",
                va="bottom", ha="right")


def trajectories_figure(series: dict[str, pd.DataFrame], institutions: list[str],
                        metric: str = "cohesion", title: str = "",
                        events: list[tuple[pd.Timestamp, str]] | None = None) -> Figure:
    """One panel per institution: each scenario's median with 50% and 90% bands, events marked."""
    fig, axes = new_figure(1, len(institutions), size=(6.5 * len(institutions), 4.8), sharey=True)
    for ax, inst in zip(axes[0], institutions):
        low = 1.0
        for colour, (name, frame) in zip(PALETTE, series.items()):
            low = min(low, _bands(ax, frame, inst, metric, colour, name))
        bottom = max(0.0, low - 0.05)
        ax.set_ylim(bottom, 1.0)
        _mark(ax, events, bottom)
        runs = next(iter(series.values()))["run"].nunique()
        ax.set_title(f"{inst} {metric}{' - ' + title if title else ''} ({runs} runs)")
        ax.set_xlabel("Date (quarter)")
        ax.set_ylabel(f"{metric.capitalize()} (0-1; median, 50% and 90% bands)")
    axes[0][0].legend(loc="upper left", fontsize="small")
    return fig


def cohesion_figure(series: pd.DataFrame, institutions: list[str], title: str = "Cohesion",
                    events: list[tuple[pd.Timestamp, str]] | None = None) -> Figure:
    """The main job's figure: all institutions' cohesion in one panel, events marked."""
    fig, axes = new_figure(size=(9, 5))
    ax = axes[0][0]
    low = min([_bands(ax, series, code, "cohesion", colour, code)
               for colour, code in zip(PALETTE, institutions)] + [1.0])
    bottom = max(0.0, low - 0.05)
    ax.set_ylim(bottom, 1.0)
    _mark(ax, events, bottom)
    ax.set_xlabel("Date (quarter)")
    ax.set_ylabel("Cohesion index (0-1)")
    ax.set_title(f"{title} ({series['run'].nunique()} runs; median, 50% and 90% bands)")
    ax.legend(loc="upper left", ncols=len(institutions), fontsize="small")
    return fig


def components_figure(series: pd.DataFrame, institutions: list[str]) -> Figure:
    """Small multiples: cohesion and its components (rows) for each institution (columns)."""
    fig, axes = new_figure(len(COMPONENTS), len(institutions),
                           size=(5.5 * len(institutions), 2.4 * len(COMPONENTS)), sharex=True)
    for col, inst in enumerate(institutions):
        for row, metric in enumerate(COMPONENTS):
            ax = axes[row][col]
            _bands(ax, series, inst, metric, PALETTE[row], metric)
            ax.set_ylabel(f"{metric} (0-1)")
            if row == 0:
                ax.set_title(inst)
            if row == len(COMPONENTS) - 1:
                ax.set_xlabel("Date (quarter)")
    return fig


def _members(series: pd.DataFrame, institution: str, date: pd.Timestamp) -> list[str]:
    rows = series[(series["metric"] == f"status.{institution}") & (series["date"] == date)]
    good = rows[rows["value"].isin(GOOD_STANDING)]
    return sorted(good["entity"].astype(str).unique())


def _trust_matrix(series: pd.DataFrame, members: list[str], date: pd.Timestamp) -> np.ndarray:
    rows = series[(series["date"] == date) & series["metric"].astype(str).str.startswith("trust_in.")]
    mean = rows.groupby(["entity", "metric"], observed=True)["value"].mean()
    matrix = np.eye(len(members))
    for i, a in enumerate(members):
        for j, b in enumerate(members):
            if i != j:
                matrix[i, j] = mean.get((a, f"trust_in.{b}"), np.nan)
    return matrix


def trust_heatmap(series: pd.DataFrame, institution: str, dates: list[str]) -> Figure:
    """Mean trust (over runs) among an institution's members at chosen dates."""
    fig, axes = new_figure(1, len(dates), size=(4.6 * len(dates), 4.4))
    image = None
    for ax, text in zip(axes[0], dates):
        date = pd.Timestamp(text)
        members = _members(series, institution, date)
        image = ax.imshow(_trust_matrix(series, members, date), vmin=0, vmax=1, cmap="viridis")
        ax.set_xticks(range(len(members)), members, rotation=90)
        ax.set_yticks(range(len(members)), members)
        ax.set_xlabel("Trusted state")
        ax.set_ylabel("Trusting state")
        ax.set_title(f"{institution} trust, {date:%Y-%m}")
        ax.grid(False)
    if image is not None:
        fig.colorbar(image, ax=axes[0], label="Trust (0-1)", shrink=0.8)
    return fig


def trust_network(series: pd.DataFrame, institution: str, dates: list[str], threshold: float = 0.6) -> Figure:
    """Members on a circle; an edge where mutual trust (mean of both directions) >= threshold."""
    fig, axes = new_figure(1, len(dates), size=(4.6 * len(dates), 4.6))
    for ax, text in zip(axes[0], dates):
        date = pd.Timestamp(text)
        members = _members(series, institution, date)
        matrix = _trust_matrix(series, members, date)
        angle = np.linspace(0, 2 * np.pi, len(members), endpoint=False)
        x, y = np.cos(angle), np.sin(angle)
        for i in range(len(members)):
            for j in range(i + 1, len(members)):
                mutual = (matrix[i, j] + matrix[j, i]) / 2
                if mutual >= threshold:
                    ax.plot([x[i], x[j]], [y[i], y[j]], color=PALETTE[0],
                            linewidth=1 + 6 * (mutual - threshold) / (1 - threshold), alpha=0.7)
        ax.scatter(x, y, s=400, color=PALETTE[4], zorder=3)
        for xi, yi, code in zip(x, y, members):
            ax.annotate(code, (xi, yi), ha="center", va="center", fontsize=8, zorder=4)
        ax.set_title(f"{institution} trust network, {date:%Y-%m}\n(edges: mutual trust >= {threshold})")
        ax.set_xlabel("")
        ax.set_axis_off()
        ax.set_aspect("equal")
    return fig


def engagement_timeline(series: pd.DataFrame, institutions: list[str], run: int = 0) -> Figure:
    """Membership status of every state over time, one strip chart per institution (one run)."""
    fig, axes = new_figure(len(institutions), 1, size=(10, 3.2 * len(institutions)), sharex=True)
    cmap = ListedColormap(STATUS_COLOURS)
    norm = BoundaryNorm(np.arange(-0.5, len(STATUS_NAMES) + 0.5), cmap.N)
    one = series[series["run"] == run]
    for ax, inst in zip([row[0] for row in axes], institutions):
        rows = one[one["metric"] == f"status.{inst}"]
        table = rows.pivot_table(index="entity", columns="date", values="value", observed=True)
        table = table[(table > 0).any(axis=1)]
        dates = table.columns
        ax.imshow(table.to_numpy(), aspect="auto", cmap=cmap, norm=norm, interpolation="nearest",
                  extent=(matplotlib.dates.date2num(dates[0]), matplotlib.dates.date2num(dates[-1]),
                          len(table) - 0.5, -0.5))
        ax.xaxis_date()
        ax.set_yticks(range(len(table)), table.index)
        ax.set_ylabel("State")
        ax.set_title(f"{inst} membership status (run {run})")
        ax.grid(False)
    axes[-1][0].set_xlabel("Date (quarter)")
    handles = [matplotlib.patches.Patch(color=c, label=n) for c, n in zip(STATUS_COLOURS[1:], STATUS_NAMES[1:])]
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize="small")
    return fig


def phase_diagram(outcomes: pd.DataFrame, x: str, y: str, outcome: str) -> Figure:
    """An outcome (mean over seeds) over two swept parameters: a grid map, or points if sampled."""
    fig, axes = new_figure(size=(6, 5))
    ax = axes[0][0]
    means = outcomes.groupby([x, y])[outcome].mean().reset_index()
    if means[x].nunique() * means[y].nunique() == len(means):
        grid = means.pivot(index=y, columns=x, values=outcome)
        mesh = ax.pcolormesh(grid.columns, grid.index, grid.to_numpy(), shading="nearest", cmap="viridis")
    else:
        mesh = ax.scatter(means[x], means[y], c=means[outcome], cmap="viridis", s=40)
    fig.colorbar(mesh, ax=ax, label=f"{outcome} (mean over seeds)")
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.set_title(f"{outcome} over {x} and {y}")
    return fig


def sensitivity_figure(table: pd.DataFrame, method: str) -> Figure:
    """Bar charts of sensitivity indices with their 95% intervals, one panel per output."""
    outputs = list(dict.fromkeys(table["output"]))
    fig, axes = new_figure(1, len(outputs), size=(4.5 * len(outputs), 4.5))
    index = "mu_star" if method == "morris" else "ST"
    for ax, text in zip(axes[0], outputs):
        rows = table[(table["output"] == text) & (table["index"] == index)].sort_values("value")
        ax.barh(rows["parameter"], rows["value"], xerr=rows["conf"], color=PALETTE[0], capsize=3)
        share = rows["seed_variance_share"].iloc[0] if len(rows) else float("nan")
        ax.set_title(f"{text}\n(seed variance share {share:.0%})", fontsize="small")
        ax.set_xlabel("Morris mu* (mean |elementary effect|)" if method == "morris"
                      else "Sobol total-order index ST")
        ax.set_ylabel("Parameter")
    return fig


def comparison_figure(series: dict[str, pd.DataFrame], table: pd.DataFrame,
                      institutions: list[str]) -> Figure:
    """Top: cohesion of each scenario (median, bands); bottom: differences with 95% CIs."""
    fig, axes = new_figure(2, len(institutions), size=(5.5 * len(institutions), 7.5))
    for col, inst in enumerate(institutions):
        top, bottom = axes[0][col], axes[1][col]
        for colour, (name, frame) in zip(PALETTE, series.items()):
            _bands(top, frame, inst, "cohesion", colour, name)
        top.set_title(f"{inst} cohesion")
        top.set_xlabel("Date (quarter)")
        top.set_ylabel("Cohesion index (0-1)")
        top.legend(fontsize="small")
        rows = table[(table["institution"] == inst) & (table["metric"] == "cohesion")]
        for offset, (colour, (name, group)) in enumerate(zip(PALETTE[1:], rows.groupby("scenario"))):
            x = np.arange(len(group)) + 0.15 * offset
            err = [group["difference"] - group["ci_low"], group["ci_high"] - group["difference"]]
            bottom.errorbar(x, group["difference"], yerr=err, fmt="o", color=colour, capsize=4, label=name)
            bottom.set_xticks(np.arange(len(group)), group["date"])
        bottom.axhline(0.0, color="black", linewidth=0.8)
        bottom.set_xlabel("Date")
        reference = rows["reference"].iloc[0] if len(rows) else "reference"
        bottom.set_ylabel(f"Cohesion difference vs {reference}")
        bottom.legend(fontsize="small")
    return fig


def quantiles(values: np.ndarray) -> tuple[float, float, float]:
    """(5%, median, 95%) of a sample, ignoring missing values (all NaN if every value is)."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    if values.size == 0:
        return (float("nan"),) * 3
    return tuple(float(v) for v in np.quantile(values, [0.05, 0.5, 0.95]))
