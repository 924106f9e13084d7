"""Figures of scenario discovery: PRIM's coverage-density trade-off and the chosen box."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure


def tradeoff_figure(trajectory: pd.DataFrame, step: int, title: str) -> Figure:
    """Coverage against density along PRIM's peeling trajectory (colour: restricted
    parameters), the reported box circled."""
    fig, ax = plt.subplots(figsize=(5.5, 4.2))
    points = ax.scatter(trajectory["coverage"], trajectory["density"], c=trajectory["res_dim"], cmap="viridis", s=18)
    ax.scatter([trajectory.at[step, "coverage"]], [trajectory.at[step, "density"]], s=120, facecolors="none",
               edgecolors="red", label=f"reported box (step {step})")
    fig.colorbar(points, ax=ax, label="restricted parameters", ticks=range(int(trajectory["res_dim"].max()) + 1))
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
    ax.barh(rows, [1.0] * len(box), color="0.88")
    ax.barh(rows, upper - lower, left=lower, color=["tab:blue" if r else "tab:gray" for r in box["restricted"]])
    for row, (_, item) in zip(rows, box.iterrows()):
        ax.text(-0.02, row, f"{item['lower']:.3g}", ha="right", va="center", fontsize=8)
        ax.text(1.02, row, f"{item['upper']:.3g}", ha="left", va="center", fontsize=8)
    ax.set_yticks(list(rows), box["parameter"])
    ax.set_xlim(-0.15, 1.15)
    ax.set_xticks([0, 1], ["sampled min", "sampled max"])
    ax.set_title(f"{title}\ncoverage {coverage:.2f}, density {density:.2f} (blue: restricted)", fontsize=10)
    fig.tight_layout()
    return fig
