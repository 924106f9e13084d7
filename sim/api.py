"""The Python API's entry points for notebooks and other tools (re-exported by `sim`).

They live here, not in `sim/__init__.py`, so that importing a leaf module such as
`sim.errors` does not load the model, Hydra and pandas (`sim` loads this module on first use).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from omegaconf import DictConfig

from sim.app.config import resolve
from sim.runs.ensemble import run_seeds
from sim.model import ProtectiveIntegrationModel


def build_model(cfg: DictConfig, seed: int) -> ProtectiveIntegrationModel:
    """A model for the composed config and one seed; call `run_model()` to run it."""
    spec = resolve(_at_params(cfg))
    return ProtectiveIntegrationModel(spec.scenario, spec.params, seed=seed)


def run_ensemble(cfg: DictConfig, seeds: Iterable[int] | None = None) -> pd.DataFrame:
    """The long time-series table (as in timeseries.parquet) over the given seeds (default:
    the config's `seeds`, 20 when null), all at the config's `params`."""
    spec = resolve(_at_params(cfg))
    series, _ = run_seeds(spec.scenario, spec.params, spec.seeds if seeds is None else seeds)
    return series


def _at_params(cfg: DictConfig) -> DictConfig:
    """A copy of `cfg` without the command line's default posterior: these entry points run
    one parameter set (`params`), so their default ensemble is the seed-only one."""
    copy = cfg.copy()
    if copy.get("posterior") == "default":
        copy.posterior = "none"
    return copy
