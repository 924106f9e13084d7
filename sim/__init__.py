"""Agent-based simulation of protective integration in the SCO and the CSTO.

Python API (for notebooks and other tools)::

    import sim
    cfg = sim.compose(["scenario=no_crimea", "seeds=10"])
    model = sim.build_model(cfg, seed=0); model.run_model()
    table = sim.run_ensemble(cfg, seeds=range(10))
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from omegaconf import DictConfig

from sim.app.config import compose, resolve
from sim.experiments.ensemble import run_seeds
from sim.model import ProtectiveIntegrationModel

__all__ = ["compose", "build_model", "run_ensemble", "ProtectiveIntegrationModel"]
__version__ = "0.1.0"


def build_model(cfg: DictConfig, seed: int) -> ProtectiveIntegrationModel:
    """A model for the composed config and one seed; call `run_model()` to run it."""
    spec = resolve(cfg)
    return ProtectiveIntegrationModel(spec.scenario, spec.params, seed=seed)


def run_ensemble(cfg: DictConfig, seeds: Iterable[int] | None = None) -> pd.DataFrame:
    """The long time-series table (as in timeseries.parquet) over the given seeds."""
    spec = resolve(cfg)
    series, _ = run_seeds(spec.scenario, spec.params, spec.seeds if seeds is None else seeds)
    return series
