"""Out-of-sample validation by time: calibrate on one period's targets, predict the other's.

Each target of `sim.analysis.validation` says when the events it reads happened (`Target.period`):
"early" (2001-2010) or "late" (2011-2018); targets spanning both sit on neither side.
`time_split` calibrates on the early targets alone and predicts the late ones, then the
reverse. A prediction is the share of runs meeting each held-out target, with parameters
drawn from the posterior and, for contrast, from the prior: a posterior that predicts no
better than its prior has learned nothing that carries across the split.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.calibration import CalibrationSpec, calibrate, posterior_draws
from sim.core.params import Params
from sim.scenarios.schema import Scenario
from sim.analysis.validation import REQUIRED_SHARE, TARGETS, run_pair_views

PERIODS = ("early", "late")


def period_targets(period: str) -> tuple[int, ...]:
    """The numbers of the targets whose events fall in `period`."""
    return tuple(t.number for t in TARGETS if t.period == period)


def prior_draws(spec: CalibrationSpec, base: Params, count: int) -> list[Params]:
    """`count` parameter sets drawn from the calibration's uniform prior (deterministic)."""
    rng = np.random.default_rng([spec.seed, 7])
    return [replace(base, **{name: float(rng.uniform(*spec.free[name])) for name in spec.names})
            for _ in range(count)]


def predicted_shares(scenarios: dict[str, Scenario], draws: list[Params], seeds: list[int],
                     targets: tuple[int, ...]) -> pd.DataFrame:
    """Per target: the share of (draw, seed) runs meeting it and the share of draws in
    which at least REQUIRED_SHARE of the seeds do."""
    chosen = [t for t in TARGETS if t.number in targets]
    needed = list(dict.fromkeys(name for t in chosen for name in t.scenarios()))
    runs = [(params, seed) for params in draws for seed in seeds]
    views = run_pair_views({name: scenarios[name] for name in needed}, runs, draws[0])
    rows = []
    for target in chosen:
        ok, _ = target.check(views)
        per_draw = ok.reshape(len(draws), len(seeds)).mean(axis=1)
        rows.append({"target": target.number, "name": target.name, "share_of_runs": float(ok.mean()),
                     "share_of_draws_passing": float(np.mean(per_draw >= REQUIRED_SHARE))})
    return pd.DataFrame(rows)


def time_split(spec: CalibrationSpec, scenarios: dict[str, Scenario], base: Params, folder: Path,
               draws: int, seeds: list[int], progress: bool = False) -> pd.DataFrame:
    """Calibrate on each period's targets (into `folder/fit_<period>`, resumable) and
    predict the other period's from `draws` posterior and `draws` prior parameter sets on
    `seeds`; one row per (fitted period, predicted target, source of the draws). Each fit
    uses the spec's statistics (`checks`, or `shares` when the spec's need a simulated
    observation)."""
    tables = []
    for fit, predict in (PERIODS, PERIODS[::-1]):
        fitted = replace(spec, name=f"{spec.name}_fit_{fit}", targets=period_targets(fit), observed="article",
                         statistics="checks" if spec.statistics == "checks" else "shares", truth={})
        calibrate(fitted, scenarios, base, folder / f"fit_{fit}", progress=progress)
        sources = {"posterior": posterior_draws(folder / f"fit_{fit}", base, draws, seed=spec.seed),
                   "prior": prior_draws(spec, base, draws)}
        for source, params in sources.items():
            table = predicted_shares(scenarios, params, seeds, period_targets(predict))
            table.insert(0, "draws_from", source)
            table.insert(0, "predicted", predict)
            table.insert(0, "fitted_on", fit)
            tables.append(table)
    return pd.concat(tables, ignore_index=True)
