"""Figures of a calibration folder: posterior marginals, pairs, and the sampler's progress."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.experiments.calibration import weighted_quantiles
from sim.app.plots import save_figure
from sim.io.store import read_json


def _free(folder: Path) -> dict[str, tuple[float, float]]:
    """The free parameters and their prior bounds, from the folder's manifest."""
    return {name: tuple(bounds) for name, bounds in read_json(folder / "manifest.json")["spec"]["free"].items()}


def marginals_figure(posterior: pd.DataFrame, free: dict[str, tuple[float, float]],
                     truth: dict[str, float]) -> Figure:
    """One panel per free parameter: the weighted posterior histogram over the whole prior
    range (the x-axis), its 90% interval shaded, and the true value when known."""
    names = list(free)
    cols = min(4, len(names))
    rows = -(-len(names) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.6 * rows), squeeze=False)
    weights = posterior["weight"].to_numpy()
    for ax, name in zip(axes.flat, names):
        low, high = free[name]
        ax.hist(posterior[name], bins=np.linspace(low, high, 21), weights=weights / weights.sum(), color="tab:blue")
        q05, q95 = weighted_quantiles(posterior[name].to_numpy(), weights, (0.05, 0.95))
        ax.axvspan(q05, q95, color="tab:blue", alpha=0.15, label="90% interval")
        if name in truth:
            ax.axvline(truth[name], color="black", linestyle="--", label="true value")
        ax.set_xlim(low, high)
        ax.set_title(name, fontsize=9)
        ax.set_ylabel("posterior weight", fontsize=8)
    for ax in list(axes.flat)[len(names):]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=7)
    fig.suptitle("Posterior marginals (x-axis: the prior's range)")
    fig.tight_layout()
    return fig


def pairs_figure(posterior: pd.DataFrame, free: dict[str, tuple[float, float]]) -> Figure:
    """Pairwise scatter of the posterior particles (area by weight), for correlations the
    marginals hide; at most the first six free parameters."""
    names = list(free)[:6]
    n = len(names)
    fig, axes = plt.subplots(n, n, figsize=(2.0 * n + 1, 2.0 * n + 1), squeeze=False)
    sizes = 60 * posterior["weight"] / posterior["weight"].max()
    for i, y in enumerate(names):
        for j, x in enumerate(names):
            ax = axes[i, j]
            if i == j:
                ax.hist(posterior[x], bins=15, weights=posterior["weight"], color="tab:blue")
            else:
                ax.scatter(posterior[x], posterior[y], s=sizes, alpha=0.5, color="tab:blue")
                ax.set_ylim(*free[y])
            ax.set_xlim(*free[x])
            ax.tick_params(labelsize=6)
            if i == n - 1:
                ax.set_xlabel(x, fontsize=7)
            if j == 0:
                ax.set_ylabel(y, fontsize=7)
    fig.suptitle("Posterior pairs (point area: weight)")
    fig.tight_layout()
    return fig


def progress_figure(diagnostics: pd.DataFrame) -> Figure:
    """Tolerance, acceptance of new particles and effective sample size by generation."""
    fig, axes = plt.subplots(1, 3, figsize=(10, 3))
    for ax, column, label in zip(axes, ("epsilon", "acceptance", "ess"),
                                 ("tolerance (kept distance, max)", "new particles within the last tolerance",
                                  "effective sample size")):
        ax.plot(diagnostics["generation"], diagnostics[column], marker="o")
        ax.set_xlabel("generation")
        ax.set_title(label, fontsize=9)
        ax.set_xticks(diagnostics["generation"])
    fig.tight_layout()
    return fig


def calibration_figures(folder: Path) -> list[Path]:
    """Draw the three figures of a finished calibration into `folder/figures/`."""
    posterior = pd.read_parquet(folder / "posterior.parquet")
    free = _free(folder)
    truth = read_json(folder / "manifest.json")["spec"].get("truth") or {}
    out = folder / "figures"
    written = save_figure(marginals_figure(posterior, free, truth), out / "posterior_marginals")
    written += save_figure(pairs_figure(posterior, free), out / "posterior_pairs")
    written += save_figure(progress_figure(pd.read_csv(folder / "diagnostics.csv")), out / "generations")
    return written
