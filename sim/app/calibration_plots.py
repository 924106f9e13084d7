"""Figures of a calibration folder: posterior marginals, pairs, and the sampler's progress."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.analysis.calibration import weighted_quantiles
from sim.app.plots import parameter_label, save_figure
from sim.io.store import read_json


#: Colours of the pairs figure's PNG (a palette keeps it well under 500 kB with every parameter).
PAIRS_COLOURS = 64


def _free(folder: Path) -> dict[str, tuple[float, float]]:
    """The free parameters and their prior bounds, from the folder's manifest."""
    return {name: tuple(bounds) for name, bounds in read_json(folder / "manifest.json")["spec"]["free"].items()}


def marginals_figure(posterior: pd.DataFrame, free: dict[str, tuple[float, float]],
                     truth: dict[str, float], base: dict[str, float] | None = None) -> Figure:
    """One panel per free parameter (named in words): the weighted posterior histogram over
    the whole prior range (the x-axis), its 90% interval shaded, the default the
    calibration started from (`base`, its params group's value) and the true value when known."""
    names = list(free)
    base = base or {}
    cols = min(4, len(names))
    rows = -(-len(names) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.6 * rows), squeeze=False)
    weights = posterior["weight"].to_numpy()
    for ax, name in zip(axes.flat, names):
        low, high = free[name]
        ax.hist(posterior[name], bins=np.linspace(low, high, 21), weights=weights / weights.sum(), color="tab:blue")
        q05, q95 = weighted_quantiles(posterior[name].to_numpy(), weights, (0.05, 0.95))
        ax.axvspan(q05, q95, color="tab:blue", alpha=0.15, label="90% interval")
        if name in base:
            ax.axvline(base[name], color="tab:orange", linestyle=":", linewidth=1.5, label="default when run")
        if name in truth:
            ax.axvline(truth[name], color="black", linestyle="--", label="true value")
        ax.set_xlim(low, high)
        ax.set_title(parameter_label(name), fontsize=9)
        ax.set_ylabel("posterior weight", fontsize=8)
    for ax in list(axes.flat)[len(names):]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=7)
    fig.suptitle("Posterior marginals (x-axis: the prior's range)")
    fig.tight_layout()
    return fig


def pairs_figure(posterior: pd.DataFrame, free: dict[str, tuple[float, float]]) -> Figure:
    """Pairwise scatter of the posterior particles (area by weight) for every free
    parameter, below the diagonal only (the upper half would repeat it), the weighted
    histogram on the diagonal: the correlations the marginals hide."""
    names = list(free)
    n = len(names)
    fig, axes = plt.subplots(n, n, figsize=(1.0 * n + 1, 1.0 * n + 1), squeeze=False)
    sizes = 12 * posterior["weight"] / posterior["weight"].max()
    for i, y in enumerate(names):
        for j, x in enumerate(names):
            ax = axes[i, j]
            if j > i:
                ax.set_visible(False)
                continue
            if i == j:
                ax.hist(posterior[x], bins=15, weights=posterior["weight"], color="tab:blue")
                ax.set_yticks([])
            else:
                ax.scatter(posterior[x], posterior[y], s=sizes, color="tab:blue", linewidths=0, rasterized=True)
                ax.set_ylim(*free[y])
            ax.set_xlim(*free[x])
            ax.tick_params(labelsize=5, labelbottom=i == n - 1, labelleft=j == 0 and i > 0)
            ax.locator_params(nbins=3)
            if i == n - 1:
                ax.set_xlabel(parameter_label(x), fontsize=6)
            if j == 0 and i > 0:
                ax.set_ylabel(parameter_label(y), fontsize=6)
    fig.suptitle(f"Posterior pairs of the {n} free parameters (point area: weight)")
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
    fig.suptitle("The sampler by generation")
    fig.tight_layout()
    return fig


def calibration_figures(folder: Path) -> list[Path]:
    """Draw the three figures of a finished calibration into `folder/figures/`."""
    posterior = pd.read_parquet(folder / "posterior.parquet")
    free = _free(folder)
    manifest = read_json(folder / "manifest.json")
    truth = manifest["spec"].get("truth") or {}
    base = {name: manifest["base_params"][name] for name in free if name in manifest.get("base_params", {})}
    out = folder / "figures"
    written = save_figure(marginals_figure(posterior, free, truth, base), out / "posterior_marginals")
    written += save_figure(pairs_figure(posterior, free), out / "posterior_pairs", colours=PAIRS_COLOURS)
    written += save_figure(progress_figure(pd.read_csv(folder / "diagnostics.csv")), out / "generations")
    return written
