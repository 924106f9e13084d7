"""Running a scenario over (parameters, seed) pairs and gathering its records.

Runs of one scenario are advanced together by the engine (`sim.core.engine.Engine`), at
most BATCH_SIZE at a time: one numpy call serves every run of a batch, and each run's
numbers are the same as if it ran alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import numpy as np
import pandas as pd

from sim.extras import progress_bar
from sim.core.engine import RunResult, run_engine
from sim.core.observables import GROUPS
from sim.runs.ensemble_view import EnsembleView
from sim.core.params import Params
from sim.io.records import decisions_table, timeseries_table
from sim.scenarios.schema import Scenario

#: The progress bar class (`sim.extras.progress_bar`: no widget warning in a notebook).
tqdm = progress_bar()
#: Runs advanced together at most: past a few dozen, a quarter's arrays outgrow the CPU
#: caches and a run gets no cheaper (benchmarks/bench.py).
BATCH_SIZE = 50


def iter_batches(scenario: Scenario, runs: Sequence[tuple[Params, int]], groups: Sequence[str] = GROUPS,
                 decisions: bool = True) -> Iterator[list[RunResult]]:
    """Run (parameters, seed) runs of one scenario BATCH_SIZE at a time together; yield the
    results (recording the given observable groups, and the decisions unless not asked)
    of each batch in order."""
    for start in range(0, len(runs), BATCH_SIZE):
        yield run_engine(scenario, runs[start:start + BATCH_SIZE], groups, decisions)


def run_batch(scenario: Scenario, runs: Sequence[tuple[Params, int]], groups: Sequence[str] = GROUPS,
              decisions: bool = True) -> list[RunResult]:
    """Run (parameters, seed) runs of one scenario, batched; their results in order."""
    return [result for results in iter_batches(scenario, runs, groups, decisions) for result in results]


def run_seeds(scenario: Scenario, params: Params, seeds: Iterable[int],
              progress: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run every seed; return (timeseries, decisions) long tables, run = position in seeds."""
    return run_pairs(scenario, [(params, seed) for seed in seeds], progress)


def run_pairs(scenario: Scenario, runs: Sequence[tuple[Params, int]],
              progress: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run (parameters, seed) pairs; return (timeseries, decisions) long tables, run =
    position in `runs`."""
    series, decisions, done = [], [], 0
    with tqdm(total=len(runs), desc=scenario.name, unit="run", disable=not progress) as bar:
        for results in iter_batches(scenario, runs):
            runs_here = range(done, done + len(results))
            series.append(timeseries_table(results, runs_here))
            decisions.append(decisions_table(results, runs_here))
            done += len(results)
            bar.update(len(results))
    return _concat(series), _concat(decisions)


def run_view(scenario: Scenario, runs: Sequence[tuple[Params, int]], progress: bool = False,
             groups: Sequence[str] = GROUPS, decisions: bool = True) -> EnsembleView:
    """Run (parameters, seed) pairs and return their view (run = position in `runs`),
    holding the observable groups given (default all) and the decisions unless not asked."""
    views = []
    with tqdm(total=len(runs), desc=scenario.name, unit="run", disable=not progress) as bar:
        for results in iter_batches(scenario, runs, groups, decisions):
            views.append(EnsembleView.from_models(results))
            bar.update(len(results))
    return EnsembleView.concat(views)


def variance_split(values: np.ndarray, draws: int) -> float:
    """The share of the variance of `values` (one per run, in `draws` equal blocks of seeds,
    draw-major as `RunSpec.runs` orders them) that comes from the parameters. By the law of
    total variance, the variance over all runs is the mean of the variances within the
    draws (the seeds') plus the variance of the draws' means (the parameters'); the share
    is the second over the whole. NaN when the values do not vary or one is missing."""
    total = float(np.var(values))
    if not np.isfinite(total) or total == 0.0:
        return float("nan")
    return float(np.var(values.reshape(draws, -1).mean(axis=1)) / total)


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frame = pd.concat(frames, ignore_index=True)
    for column in ("entity", "metric"):
        if column in frame:
            frame[column] = frame[column].astype("category")
    return frame
