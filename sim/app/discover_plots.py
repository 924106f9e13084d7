"""Figures of scenario discovery: PRIM's coverage-density trade-off and the chosen box."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from sim.app.plots import parameter_label

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
