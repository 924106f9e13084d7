"""Running a model over a seed ensemble and gathering its records."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from tqdm.auto import tqdm

from sim.model import ProtectiveIntegrationModel
from sim.params import Params
from sim.records import decisions_frame, timeseries_frame
from sim.scenario import Scenario


def run_one(scenario: Scenario, params: Params, seed: int) -> ProtectiveIntegrationModel:
    """Build and run one model to the end of its scenario."""
    model = ProtectiveIntegrationModel(scenario, params, seed=seed)
    model.run_model()
    return model


def run_seeds(scenario: Scenario, params: Params, seeds: Iterable[int],
              progress: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run every seed; return (timeseries, decisions) long tables, run = position in seeds."""
    seeds = list(seeds)
    series, decisions = [], []
    for run, seed in enumerate(tqdm(seeds, desc=f"{scenario.name}", unit="run", disable=not progress)):
        model = run_one(scenario, params, seed)
        series.append(timeseries_frame(model, run))
        decisions.append(decisions_frame(model, run))
        model.release()
    return _concat(series), _concat(decisions)


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frame = pd.concat(frames, ignore_index=True)
    for column in ("entity", "metric"):
        if column in frame:
            frame[column] = frame[column].astype("category")
    return frame
