"""The size of a job, checked before any work: its time and the memory its tables take.

A job is estimated as run-quarters (runs x simulated quarters). The tasks that keep their
tables in memory (`run`, `score`, `validate`) are also estimated in bytes of the long
time-series table (run-quarters x rows per quarter x bytes per row); `compare` keeps only
the institutions' series as arrays (`VIEW_BYTES` per run-quarter). A job above either cap
is refused in one line stating the estimate, unless `allow_large=true`. The estimate
reads what each task runs, so it lives beside the tasks (`sim.limits` keeps the limits
on a scenario's inputs, which the scenarios check and which know no task).

How the constants were measured (the history scenario, 72 quarters, 20 seeds, one core,
`sim.runs.ensemble.run_seeds`; see `measure()`): 0.11-0.25 ms per run-quarter; 582 rows of
`timeseries` per run and quarter at 42 bytes a row (`DataFrame.memory_usage(deep=True)`),
plus the decisions table (about 1.3 rows of 194 bytes per run-quarter, i.e. under one
byte per time-series row). Rows per quarter grow with the cast (about states squared).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sim.core.params import Params
from sim.errors import InputError
from sim.scenarios.schema import Scenario

SECONDS_PER_RUN_QUARTER = 0.00005  # measured 0.03-0.05 ms, one core (the engine, tables included)
ROWS_PER_QUARTER = 582             # time-series rows per run and quarter, history cast
BYTES_PER_ROW = 43                 # 42 B per time-series row + the decisions table
VIEW_BYTES = 400                   # compare: 2 institutions x 12 metrics x 8 B, twice (batches, then joined)
MAX_BYTES = 4e9                    # in-memory tables: about 4 GB
MAX_SECONDS = 2 * 3600             # estimated single-core time: 2 hours
IN_MEMORY_TASKS = ("run", "score", "validate")


@dataclass
class Estimate:
    """The size of a job: the field that sets it, its value and the run-quarters."""

    field: str
    value: Any
    run_quarters: int
    in_memory: int  # run-quarters whose tables are held in memory at once
    bytes_per_run_quarter: float = ROWS_PER_QUARTER * BYTES_PER_ROW

    @property
    def seconds(self) -> float:
        """Estimated single-core time."""
        return self.run_quarters * SECONDS_PER_RUN_QUARTER

    @property
    def bytes(self) -> float:
        """Estimated size of the tables held in memory."""
        return self.in_memory * self.bytes_per_run_quarter

    def too_large(self) -> bool:
        """True when the job exceeds the time or memory cap."""
        return self.seconds > MAX_SECONDS or self.bytes > MAX_BYTES

    def text(self) -> str:
        """The estimate and the caps, in words."""
        return (f"a job within {MAX_BYTES / 1e9:.0f} GB of tables in memory and {MAX_SECONDS / 3600:.0f} h "
                f"(this one: {self.run_quarters:,} run-quarters, about {self.bytes / 1e9:,.1f} GB and "
                f"{self.seconds / 3600:,.1f} h), or allow_large=true to run it anyway")


def seed_count(value: Any) -> int:
    """How many seeds `seeds` asks for (an ensemble size or a list), without building them."""
    if isinstance(value, int) and not isinstance(value, bool):
        return max(value, 0)
    try:
        return len(value)
    except TypeError:
        return 0


def estimate(cfg: Any, quarters: int, sweep_runs: int = 0) -> Estimate:
    """The size of the job `cfg` asks for, on a scenario of `quarters` quarters
    (`sweep_runs`: the plan size of a sweep, sensitivity analysis or calibration)."""
    task = cfg.task
    if task in ("sweep", "sensitivity"):
        name = "sweep" if task == "sweep" else "sensitivity.samples"
        value = cfg.sweep.name if task == "sweep" else cfg.sensitivity.samples
        return Estimate(name, value, sweep_runs * quarters, 0)
    if task == "calibrate":
        return Estimate("calibrate.particles", cfg.calibrate.particles, sweep_runs * quarters, 0)
    if task == "validate":
        return _validate_estimate(cfg.validate, quarters, sweep_runs)
    scenarios = len(cfg.scenarios) if task == "compare" else 1
    draws = cfg.posterior_draws if cfg.get("posterior") else 1
    runs = seed_count(cfg.seeds) * scenarios * draws
    if task == "compare":
        return Estimate("seeds", cfg.seeds, runs * quarters, runs * quarters, VIEW_BYTES)
    held = runs if task in IN_MEMORY_TASKS else 0
    return Estimate("seeds", cfg.seeds, runs * quarters, held * quarters)


def _validate_estimate(options: Any, quarters: int, split_runs: int = 0) -> Estimate:
    """`task=validate`: the history, its twins and the quiet future on `validate.seeds`, held
    in memory together, plus the references, the robustness and data ensembles and the
    time split's calibrations (`split_runs`; not the ablation)."""
    from sim.analysis.validation import DERIVED_TWINS, LOADED_TWINS  # pandas and the checks: only when a validation is sized
    scenarios = 1 + len(LOADED_TWINS) + len(DERIVED_TWINS)
    held = options.seeds * (scenarios + 1)
    extra = scenarios * options.seeds_per_point * (options.points * options.robustness + options.data_points)
    extra += scenarios * (options.prior_draws * options.reference_seeds + 2 * options.null_runs) * options.references
    return Estimate("validate.seeds", options.seeds, (held + extra + split_runs) * quarters, held * quarters)


def check_size(cfg: Any, quarters: int, sweep_runs: int = 0) -> Estimate:
    """Refuse, in one line, a job above the caps unless `allow_large=true`."""
    size = estimate(cfg, quarters, sweep_runs)
    if size.too_large() and not cfg.allow_large:
        raise InputError("config", size.field, size.value, size.text())
    return size


def measure(scenario: Scenario, params: Params, seeds: Iterable[int] = range(20)) -> dict[str, float]:
    """Re-measure the constants above on a scenario (run by hand, not in tests):
    `measure(resolve(compose([])).scenario, Params())` for the history."""
    from sim.runs.ensemble import run_seeds  # the engine and pandas: only when measuring
    seeds = list(seeds)
    start = time.perf_counter()
    series, decisions = run_seeds(scenario, params, seeds)
    run_quarters = len(seeds) * scenario.n_steps
    return {"seconds_per_run_quarter": (time.perf_counter() - start) / run_quarters,
            "rows_per_quarter": len(series) / run_quarters,
            "bytes_per_row": (series.memory_usage(deep=True).sum()
                              + decisions.memory_usage(deep=True).sum()) / len(series)}
