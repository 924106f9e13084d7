"""Scenario comparison: paired differences over seeds with bootstrap 95% intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.ensemble_view import EnsembleView


def bootstrap_interval(values: np.ndarray, resamples: int, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap 95% interval of the mean (fixed generator: reproducible)."""
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, values.size, size=(resamples, values.size))
    means = values[draws].mean(axis=1)
    low, high = np.quantile(means, [0.025, 0.975])
    return float(low), float(high)


def paired_difference(diff: np.ndarray, resamples: int) -> dict[str, float]:
    """Mean, bootstrap interval, runs and share positive of per-seed differences.

    Seeds where either value is missing (an institution not yet founded) are left out; if
    every seed is, the difference is missing (NaN), not zero."""
    diff = diff[~np.isnan(diff)]
    if diff.size == 0:
        nan = float("nan")
        return {"difference": nan, "ci_low": nan, "ci_high": nan, "runs": 0, "share_positive": nan}
    low, high = bootstrap_interval(diff, resamples)
    return {"difference": float(diff.mean()), "ci_low": low, "ci_high": high, "runs": diff.size,
            "share_positive": float(np.mean(diff > 0))}


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
                    rows.append({"scenario": name, "reference": reference, "institution": inst,
                                 "metric": metric, "date": date, **paired_difference(diff, resamples)})
    return pd.DataFrame(rows)
