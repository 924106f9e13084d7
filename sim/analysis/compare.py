"""Scenario comparison: paired differences over seeds with bootstrap 95% intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.runs.ensemble_view import EnsembleView


def bootstrap_interval(values: np.ndarray, resamples: int, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap 95% interval of the mean, by `scipy.stats.bootstrap` with a
    generator seeded with `seed` (reproducible: the same values give the same interval).

    A single value has no spread to resample (SciPy refuses it): its interval is the value."""
    if values.size == 1:
        return float(values[0]), float(values[0])
    from scipy.stats import bootstrap  # SciPy's stats take ~1 s to import: loaded when needed

    result = bootstrap((values,), np.mean, n_resamples=resamples, confidence_level=0.95, method="percentile",
                       vectorized=True, rng=np.random.default_rng(seed))
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


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


def over_draws(diff: np.ndarray, draws: int) -> dict[str, float]:
    """A contrast over a posterior: runs are `draws` blocks of seeds (draw-major); the 90%
    interval of the per-draw mean difference and the share of draws whose mean has the
    sign of the overall mean (NaN where a draw has no value)."""
    per_draw = np.array([np.nanmean(block) if np.isfinite(block).any() else np.nan
                         for block in diff.reshape(draws, -1)])
    per_draw = per_draw[np.isfinite(per_draw)]
    if per_draw.size == 0:
        nan = float("nan")
        return {"posterior_low": nan, "posterior_high": nan, "draws_same_sign": nan}
    sign = np.sign(np.nanmean(diff))
    low, high = np.quantile(per_draw, [0.05, 0.95])
    return {"posterior_low": float(low), "posterior_high": float(high),
            "draws_same_sign": float(np.mean(np.sign(per_draw) == sign))}


def differences(reference: str, views: dict[str, EnsembleView], institutions: list[str],
                dates: list[str], metrics: list[str], resamples: int, draws: int = 0) -> pd.DataFrame:
    """Each scenario minus the reference, per institution, metric and date, paired by run
    (same seed, and same parameter draw when `draws` > 0: then also `over_draws`)."""
    rows = []
    base = views[reference]
    for name, view in views.items():
        if name == reference:
            continue
        for inst in institutions:
            for metric in metrics:
                for date in dates:
                    diff = view.at(inst, metric, date) - base.at(inst, metric, date)
                    row = {"scenario": name, "reference": reference, "institution": inst,
                           "metric": metric, "date": date, **paired_difference(diff, resamples)}
                    rows.append({**row, **over_draws(diff, draws)} if draws else row)
    return pd.DataFrame(rows)
