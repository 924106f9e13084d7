"""Figures of scenario discovery: PRIM's coverage-density trade-off and the chosen box, the
parameters' feature scores and an outcome's envelope over a sweep."""

from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator, StrMethodFormatter

from sim.app.plots import metric_label, parameter_label

#: Colours of the box figure: a restricted parameter's box, an unrestricted one's, the sampled range.
RESTRICTED, UNRESTRICTED, SAMPLED = "tab:blue", "tab:gray", "0.88"


def tradeoff_figure(trajectory: pd.DataFrame, step: int, title: str) -> Figure:
    """Coverage against density along PRIM's peeling trajectory, one colour per number of
    restricted parameters (a count, so a legend, not a colour bar), the reported box circled."""
    fig, ax = plt.subplots(figsize=(5.5, 4.2))
    counts = sorted(int(k) for k in trajectory["res_dim"].unique())
    colours = plt.get_cmap("viridis", max(len(counts), 2))
    for position, count in enumerate(counts):
        steps = trajectory[trajectory["res_dim"] == count]
        ax.scatter(steps["coverage"], steps["density"], color=colours(position), s=18,
                   label=f"{count} restricted parameter{'s' if count != 1 else ''}")
    ax.scatter([trajectory.at[step, "coverage"]], [trajectory.at[step, "density"]], s=120, facecolors="none",
               edgecolors="red", label=f"reported box (step {step})")
    ax.set_xlabel("coverage (share of the outcome's runs inside the box)")
    ax.set_ylabel("density (share of the box's runs with the outcome)")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=8, loc="lower left")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def box_figure(box: pd.DataFrame, coverage: float, density: float, title: str) -> Figure:
    """Each parameter's sampled range (grey) and the box's range within it (blue), scaled
    to 0-1 with the numbers written at the ends; restricted parameters first."""
    fig, ax = plt.subplots(figsize=(6.5, 0.5 * len(box) + 1.4))
    span = (box["sampled_max"] - box["sampled_min"]).where(lambda s: s > 0, 1.0)
    lower = (box["lower"] - box["sampled_min"]) / span
    upper = (box["upper"] - box["sampled_min"]) / span
    rows = range(len(box))[::-1]
    ax.barh(rows, [1.0] * len(box), color=SAMPLED)
    ax.barh(rows, upper - lower, left=lower, color=[RESTRICTED if r else UNRESTRICTED for r in box["restricted"]])
    for row, (_, item) in zip(rows, box.iterrows()):
        ax.text(-0.02, row, f"{item['lower']:.3g}", ha="right", va="center", fontsize=8)
        ax.text(1.02, row, f"{item['upper']:.3g}", ha="left", va="center", fontsize=8)
    ax.set_yticks(list(rows), [parameter_label(name) for name in box["parameter"]])
    ax.set_xlim(-0.15, 1.15)
    ax.set_xticks([0, 1], ["sampled min", "sampled max"])
    ax.legend(handles=[Patch(color=RESTRICTED, label="box: restricted"),
                       Patch(color=UNRESTRICTED, label="box: unrestricted (whole range)"),
                       Patch(color=SAMPLED, label="sampled range")],
              fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3, frameon=False)
    ax.set_title(f"{title}\ncoverage {coverage:.2f}, density {density:.2f}", fontsize=10)
    fig.tight_layout()
    return fig


def features_figure(scores: pd.DataFrame, title: str) -> Figure:
    """The parameters' extra-trees feature scores as bars, highest at the top, each with its
    score written beside it."""
    fig, ax = plt.subplots(figsize=(6.5, 0.45 * len(scores) + 1.5), layout="constrained")
    rows = range(len(scores))[::-1]
    ax.barh(list(rows), scores["score"], color=RESTRICTED)
    for row, value in zip(rows, scores["score"]):
        ax.text(value, row, f" {value:.2f}", va="center", fontsize=8)
    ax.set_yticks(list(rows), [parameter_label(name) for name in scores["parameter"]])
    ax.set_xlim(0, max(1.0, float(scores["score"].max()) * 1.15))
    ax.set_xlabel("feature score (share of the extra-trees forest's fit; the scores sum to 1)")
    ax.set_title(f"What drives {title}", fontsize=10)
    return fig


def envelope_figure(table: pd.DataFrame, entity: str, metric: str, date: pd.Timestamp) -> Figure:
    """The EMA Workbench's envelope of an outcome over a sweep's runs (`table`: one row per
    run, one column per date): the range of all runs shaded, with the density of the values
    at the last date beside it; on top, the median and the 90% band, and the outcome's
    date marked."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # the Workbench's import-time notices (optional evaluators)
        from ema_workbench.analysis import plotting
        from ema_workbench.analysis.plotting_util import Density
    table = table.loc[:, table.notna().any()]
    years = np.array([stamp.year + (stamp.month - 1) / 12 for stamp in table.columns])
    name = f"{entity} {metric_label(metric)}"
    values = table.to_numpy(dtype=float)
    fig, axes = plotting.envelopes(pd.DataFrame(index=table.index), {"TIME": np.tile(years, (len(table), 1)),
                                   name: values}, outcomes_to_show=[name], fill=True, density=Density.KDE,
                                   legend=False, titles={name: ""}, ylabels={name: name})
    ax = axes[name]
    ax.plot(years, np.nanmedian(values, axis=0), color="black", linewidth=1.5)
    for q in (0.05, 0.95):
        ax.plot(years, np.nanquantile(values, q, axis=0), color="black", linewidth=0.8, linestyle="--")
    ax.axvline(date.year + (date.month - 1) / 12, color="grey", linewidth=0.8, linestyle=":")
    ax.set_xlabel("Year")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.xaxis.set_major_formatter(StrMethodFormatter("{x:.0f}"))
    axes[f"{name}_density"].set_xlabel("density, last date")
    ax.legend(handles=[Patch(alpha=0.3, label=f"range of all {len(table)} runs"),
                       Line2D([], [], color="black", linewidth=1.5, label="median"),
                       Line2D([], [], color="black", linewidth=0.8, linestyle="--", label="5% and 95% of runs"),
                       Line2D([], [], color="grey", linewidth=0.8, linestyle=":", label="the outcome's date")],
              fontsize="small", loc="best")
    fig.set_size_inches(8, 4.8)
    fig.suptitle(f"{name} over the sweep's runs", fontsize=11)
    return fig
