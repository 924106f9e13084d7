"""Posterior predictive check: does a calibrated model reproduce every pattern at once?

A calibration reports where the parameters sit; it does not say whether the draws it keeps
make the model meet the article's patterns. `posterior_predictive` runs the history and its
twins at parameter draws (from a posterior, or any list) on a few seeds each and reports,
per draw, the share of its seeds meeting every evidence check of the validation together,
and the share of draws doing so in at least `REQUIRED_SHARE` of their seeds: the number
docs/CALIBRATION.md reports (goal: at least 0.8 of the draws).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.core.params import Params
from sim.analysis.validation import CHECKS, REQUIRED_SHARE, met_per_point, run_pair_views
from sim.scenarios.schema import Scenario


def predictive_table(scenarios: dict[str, Scenario], draws: Sequence[Params], seeds: Sequence[int],
                     checks: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per draw: `draw` (its position), `all_checks` (share of its seeds meeting
    every evidence check among `checks` at once), `every_check` (every check of `checks` at
    once, consistency checks included) and, per check, the share of its seeds meeting it
    (`check_<key>`). `checks` default to every evidence check."""
    runs = [(params, int(seed)) for params in draws for seed in seeds]
    keys = list(checks) if checks is not None else [c.key for c in CHECKS if c.evidence]
    met = met_per_point(run_pair_views(scenarios, runs, draws[0]), keys, len(draws), len(seeds))
    evidence = {c.key for c in CHECKS if c.evidence}
    joint = np.logical_and.reduce([m for key, m in met.items() if key in evidence])
    every = np.logical_and.reduce(list(met.values()))
    return pd.DataFrame({"draw": np.arange(len(draws)), "all_checks": joint.mean(axis=1),
                         "every_check": every.mean(axis=1),
                         **{f"check_{key}": m.mean(axis=1) for key, m in met.items()}})


def predictive_share(table: pd.DataFrame, column: str = "all_checks") -> float:
    """The share of draws whose seeds meet `column` (default: every evidence check at once)
    in at least REQUIRED_SHARE of runs."""
    return float((table[column] >= REQUIRED_SHARE).mean())
