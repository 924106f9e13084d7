"""Scenario comparison: paired differences over seeds with bootstrap 95% intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.ensemble_view import EnsembleView
from sim.plots import PALETTE, ensemble_band, new_figure


def bootstrap_interval(values: np.ndarray, resamples: int, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap 95% interval of the mean (fixed generator: reproducible)."""
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, values.size, size=(resamples, values.size))
    means = values[draws].mean(axis=1)
    low, high = np.quantile(means, [0.025, 0.975])
    return float(low), float(high)


def differences(reference: str, views: dict[str, EnsembleView], institutions: list[str],
                dates: list[str], metrics: list[str], resamples: int) -> pd.DataFrame:
    """Each scenario minus the reference, per institution, metric and date, paired by seed."""
    rows = []
    base = views[reference]
    for name, view in views.items():
        if name == reference:
            continue
        for inst in institutions:
            for metric in metrics:
                for date in dates:
                    diff = view.at(inst, metric, date) - base.at(inst, metric, date)
                    low, high = bootstrap_interval(diff, resamples)
                    rows.append({"scenario": name, "reference": reference, "institution": inst,
                                 "metric": metric, "date": date, "difference": float(diff.mean()),
                                 "ci_low": low, "ci_high": high, "runs": diff.size,
                                 "share_positive": float(np.mean(diff > 0))})
    return pd.DataFrame(rows)


def comparison_figure(series: dict[str, pd.DataFrame], table: pd.DataFrame,
                      institutions: list[str]) -> Figure:
    """Top: cohesion of each scenario (median, 90% band); bottom: cohesion differences with 95% CIs."""
    fig, axes = new_figure(2, len(institutions), size=(5.0 * len(institutions), 7.0), sharex="row")
    for col, inst in enumerate(institutions):
        top, bottom = axes[0][col], axes[1][col]
        for colour, (name, frame) in zip(PALETTE, series.items()):
            band = ensemble_band(frame, inst, "cohesion")
            band = band[band["median"] > 0]
            top.fill_between(band.index, band["low"], band["high"], color=colour, alpha=0.2, linewidth=0)
            top.plot(band.index, band["median"], color=colour, label=name)
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
        bottom.set_ylabel(f"Cohesion difference vs {rows['reference'].iloc[0] if len(rows) else ''}")
        bottom.legend(fontsize="small")
    return fig
