"""Robustness ensembles of the validation targets, parallel and resumable.

The robustness checks of `task=validate` evaluate the targets at many points: parameter
sets of a Latin hypercube (`robustness`), the same with a mechanism switched off
(`ablation.robustness_needs`), or perturbed data casts (`ablation.data_ensemble`).
Each point is one task for an executor (`sim.runs.executors`), so points run on the
serial, local-process or Dask backend with the same numbers; a finished point can be kept
in a folder under a key that hashes everything its numbers depend on (its parameters,
seeds and scenarios, and the code version), so an interrupted validation resumes where it
stopped and a repeated one reuses what it already has.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from sim.extras import progress_bar
from sim.core.params import BEHAVIOURAL, Params, spread_bounds
from sim.runs.executors import executor
from sim.runs.sampling import latin_hypercube
from sim.runs.ensemble import run_view
from sim.analysis.validation import (CHECKS, REQUIRED_SHARE, TARGETS, check_outcomes, check_shares, evaluate,
                                        quiet_future, quiet_shares, run_views, target_shares)
from sim.io.store import fingerprint, folder_lock, read_json, source_digest, write_json
from sim.version import __version__
from sim.scenarios.schema import Scenario


#: The progress bar class (`sim.extras.progress_bar`: no widget warning in a notebook).
tqdm = progress_bar()
@dataclass(frozen=True)
class PointTask:
    """One point: the targets on `scenarios` (the history and its twins) with `params`,
    over `seeds`; with `quiet` (the quiet-future scenario and the last date of the
    history) also the stability check; `key` names its kept result."""

    number: int
    key: str
    scenarios: dict[str, Scenario]
    params: Params
    seeds: tuple[int, ...]
    quiet: tuple[Scenario, str] | None = None


def evaluate_point(task: PointTask) -> tuple[int, dict[str, float]]:
    """The share of the point's seeds meeting each target (`target_<n>`) and each check
    (`check_<key>`) and, with `task.quiet`, the smaller share of the quiet-future check
    (`quiet_future`)."""
    seeds = list(task.seeds)
    outcomes = check_outcomes(run_views(task.scenarios, task.params, seeds))
    shares = {**target_shares(evaluate(outcomes)),
              **{f"check_{key}": share for key, share in check_shares(outcomes).items()}}
    if task.quiet is not None:
        scenario, history_end = task.quiet
        view = run_view(scenario, [(task.params, seed) for seed in seeds])
        shares["quiet_future"] = float(quiet_shares(quiet_future(view, history_end)).min())
    return task.number, shares


@dataclass(frozen=True)
class PointRunner:
    """Where points run (`backend`, `workers`, `scheduler`, as for a sweep) and the folder
    that keeps finished ones (None: nothing is kept)."""

    backend: str = "serial"
    workers: int = 1
    scheduler: str | None = None
    folder: Path | None = None
    progress: bool = False

    @cached_property
    def version(self) -> str:
        """The code version the keys carry (`_version`), read once per runner."""
        return _version()

    def tasks(self, points: Sequence[tuple[dict[str, Scenario], Params]], seeds: Sequence[int],
              quiet: tuple[Scenario, str] | None = None) -> list[PointTask]:
        """One task per (scenarios, parameters) point, keyed by its content (`quiet`: add
        the quiet-future check to every point)."""
        prints: dict[int, str] = {}
        extra = "" if quiet is None else json.dumps([fingerprint(quiet[0]), quiet[1]], sort_keys=True, default=str)
        tasks = []
        for number, (scenarios, params) in enumerate(points):
            if id(scenarios) not in prints:
                prints[id(scenarios)] = json.dumps({n: fingerprint(s) for n, s in scenarios.items()},
                                                   sort_keys=True, default=str)
            text = json.dumps({"params": asdict(params), "seeds": list(seeds), "code": self.version}, sort_keys=True)
            key = hashlib.sha256((text + prints[id(scenarios)] + extra).encode()).hexdigest()[:24]
            tasks.append(PointTask(number, key, scenarios, params, tuple(seeds), quiet))
        return tasks

    def run(self, tasks: Sequence[PointTask], desc: str) -> list[dict[str, float]]:
        """Every task's target shares, in task order: kept points are read, the others run on
        the executor and are kept as they finish."""
        reuse = self.folder is not None
        done = {task.number: kept for task in tasks if reuse and (kept := self._kept(task)) is not None}
        todo = [task for task in tasks if task.number not in done]
        keys = {task.number: task.key for task in tasks}
        lock = folder_lock(self.folder, "points") if self.folder is not None else nullcontext()
        with lock, tqdm(total=len(tasks), initial=len(done), desc=desc, unit="point",
                        disable=not self.progress) as bar:
            if todo:
                with executor(self.backend, self.workers, self.scheduler) as pool:
                    for number, shares in pool.completed(evaluate_point, todo):
                        done[number] = shares
                        if self.folder is not None:
                            write_json({"key": keys[number], "shares": shares}, self.folder / f"{keys[number]}.json")
                        bar.update()
        return [done[task.number] for task in tasks]

    def _kept(self, task: PointTask) -> dict[str, float] | None:
        kept = read_json(self.folder / f"{task.key}.json")
        return kept["shares"] if isinstance(kept, dict) and kept.get("key") == task.key else None


def _version() -> str:
    """The code version a kept point must match: the package version and the digest of its
    source (`store.source_digest`), so a point is reused only by the very code that
    computed it, committed or not."""
    return f"{__version__}:{source_digest()}"


#: What an ensemble is centred on: one parameter set (the default point), or several (posterior
#: draws), point i of the ensemble around centre i (cycling when there are fewer centres).
Centres = Params | Sequence[Params]


def cycled(centres: Centres, count: int) -> list[Params]:
    """The centre of each of `count` points or runs: point i at centre i, cycling."""
    listed = [centres] if isinstance(centres, Params) else list(centres)
    if not listed:
        raise ValueError("an ensemble needs at least one centre")
    return [listed[number % len(listed)] for number in range(count)]


def perturbed_params(centres: Centres, points: int, spread: float, seed: int = 0,
                     fixed: Mapping[str, float] | None = None) -> list[Params]:
    """Latin-hypercube perturbations of every behavioural parameter by +-`spread`.

    Point i scales each value of centre i (`Centres`) by a factor in [1 - spread,
    1 + spread] and clips it to the parameter's documented range (integers are rounded);
    the factors are the same whatever the centres. The parameters in `fixed` keep the given
    values at every point (a switched-off mechanism stays off); the others take the same
    values as without them, so the points pair with the unfixed design.
    """
    names = list(BEHAVIOURAL)
    unit_points = latin_hypercube([(0.0, 1.0)] * len(names), points, seed)
    result = []
    for base, row in zip(cycled(centres, points), unit_points):
        values = dict(base.__dict__)
        for name, u in zip(names, row):
            values[name] = float(np.clip(getattr(base, name) * (1.0 - spread + 2.0 * spread * u),
                                         *spread_bounds(base, name, spread)))
        result.append(Params(**{**values, **(fixed or {})}))
    return result


def robustness(scenarios: dict[str, Scenario], params: Centres, points: int, seeds_per_point: int, spread: float,
               progress: bool = False, runner: PointRunner | None = None,
               fixed: Mapping[str, float] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Share of (point, seed) runs meeting each target over a Latin hypercube of parameters.

    Returns the per-target summary and the per-point table (parameter values and the
    share of that point's seeds meeting each target), for finding sensitive parameters.
    The points are centred on `params` (one point or posterior draws, `perturbed_params`)
    and run on `runner` (default: in this process, nothing kept); the parameters in
    `fixed` are held at the given values.
    """
    runner = runner or PointRunner(progress=progress)
    design = perturbed_params(params, points, spread, fixed=fixed)
    shares = runner.run(runner.tasks([(scenarios, point) for point in design], range(seeds_per_point)),
                        "robustness")
    per_point = pd.DataFrame([{"point": number, **{n: getattr(point, n) for n in BEHAVIOURAL}, **met}
                              for number, (point, met) in enumerate(zip(design, shares))])
    summary = summarise_points(per_point)
    summary.attrs["parameters"] = list(BEHAVIOURAL)
    return summary, per_point


def summarise_points(per_point: pd.DataFrame) -> pd.DataFrame:
    """Per target, over a table of points (`target_<n>` columns from `target_shares`): the
    share of (point, seed) runs meeting it and the share of points where at least
    REQUIRED_SHARE of the seeds do."""
    return pd.DataFrame([{"target": t.number, "name": t.name,
                          "share": float(per_point[f"target_{t.number}"].mean()),
                          "points_meeting_90pct": float((per_point[f"target_{t.number}"] >= REQUIRED_SHARE).mean())}
                         for t in TARGETS])


def summarise_checks(per_point: pd.DataFrame) -> pd.DataFrame:
    """Per check, over a table of points (`check_<key>` columns from `evaluate_point`): the
    share of (point, seed) runs meeting it."""
    return pd.DataFrame([{"check": c.key, "share": float(per_point[f"check_{c.key}"].mean())}
                         for c in CHECKS if f"check_{c.key}" in per_point])
