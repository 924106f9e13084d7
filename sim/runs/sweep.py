"""The experiment engine: parameter sweeps over seeds, in chunks, on any backend, resumable.

A sweep is a plan of runs (scenario x design point x seed) cut into chunks. Each chunk
runs in one task (in-process, a local process pool, or a Dask cluster), which writes the
chunk's tidy table atomically as one Parquet part. A manifest records the sweep's
spec and its hash; re-running the same command after an interruption (even SIGKILL) runs
only the chunks whose part is missing or fails its recorded size and SHA-256, a different
spec in the same folder is refused, and one sweep at a time may write to a folder (an
exclusive lock held for the sweep's whole life). Results depend only on (scenario,
parameters, seed), never on the backend, the worker count or the order chunks finish in.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Optional

import numpy as np
import pandas as pd
from tqdm.contrib.logging import logging_redirect_tqdm

from sim.extras import progress_bar
from sim.checks import allowed, choices, is_finite_number
from sim.core.observables import groups_for
from sim.runs.ensemble import BATCH_SIZE, run_batch
from sim.errors import InputError
from sim.runs.executors import BACKENDS, SCHEDULER_ADDRESS, Backend, Executor, executor
from sim.core.params import PARAM_NAMES, Params
from sim.runs.gate import checked
from sim.io.outdir import check_folder_name, refuse_links
from sim.io.records import selected_frame
from sim.scenarios.schema import Scenario
from sim.io.store import file_digest, write_parquet
from sim.io.sweep_store import PartRecord, SweepStore
from sim.runs.sampling import latin_hypercube
from sim.extras import require_dask

#: The progress bar class (`sim.extras.progress_bar`: no widget warning in a notebook).
tqdm = progress_bar()
log = logging.getLogger(__name__)
DESIGNS = ("grid", "random", "lhs", "sobol", "morris", "points")
RUN_KEYS = ("name", "scenarios", "design", "parameters", "samples", "seeds_per_point", "metrics", "seed")
Design = choices("Design", DESIGNS, __name__, "How a sweep draws its design points (`sweep.design`).")
#: What `sweep.samples` and `sweep.seeds_per_point` allow.
AT_LEAST_ONE = "an integer >= 1"
#: What `sweep.chunk_size` allows.
CHUNK_SIZES = "an integer >= 1, or 0 (automatic)"
#: What `sweep.workers` (and `calibrate.workers`) allow.
WORKER_COUNTS = "an integer >= 0 (0: all cores)"
#: What `sweep.seed` allows.
SAMPLER_SEEDS = "an integer >= 0"
#: What `sweep.scheduler` (and `calibrate.scheduler`) allow.
SCHEDULERS = "a Dask scheduler address [PROTOCOL://]HOST:PORT (e.g. tcp://10.0.0.5:8786), or null"


@dataclass
class SweepConfig:
    """Schema of the `sweep/` config group (registered with Hydra, so a key it lacks, a
    value of the wrong type or an unknown design or backend is refused as the config is
    composed); `parse_spec` checks the rest and resolves it into a `SweepSpec`."""

    name: str = "sweep"
    scenarios: list[str] = field(default_factory=lambda: ["history"])
    design: Design = Design.grid
    parameters: dict[str, Any] = field(default_factory=dict)
    samples: int = field(default=1, metadata=allowed(AT_LEAST_ONE))
    seeds_per_point: int = field(default=1, metadata=allowed(AT_LEAST_ONE))
    metrics: list[str] = field(default_factory=lambda: ["cohesion", "trust", "congruence", "engagement"])
    chunk_size: int = field(default=0, metadata=allowed(CHUNK_SIZES))
    seed: int = field(default=0, metadata=allowed(SAMPLER_SEEDS))
    backend: Backend = Backend.local
    workers: int = field(default=0, metadata=allowed(WORKER_COUNTS))
    scheduler: Optional[str] = field(default=None, metadata=allowed(SCHEDULERS))
    dir: Optional[str] = None


#: The keys of a sweep config.
SPEC_KEYS = tuple(f.name for f in fields(SweepConfig))


@dataclass
class SweepSpec:
    """A validated sweep description (the `sweep/` config group)."""

    name: str
    scenarios: list[str]
    design: str
    parameters: dict[str, dict[str, Any]]
    samples: int
    seeds_per_point: int
    metrics: list[str]
    chunk_size: int
    seed: int
    backend: str
    workers: int
    scheduler: str | None
    dir: str | None

    def identity(self) -> dict[str, Any]:
        """The fields that define the results (not how or where they are computed)."""
        return {k: v for k, v in asdict(self).items() if k in RUN_KEYS}


def parse_spec(raw: Mapping[str, Any], source: str = "sweep") -> SweepSpec:
    """Validate a sweep mapping (one line per mistake, like every other input); a key it
    lacks takes its `SweepConfig` default."""
    for key in raw:
        if key not in SPEC_KEYS:
            raise InputError(source, f"sweep.{key}", raw[key], f"the keys {', '.join(SPEC_KEYS)}")
    defaults = asdict(SweepConfig())
    given = {**defaults, **raw}
    design = given["design"]
    if design not in DESIGNS:
        raise InputError(source, "sweep.design", design, ", ".join(DESIGNS))
    backend = given["backend"]
    if backend not in BACKENDS:
        raise InputError(source, "sweep.backend", backend, ", ".join(BACKENDS))
    if backend == "dask":
        require_dask(source, "sweep.backend")
    known = {f.name: f for f in fields(Params)}
    parameters = dict(given["parameters"] or {})
    for name, values in parameters.items():
        if name not in known:
            raise InputError(source, f"sweep.parameters.{name}", values, f"a parameter ({', '.join(known)})")
        _check_parameter(source, name, dict(values or {}), design, known[name].metadata["range"])
    for name in ("samples", "seeds_per_point"):
        value = given[name]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InputError(source, f"sweep.{name}", value, AT_LEAST_ONE)
    chunk_size = given["chunk_size"]
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 0:
        raise InputError(source, "sweep.chunk_size", chunk_size, CHUNK_SIZES)
    workers = given["workers"]
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 0:
        raise InputError(source, "sweep.workers", workers, WORKER_COUNTS)
    seed = given["seed"]
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError(source, "sweep.seed", seed, SAMPLER_SEEDS)
    scheduler = given["scheduler"]
    if scheduler is not None and not SCHEDULER_ADDRESS.match(str(scheduler)):
        raise InputError(source, "sweep.scheduler", scheduler, SCHEDULERS)
    name = check_folder_name(source, "sweep.name", given["name"])
    return SweepSpec(name=name, scenarios=list(given["scenarios"] or defaults["scenarios"]),
                     design=str(design), parameters={k: dict(v) for k, v in parameters.items()},
                     samples=int(given["samples"]), seeds_per_point=int(given["seeds_per_point"]),
                     metrics=list(given["metrics"] or defaults["metrics"]), chunk_size=chunk_size, seed=seed,
                     backend=str(backend), workers=workers or (os.cpu_count() or 1),
                     scheduler=scheduler, dir=given["dir"])


def _check_parameter(source: str, name: str, values: dict[str, Any], design: str,
                     allowed: tuple[float, float]) -> None:
    where = f"sweep.parameters.{name}"
    low, high = allowed
    if design in ("grid", "points"):
        grid = values.get("values")
        if not isinstance(grid, list) or not grid:
            raise InputError(source, f"{where}.values", grid, "a non-empty list of values")
        for value in grid:
            if not is_finite_number(value) or not low <= value <= high:
                raise InputError(source, f"{where}.values", value, f"numbers in [{low}, {high}]")
        return
    bounds = (values.get("low"), values.get("high"))
    for label, value in zip(("low", "high"), bounds):
        if not is_finite_number(value) or not low <= value <= high:
            raise InputError(source, f"{where}.{label}", value, f"a number in [{low}, {high}]")
    if not bounds[0] < bounds[1]:
        raise InputError(source, f"{where}.high", bounds[1], f"a number above low ({bounds[0]})")


def problem(spec: SweepSpec) -> dict[str, Any]:
    """The SALib problem definition of the sampled parameters."""
    names = list(spec.parameters)
    return {"num_vars": len(names), "names": names,
            "bounds": [[spec.parameters[n]["low"], spec.parameters[n]["high"]] for n in names]}


def design_points(spec: SweepSpec) -> np.ndarray:
    """The parameter values of every design point, shape (points, parameters)."""
    names = list(spec.parameters)
    if spec.design in ("grid", "points"):
        if not names:
            return np.zeros((1, 0))
        axes = [spec.parameters[n]["values"] for n in names]
        return np.array(np.meshgrid(*axes, indexing="ij")).reshape(len(names), -1).T.astype(float)
    from SALib.sample import morris, sobol
    prob = problem(spec)
    if spec.design == "random":
        unit = np.random.default_rng(spec.seed).random((spec.samples, len(names)))
        bounds = np.array(prob["bounds"])
        return bounds[:, 0] + unit * (bounds[:, 1] - bounds[:, 0])
    if spec.design == "lhs":
        return latin_hypercube(prob["bounds"], spec.samples, spec.seed)
    if spec.design == "sobol":
        return sobol.sample(prob, spec.samples, calc_second_order=False, seed=spec.seed)
    return morris.sample(prob, spec.samples, num_levels=4, seed=spec.seed)


def point_count(design: str, samples: int, parameters: Mapping[str, Mapping[str, Any]]) -> int:
    """How many design points `design_points` draws, computed without drawing them."""
    if design in ("grid", "points"):
        return int(np.prod([len(p["values"]) for p in parameters.values()], dtype=object))
    extra = {"sobol": len(parameters) + 2, "morris": len(parameters) + 1}
    return samples * extra.get(design, 1)


def run_count(spec: SweepSpec) -> int:
    """How many runs the sweep's plan holds (scenarios x design points x seeds per point)."""
    return len(spec.scenarios) * point_count(spec.design, spec.samples, spec.parameters) * spec.seeds_per_point


def plan(spec: SweepSpec, points: np.ndarray | None = None,
         draws: list[dict[str, float]] | None = None) -> pd.DataFrame:
    """Every run: id, chunk, scenario, design point, seed and parameter values; with
    posterior `draws`, every point runs each draw on every seed (a `draw` column, and the
    draw's values of the parameters the design does not sweep)."""
    points = design_points(spec) if points is None else points
    names = list(spec.parameters)
    rows = []
    for scenario in spec.scenarios:
        for point, values in enumerate(points):
            swept = {n: float(v) for n, v in zip(names, values)}
            for draw, drawn in enumerate(draws or [{}]):
                fixed = {"draw": draw, **{n: v for n, v in drawn.items() if n not in swept}} if draws else {}
                for seed in range(spec.seeds_per_point):
                    rows.append({"scenario": scenario, "point": point, **fixed, "seed": seed, **swept})
    table = pd.DataFrame(rows)
    table.insert(0, "run", np.arange(len(table), dtype=np.int64))
    table.insert(1, "chunk", table["run"] // (spec.chunk_size or auto_chunk_size(len(table), spec.workers)))
    return table


def auto_chunk_size(runs: int, workers: int) -> int:
    """About four chunks per worker, so workers finish together, and at most one batch
    (BATCH_SIZE runs) per chunk, so the parts stay small."""
    return max(1, min(BATCH_SIZE, -(-runs // (4 * workers))))


@dataclass
class ChunkTask:
    """What one worker needs to run one chunk."""

    chunk: int
    runs: list[dict[str, Any]]
    scenarios: dict[str, Scenario]
    base: dict[str, Any]
    metrics: list[str]
    part: str


def run_chunk(task: ChunkTask) -> tuple[int, pd.DataFrame]:
    """Run every run of a chunk (batched by scenario); return the chunk's long table."""
    names = [k for k in task.runs[0] if k not in ("run", "chunk", "scenario", "point", "draw", "seed")] if task.runs else []
    frames = []
    for scenario in dict.fromkeys(row["scenario"] for row in task.runs):
        rows = [row for row in task.runs if row["scenario"] == scenario]
        models = run_batch(task.scenarios[scenario], [(_params(task.base, row, names), int(row["seed"]))
                                                      for row in rows], groups_for(task.metrics), decisions=False)
        frame = selected_frame(models, [int(row["run"]) for row in rows], task.metrics)
        frame.insert(1, "scenario", scenario)
        frame.insert(2, "point", np.repeat([int(row["point"]) for row in rows], len(frame) // len(rows)))
        frames.append(frame)
    return task.chunk, pd.concat(frames, ignore_index=True)


def _params(base: dict[str, Any], row: dict[str, Any], names: list[str], source: str = "sweep") -> Params:
    """A run's parameters: the base values with the run's design-point values, through the
    parameter gate (`sim.runs.gate`)."""
    return checked(Params(**base), {name: _plain(row[name]) for name in names}, source)


def check_plan(runs: pd.DataFrame, base: Params, name: str) -> None:
    """Refuse, before anything is written, a plan with a parameter set the gate refuses
    (e.g. swept cohesion weights that no longer sum to 1), naming its design point (and
    posterior draw)."""
    names = [c for c in runs.columns if c in PARAM_NAMES]
    for row in runs.drop_duplicates(subset=names).to_dict("records"):
        where = f"sweep '{name}' design point {row['point']}" + (f" draw {row['draw']}" if "draw" in row else "")
        _params(asdict(base), row, names, where)


def _plain(value: Any) -> Any:
    """A NumPy scalar as the Python number it holds (what the parameter gate checks)."""
    return value.item() if isinstance(value, np.generic) else value


def run_parameters(runs: pd.DataFrame, base: Params) -> pd.DataFrame:
    """The runs' columns other than parameters, then every parameter's value as each run
    used it (the design point's values, integers rounded, and the base values of the rest)."""
    known = [f.name for f in fields(Params)]
    swept = [c for c in runs.columns if c in known]
    values = pd.DataFrame([asdict(_params(asdict(base), row, swept)) for row in runs.to_dict("records")],
                          index=runs.index)
    return pd.concat([runs.drop(columns=swept), values], axis=1)


def run_and_store_chunk(task: ChunkTask) -> PartRecord:
    """Run a chunk and write its part where the task says (atomically); return its record.

    Workers write their own parts, so the coordinating process stays light and only
    small results cross process or network boundaries (Dask workers need the sweep
    folder on a shared file system).
    """
    chunk, frame = run_chunk(task)
    part = write_parquet(frame, Path(task.part))
    return PartRecord(chunk, **file_digest(part))


def sweep_identity(spec: SweepSpec, draws: list[dict[str, float]] | None = None,
                   extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The fields a resumed sweep must match: the spec's `identity`, the posterior `draws`
    (when given) and `extra` fields of the analysis built on it (e.g. sensitivity outputs)."""
    identity = {**spec.identity(), "posterior_draws": draws} if draws else spec.identity()
    return {**identity, **(extra or {})}


def _tasks(runs: pd.DataFrame, todo: list[int], scenarios: dict[str, Scenario], base: Params,
           metrics: list[str], store: SweepStore) -> Iterator[ChunkTask]:
    for chunk, group in runs[runs["chunk"].isin(todo)].groupby("chunk", sort=True):
        needed = {name: scenarios[name] for name in group["scenario"].unique()}
        yield ChunkTask(int(chunk), group.to_dict("records"), needed, asdict(base), metrics,
                        str(store.part(int(chunk))))


def run_sweep(spec: SweepSpec, scenarios: dict[str, Scenario], base: Params, folder: Path,
              points: np.ndarray | None = None, progress: bool = True,
              draws: list[dict[str, float]] | None = None, extra: dict[str, Any] | None = None) -> SweepStore:
    """Run (or resume) a sweep into `folder`, holding its lock throughout; return its store
    (`computed`: how many runs this call ran). With posterior `draws` (free parameter
    values), each point runs every draw on every seed; the draws and `extra` fields are
    part of the spec a resumed sweep must match (`sweep_identity`).

    Raises `UserError` at once if another sweep is writing there, or if the folder holds
    parts but no manifest.
    """
    store = SweepStore(folder)
    identity = sweep_identity(spec, draws, extra)
    planned = plan(spec, points, draws)
    check_plan(planned, base, spec.name)
    refuse_links(Path(folder), "sweep.dir", ("parts",))
    with executor(spec.backend, spec.workers, spec.scheduler) as engine, store.locked():
        runs = store.open(identity, planned, base, scenarios)
        todo = sorted(set(runs["chunk"].unique()) - store.verify())
        store.computed = int(runs["chunk"].isin(todo).sum())
        log.info("sweep %s: %d runs in %d chunks, %d chunks to run (%s backend, %d workers)",
                 spec.name, len(runs), runs["chunk"].nunique(), len(todo), spec.backend, spec.workers)
        _run_chunks(spec, store, runs, todo, _tasks(runs, todo, scenarios, base, spec.metrics, store), progress,
                    engine)
        store.finish()
        store.write_summary(lambda finished: run_parameters(finished, base))
    return store


def _run_chunks(spec: SweepSpec, store: SweepStore, runs: pd.DataFrame, todo: list[int],
                tasks: Iterator[ChunkTask], progress: bool, engine: Executor) -> None:
    """Execute the chunk tasks on the started `engine`, recording each written part as soon
    as it is written (so an interrupted sweep keeps it), with a progress bar and a log line
    per chunk (shown above the bar, not over it)."""
    sizes = runs.groupby("chunk").size()
    with tqdm(total=int(runs["chunk"].isin(todo).sum()), unit="run", desc=spec.name,
              disable=not progress or not todo) as bar, logging_redirect_tqdm():
        started = time.perf_counter()
        for entry in engine.completed(run_and_store_chunk, tasks):
            store.record(entry)
            bar.update(int(sizes[entry.chunk]))
            log.info("chunk %d done (%d runs, %.1f s elapsed)", entry.chunk, sizes[entry.chunk],
                     time.perf_counter() - started)

