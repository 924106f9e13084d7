"""Calibration as inference: a posterior over parameters from the article's patterns.

The method is the adaptive population Monte Carlo ABC (APMC) of Lenormand, Jabot and
Deffuant (2013), an ABC sequential Monte Carlo sampler built for costly simulation models:
every generation simulates a fixed number of particles (so each generation is one batch
for the engine), the tolerance is the alpha-quantile of the distances, and the sampler
stops when few new particles beat the previous tolerance. Generation 0 draws N particles
from the prior (uniform on each free parameter's range) and keeps the alpha N closest;
each later generation draws N - alpha N new particles from the kept ones by weight,
moved by a Gaussian kernel with twice their weighted covariance (Beaumont et al. 2009)
and redrawn until inside the prior's support, weights them by prior / proposal density
(the kernel mixture over its mass inside the support, so that old and new particles
weigh alike), and keeps the alpha N closest of old and new.

A particle's summary statistics (`calibrate.statistics`) are, by default (`checks`), the
share of its seeds meeting every check of the chosen targets at once (`joint`) and, per
check, the share of its seeds meeting it (`check_<key>`); the checks are read from
`sim.analysis.validation.CHECKS` when the calibration runs. Consistency checks count here as
much as evidence checks: the article reports those patterns too (the CSTO's silence on the
recognitions, for one), and a posterior that broke them would contradict the record even
though every reference meets them; what the validation's informativeness decides is which
checks earn the model credit, not which observations the parameters must respect. The
posterior predictive check of `sim.analysis.predictive` asks a draw for every evidence check
at once (the calibration's joint share is at most that). The older choices are per
target: the share of seeds meeting the target (`shares`) and, with `shares_and_values`,
the mean of the target's statistic too. Each statistic is scaled by its spread over
generation 0 (the prior predictive). Under `checks` a statistic that does not vary there
keeps a floor scale (`floor_scale`) and the first generation's record names it, so no check
is dropped; under the older choices it is left out, as it always was. The article reports
each pattern as having happened, so its observation is 1 for every share;
`observed=simulated` instead takes the statistics of the model itself at known parameter
values, to check that a calibration recovers them.

Every generation is written atomically before the next starts and every random draw
depends only on (seed, generation, particle), so a killed calibration resumes where it
stopped and ends with the same posterior as an uninterrupted one, on any backend.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Optional

import numpy as np
import pandas as pd

from sim.extras import progress_bar
from sim.checks import allowed, choices, is_finite_number
from sim.errors import DataError, InputError, UserError
from sim.runs.gate import checked
from sim.runs.executors import BACKENDS, SCHEDULER_ADDRESS, Backend, Executor, executor
from sim.core.params import BEHAVIOURAL, Params
from sim.scenarios.schema import Scenario
from sim.io.outdir import check_folder_name, refuse_links
from sim.io.store import (folder_lock, parquet_record, read_json, source_digest, write_csv, write_parquet,
                          write_yaml)
from sim.runs.sweep import SCHEDULERS
from sim.io.store import fingerprint, spec_hash
from sim.io.calibration_store import CalibrationStore
from sim.analysis.validation import CHECKS, TARGETS, Check, Target, Views, met_shares, run_pair_views
from sim.extras import require_dask

#: The progress bar class (`sim.extras.progress_bar`: no widget warning in a notebook).
tqdm = progress_bar()
log = logging.getLogger(__name__)
OBSERVATIONS = ("article", "simulated")
STATISTICS = ("checks", "shares", "shares_and_values")
Observation = choices("Observation", OBSERVATIONS, __name__, "What a calibration fits (`calibrate.observed`).")
Statistics = choices("Statistics", STATISTICS, __name__, "A particle's summary statistics (`calibrate.statistics`).")
#: The inclusive bounds of the integer settings.
INTEGER_BOUNDS = {"truth_seeds": (1, 10_000), "particles": (4, 1_000_000), "generations": (1, 1000),
                  "seeds_per_particle": (1, 1000), "seed": (0, 2**31 - 1), "workers": (0, 4096),
                  "chunk": (0, 1_000_000), "repeats": (1, 1000)}
#: The model variants `calibrate.models` may name (`sim.analysis.model_choice`): one
#: YAML file each, named by its stem.
MODELS_DIR = Path(__file__).resolve().parents[1] / "configs" / "calibrate" / "models"
ALPHAS = "a number in (0, 1)"
ACCEPTANCES = "a number in [0, 1)"


def _integer_field(name: str, default: int) -> Any:
    """A schema field of an integer setting, with what its bounds allow."""
    low, high = INTEGER_BOUNDS[name]
    return field(default=default, metadata=allowed(f"an integer in [{low}, {high}]"))


@dataclass
class CalibrateConfig:
    """Schema of the `calibrate/` config group (registered with Hydra, so a key it lacks, a
    value of the wrong type or an unknown observation, statistics or backend is refused as
    the config is composed); `parse_calibration` checks the rest into a `CalibrationSpec`."""

    name: str = "calibration"
    free: dict[str, Any] = field(default_factory=dict)
    targets: list[int] = field(default_factory=lambda: [t.number for t in TARGETS])
    observed: Observation = Observation.article
    truth: dict[str, float] = field(default_factory=dict)
    truth_seeds: int = _integer_field("truth_seeds", 20)
    statistics: Statistics = Statistics.checks
    particles: int = _integer_field("particles", 500)
    alpha: float = field(default=0.5, metadata=allowed(ALPHAS))
    generations: int = _integer_field("generations", 40)
    min_acceptance: float = field(default=0.05, metadata=allowed(ACCEPTANCES))
    min_improvement: float = field(default=0.01, metadata=allowed(ACCEPTANCES))
    seeds_per_particle: int = _integer_field("seeds_per_particle", 5)
    seed: int = _integer_field("seed", 0)
    backend: Backend = Backend.local
    workers: int = _integer_field("workers", 0)
    scheduler: Optional[str] = field(default=None, metadata=allowed(SCHEDULERS))
    chunk: int = _integer_field("chunk", 0)
    dir: Optional[str] = None
    models: Optional[list[str]] = None
    repeats: int = _integer_field("repeats", 3)


#: The keys of a calibrate config.
SPEC_KEYS = tuple(f.name for f in fields(CalibrateConfig))
#: The keys that determine a calibration's numbers (a resumed run must match them).
RESULT_KEYS = ("free", "targets", "observed", "truth", "truth_seeds", "statistics", "particles", "alpha",
               "generations", "min_acceptance", "min_improvement", "seeds_per_particle", "seed")
QUANTILES = (0.05, 0.5, 0.95)
#: What a finished calibration folder holds besides its generations.
CALIBRATION_FILES = ("posterior.parquet", "populations.parquet", "posterior.csv", "diagnostics.csv", "map.yaml",
                     "config.yaml")


@dataclass(frozen=True)
class CalibrationSpec:
    """A calibration: free parameters with uniform priors, targets, observation and sampler
    (validated from a `CalibrateConfig` by `parse_calibration`)."""

    name: str
    free: dict[str, tuple[float, float]]
    targets: tuple[int, ...]
    observed: str
    truth: dict[str, float]
    truth_seeds: int
    statistics: str
    particles: int
    alpha: float
    generations: int
    min_acceptance: float
    min_improvement: float
    seeds_per_particle: int
    seed: int
    backend: str
    workers: int
    scheduler: str | None
    chunk: int
    dir: str | None
    models: tuple[str, ...] | None = None
    repeats: int = 3

    @property
    def names(self) -> list[str]:
        """The free parameters, in a fixed order."""
        return list(self.free)

    @property
    def worker_count(self) -> int:
        """Workers of the local or Dask backend (`workers` 0: all cores)."""
        return self.workers or os.cpu_count() or 1

    @property
    def kept(self) -> int:
        """Particles kept per generation (alpha N)."""
        return max(2, int(math.floor(self.alpha * self.particles)))

    def chosen_targets(self) -> list[Target]:
        """The targets the distance reads."""
        return [t for t in TARGETS if t.number in self.targets]

    def scenario_names(self) -> list[str]:
        """The scenarios the chosen targets read (the history first)."""
        return list(dict.fromkeys(name for t in self.chosen_targets() for name in t.scenarios()))

    def budget(self) -> int:
        """Particles simulated if every generation runs (of every model and repeat of a
        model choice)."""
        samplers = len(self.models) * self.repeats if self.models else 1
        return samplers * (self.particles + (self.generations - 1) * (self.particles - self.kept))

    def identity(self) -> dict[str, Any]:
        """What determines the numbers (not the backend, workers, chunking or folder); a
        model choice adds its models and repeats."""
        values = asdict(self)
        chosen = ("models", "repeats") if self.models else ()
        return {key: list(values[key]) if key == "models" else values[key] for key in (*RESULT_KEYS, *chosen)}


def _check(condition: bool, source: str, key: str, value: Any, allowed: str) -> None:
    if not condition:
        raise InputError(source, f"calibrate.{key}", value, allowed)


def _integer(raw: Mapping[str, Any], source: str, key: str) -> int:
    low, high = INTEGER_BOUNDS[key]
    value = raw[key]
    _check(isinstance(value, int) and not isinstance(value, bool) and low <= value <= high,
           source, key, value, f"an integer in [{low}, {high}]")
    return int(value)


def _prior(source: str, name: Any, bounds: Any) -> tuple[float, float]:
    """A free parameter's prior bounds: [low, high] inside its documented range, or null for the range."""
    _check(name in BEHAVIOURAL, source, "free", name, "names of behavioural parameters (docs/ODD.md 7.10)")
    low, high = Params.__dataclass_fields__[name].metadata["range"]
    if bounds is None:
        return float(low), float(high)
    ok = (isinstance(bounds, (list, tuple)) and len(bounds) == 2 and all(is_finite_number(b) for b in bounds)
          and low <= bounds[0] < bounds[1] <= high)
    _check(ok, source, f"free.{name}", bounds, f"null or [low, high] with {low} <= low < high <= {high}")
    return float(bounds[0]), float(bounds[1])


def parse_calibration(raw: Mapping[str, Any], source: str = "config") -> CalibrationSpec:
    """Validate a `calibrate` config (one line per mistake) and build its spec."""
    unknown = sorted(set(raw) - set(SPEC_KEYS))
    _check(not unknown, source, unknown[0] if unknown else "", "", ", ".join(SPEC_KEYS))
    raw = {**asdict(CalibrateConfig()), **raw}
    check_folder_name(source, "calibrate.name", raw.get("name"))
    free = raw.get("free") or {}
    _check(isinstance(free, Mapping) and len(free) >= 1, source, "free", free,
           "a mapping of at least one parameter to [low, high] or null")
    priors = {name: _prior(source, name, bounds) for name, bounds in free.items()}
    numbers = [t.number for t in TARGETS]
    targets = raw["targets"]
    _check(isinstance(targets, (list, tuple)) and len(targets) >= 1 and set(targets) <= set(numbers)
           and len(set(targets)) == len(targets), source, "targets", targets,
           f"a list of distinct target numbers from {numbers[0]} to {numbers[-1]}")
    _check(raw["observed"] in OBSERVATIONS, source, "observed", raw["observed"], ", ".join(OBSERVATIONS))
    _check(raw["statistics"] in STATISTICS, source, "statistics", raw["statistics"], ", ".join(STATISTICS))
    _check(raw["observed"] == "simulated" or raw["statistics"] != "shares_and_values", source, "statistics",
           raw["statistics"], "checks or shares when observed=article (the article reports classes, not values)")
    truth = dict(raw["truth"] or {})
    _check(raw["observed"] == "article" or set(truth) == set(priors), source, "truth", truth,
           "a value for every free parameter when observed=simulated")
    for name, value in truth.items():
        _check(name in priors and is_finite_number(value) and priors[name][0] <= value <= priors[name][1],
               source, f"truth.{name}", value, "a free parameter's value inside its prior")
    alpha = raw["alpha"]
    _check(is_finite_number(alpha) and 0.0 < alpha < 1.0, source, "alpha", alpha, ALPHAS)
    acceptance, improvement = raw["min_acceptance"], raw["min_improvement"]
    _check(is_finite_number(improvement) and 0.0 <= improvement < 1.0, source, "min_improvement", improvement,
           ACCEPTANCES)
    _check(is_finite_number(acceptance) and 0.0 <= acceptance < 1.0, source, "min_acceptance", acceptance,
           ACCEPTANCES)
    _check(raw["backend"] in BACKENDS, source, "backend", raw["backend"], ", ".join(BACKENDS))
    if raw["backend"] == "dask":
        require_dask(source, "calibrate.backend")
    _check(raw["scheduler"] is None or bool(SCHEDULER_ADDRESS.match(str(raw["scheduler"]))), source, "scheduler",
           raw["scheduler"], SCHEDULERS)
    spec = CalibrationSpec(
        name=raw["name"], free=priors, targets=tuple(int(t) for t in targets), observed=str(raw["observed"]),
        truth={k: float(v) for k, v in truth.items()}, truth_seeds=_integer(raw, source, "truth_seeds"),
        statistics=str(raw["statistics"]), particles=_integer(raw, source, "particles"),
        alpha=float(alpha), generations=_integer(raw, source, "generations"),
        min_acceptance=float(acceptance), min_improvement=float(improvement), seeds_per_particle=_integer(raw, source, "seeds_per_particle"),
        seed=_integer(raw, source, "seed"), backend=str(raw["backend"]),
        workers=_integer(raw, source, "workers"), scheduler=raw["scheduler"],
        chunk=_integer(raw, source, "chunk"), dir=raw["dir"])
    _check(spec.kept < spec.particles, source, "alpha", alpha, "a value leaving room for new particles")
    return replace(spec, models=_models(raw.get("models"), spec, source), repeats=_integer(raw, source, "repeats"))


def model_names() -> list[str]:
    """The model variants `calibrate.models` may name (the files of `MODELS_DIR`)."""
    return sorted(path.stem for path in MODELS_DIR.glob("*.yaml"))


def _models(models: Any, spec: CalibrationSpec, source: str) -> tuple[str, ...] | None:
    """`calibrate.models`: null (one model's calibration) or a list of distinct variants."""
    if models is None:
        return None
    known = model_names()
    _check(isinstance(models, (list, tuple)) and len(models) >= 1, source, "models", models,
           f"null or a non-empty list of model variants from {', '.join(known)}")
    for name in models:
        _check(name in known, source, "models", name, f"model variants from {', '.join(known)} "
               f"({MODELS_DIR.relative_to(MODELS_DIR.parents[2])}/)")
    _check(len(set(models)) == len(models), source, "models", list(models), "distinct model variants")
    _check(spec.observed == "article", source, "observed", spec.observed,
           "article when calibrate.models is set (a model choice on simulated data: sim.analysis.model_choice)")
    return tuple(str(name) for name in models)


# -- summary statistics ---------------------------------------------------------------

@dataclass
class ParticleTask:
    """What one worker needs to simulate a group of particles."""

    index: int
    values: np.ndarray            # (particles, free parameters)
    seeds: np.ndarray             # (particles, seeds per particle)
    names: list[str]
    base: dict[str, Any]
    scenarios: dict[str, Scenario]
    targets: tuple[int, ...]
    statistics: str


#: The statistic of `statistics=checks` that asks for every check at once.
JOINT = "joint"


def calibrated_checks(targets: Sequence[int]) -> list[Check]:
    """Every check of the chosen targets, evidence and consistency alike, in the order of
    CHECKS (read when called, so the statistics follow the validation's checks as they are)."""
    chosen = {c.key for t in TARGETS if t.number in targets for c in t.checks}
    return [c for c in CHECKS if c.key in chosen]


def statistic_names(targets: Sequence[int], statistics: str) -> list[str]:
    """Names of a particle's summary statistics under `statistics` (`calibrate.statistics`):
    `joint` then `check_<key>` per check (checks); `share_<n>` per target
    (shares), then `value_<n>` per target (shares_and_values)."""
    if statistics == "checks":
        return [JOINT, *(f"check_{c.key}" for c in calibrated_checks(targets))]
    names = [f"share_{n}" for n in targets]
    return names + [f"value_{n}" for n in targets] if statistics == "shares_and_values" else names


def statistic_weights(statistics: str, count: int) -> np.ndarray | None:
    """The weights of the `count` statistics in the distance, or None when all weigh alike
    (shares, shares_and_values: the distance as it always was).

    Under `checks`, `joint` weighs as much as all the per-check statistics together (the
    number of them, each weighing 1), so it holds half of the squared distance: the
    record has every pattern at once, and a particle
    that meets each check in most seeds but rarely all of them together stays far, while
    among particles meeting all checks the per-check shares still tell near from far."""
    if statistics != "checks":
        return None
    weights = np.ones(count)
    weights[0] = count - 1
    return weights


def check_statistics(views: Views, targets: Sequence[int], count: int, per: int) -> np.ndarray:
    """The `checks` statistics of `count` particles of `per` seeds each (run i of `views` is
    seed i % per of particle i // per): per particle, the share of its seeds meeting every
    check at once, then the share meeting each."""
    return met_shares(views, [c.key for c in calibrated_checks(targets)], count, per)


def simulate_particles(task: ParticleTask) -> tuple[int, np.ndarray]:
    """Run every particle of a task on its seeds in each scenario its targets read; return
    (task index, statistics (particles, statistics))."""
    count, per = task.seeds.shape
    runs = []
    for row, seeds in zip(task.values, task.seeds):
        point = Params(**{**task.base, **dict(zip(task.names, row.tolist()))})
        runs += [(point, int(seed)) for seed in seeds]
    views = run_pair_views(task.scenarios, runs, Params(**task.base))
    if task.statistics == "checks":
        return task.index, check_statistics(views, task.targets, count, per)
    shares, values = [], []
    for target in [t for t in TARGETS if t.number in task.targets]:
        ok, value = target.check(views)
        shares.append(ok.reshape(count, per).mean(axis=1))
        finite = np.where(np.isfinite(value), value, np.nan).reshape(count, per)
        counted = np.isfinite(finite).sum(axis=1)
        values.append(np.divide(np.nansum(finite, axis=1), counted, out=np.full(count, np.nan), where=counted > 0))
    return task.index, np.column_stack(shares + values if task.statistics == "shares_and_values" else shares)


# -- the sampler --------------------------------------------------------------------

def _seeds(spec: CalibrationSpec, generation: int, count: int) -> np.ndarray:
    """Model seeds of a generation's particles: (count, seeds per particle), from (seed, generation)."""
    sequence = np.random.SeedSequence([spec.seed, generation, 1])
    return sequence.generate_state(count * spec.seeds_per_particle).reshape(count, -1) % (2**31 - 1)


def _bounds(spec: CalibrationSpec) -> tuple[np.ndarray, np.ndarray]:
    low = np.array([spec.free[n][0] for n in spec.names])
    high = np.array([spec.free[n][1] for n in spec.names])
    return low, high


def _from_prior(spec: CalibrationSpec, rng: np.random.Generator, count: int) -> np.ndarray:
    low, high = _bounds(spec)
    return low + (high - low) * rng.random((count, len(low)))


#: Draws of the proposal that estimate its mass inside the prior's support (`_new_weights`;
#: the estimate's relative standard error is below 1% down to a mass of 0.2).
MASS_DRAWS = 20_000


#: The kernel's smallest standard deviation in any parameter, as a share of its prior's width.
KERNEL_FLOOR = 1e-3


def _kernel(spec: CalibrationSpec, population: pd.DataFrame) -> np.ndarray:
    """Twice the weighted covariance of the kept particles (Beaumont et al. 2009), plus a
    floor of KERNEL_FLOOR x the prior's width on each parameter's variance. Without it, a
    population whose effective size falls below the number of free parameters gives a
    singular kernel: the proposal density is then zero off its subspace and new particles
    get infinite weights."""
    values = population[spec.names].to_numpy()
    weights = population["weight"].to_numpy()
    low, high = _bounds(spec)
    cov = np.atleast_2d(np.cov(values, rowvar=False, aweights=weights, ddof=0)) * 2.0
    return cov + np.diag((KERNEL_FLOOR * (high - low)) ** 2)


def _perturbed(spec: CalibrationSpec, rng: np.random.Generator, population: pd.DataFrame,
               count: int) -> np.ndarray:
    """New particles: kept particles drawn by weight, moved by the Gaussian kernel, redrawn
    until inside the prior's support."""
    low, high = _bounds(spec)
    values = population[spec.names].to_numpy()
    weights = population["weight"].to_numpy() / population["weight"].sum()
    cov = _kernel(spec, population)
    result = np.empty((count, len(spec.names)))
    todo = np.arange(count)
    while todo.size:
        parents = rng.choice(len(values), size=todo.size, p=weights)
        moved = values[parents] + rng.multivariate_normal(np.zeros(len(low)), cov, size=todo.size)
        inside = ((moved >= low) & (moved <= high)).all(axis=1)
        result[todo[inside]] = moved[inside]
        todo = todo[~inside]
    return result


def _new_weights(spec: CalibrationSpec, population: pd.DataFrame, values: np.ndarray,
                 rng: np.random.Generator) -> np.ndarray:
    """Importance weights of new particles, prior density over proposal density, on the
    scale of generation 0's weights of 1 (prior over prior), so that the kept particles of
    earlier generations and the new ones weigh alike.

    The proposal is the kernel mixture of the kept particles cut to the prior's support
    (`_perturbed` redraws parent and move until inside), so its density is the mixture's
    over the mixture's mass inside the support, estimated from `MASS_DRAWS` draws of
    `rng`."""
    from scipy.stats import multivariate_normal  # SciPy's stats take ~1 s to import: loaded when needed

    low, high = _bounds(spec)
    weights = population["weight"].to_numpy() / population["weight"].sum()
    cov = _kernel(spec, population)
    density = multivariate_normal(cov=cov, allow_singular=True)
    previous = population[spec.names].to_numpy()
    mixture = sum(w * np.atleast_1d(density.pdf(values - p)) for w, p in zip(weights, previous))
    parents = rng.choice(len(previous), size=MASS_DRAWS, p=weights)
    moved = previous[parents] + rng.multivariate_normal(np.zeros(len(low)), cov, size=MASS_DRAWS)
    inside = float(((moved >= low) & (moved <= high)).all(axis=1).mean())
    return inside / np.prod(high - low) / mixture


@dataclass
class Problem:
    """A calibration's fixed inputs: spec, scenarios, base parameters, observation, and the
    started executor its generations share."""

    spec: CalibrationSpec
    scenarios: dict[str, Scenario]
    base: Params
    observation: np.ndarray
    statistics: list[str]
    engine: Executor

    @property
    def weights(self) -> np.ndarray | None:
        """The statistics' weights in the distance (`statistic_weights`)."""
        return statistic_weights(self.spec.statistics, len(self.statistics))


def _tasks(problem: Problem, values: np.ndarray, seeds: np.ndarray) -> list[ParticleTask]:
    spec = problem.spec
    size = spec.chunk or max(1, 50 // spec.seeds_per_particle)
    return [ParticleTask(i, values[start:start + size], seeds[start:start + size], spec.names,
                         asdict(problem.base), problem.scenarios, spec.targets, spec.statistics)
            for i, start in enumerate(range(0, len(values), size))]


def simulate(problem: Problem, values: np.ndarray, seeds: np.ndarray, bar: tqdm | None = None) -> np.ndarray:
    """Statistics of particles (rows of `values`), on the problem's executor, in the rows'
    order; the result does not depend on the backend, the worker count or the order tasks
    finish in. Every particle passes the parameter gate (`sim.runs.gate`) first."""
    spec = problem.spec
    for number, row in enumerate(values.tolist()):
        checked(problem.base, dict(zip(spec.names, row)), f"calibration '{spec.name}' particle {number}")
    parts = []
    for _, stats in problem.engine.map(simulate_particles, _tasks(problem, values, seeds)):
        parts.append(stats)
        if bar is not None:
            bar.update(len(stats))
    return np.concatenate(parts)


def observe(problem: Problem) -> np.ndarray:
    """The observation the distance compares with: 1 for every statistic (the article
    reports each pattern, so each check, as met), or the model's own statistics at `truth`
    (`observed=simulated`)."""
    spec = problem.spec
    if spec.observed == "article":
        return np.ones(len(problem.statistics))
    values = np.array([[spec.truth[n] for n in spec.names]])
    seeds = np.random.SeedSequence([spec.seed, 0, 2]).generate_state(spec.truth_seeds)[None, :] % (2**31 - 1)
    return simulate(problem, values, seeds)[0]


def scales(stats: np.ndarray) -> np.ndarray:
    """Per statistic, its standard deviation over generation 0 (0: no spread)."""
    finite = np.where(np.isfinite(stats), stats, np.nan)
    spread = np.nanstd(finite, axis=0)
    return np.where(np.isfinite(spread), spread, 0.0)


def floor_scale(spec: CalibrationSpec) -> float:
    """The scale a statistic keeps when it does not vary over generation 0: under `checks`,
    the standard deviation of a share of `seeds_per_particle` seeds at p = 0.5,
    0.5/sqrt(seeds), the largest seed-to-seed noise such a share can have, so a check every
    prior particle scores alike still counts, on the scale of that noise, and rewards the
    later particles that meet it; 0 (left out of the distance) under shares and
    shares_and_values, as before."""
    return 0.5 / math.sqrt(spec.seeds_per_particle) if spec.statistics == "checks" else 0.0


def distances(stats: np.ndarray, observation: np.ndarray, spread: np.ndarray,
              weights: np.ndarray | None = None) -> np.ndarray:
    """Root mean square of the scaled differences over the statistics with a positive
    scale, weighted by `weights` when given (`statistic_weights`); a particle with a missing
    statistic among them is infinitely far."""
    used = spread > 0
    if not used.any():
        raise UserError("no summary statistic varies across the first generation's particles: "
                        "widen the priors or free other parameters")
    scaled = (stats[:, used] - observation[used]) / spread[used]
    if weights is None:
        d = np.sqrt(np.mean(scaled ** 2, axis=1))
    else:
        d = np.sqrt(scaled ** 2 @ weights[used] / weights[used].sum())
    return np.where(np.isfinite(d), d, np.inf)


def _frame(spec: CalibrationSpec, generation: int, first: int, values: np.ndarray, stats: np.ndarray,
           names: list[str], weights: np.ndarray, d: np.ndarray) -> pd.DataFrame:
    frame = pd.DataFrame(values, columns=spec.names)
    frame.insert(0, "particle", np.arange(first, first + len(values)))
    frame.insert(0, "generation", generation)
    frame["weight"] = weights
    frame["distance"] = d
    for k, name in enumerate(names):
        frame[name] = stats[:, k]
    return frame


def _keep(spec: CalibrationSpec, candidates: pd.DataFrame) -> tuple[pd.DataFrame, float]:
    """The tolerance (the alpha N-th smallest distance) and the candidates within it: alpha
    N of them, or more when several tie at the tolerance (all are kept, so no tie is
    broken arbitrarily)."""
    ordered = candidates.sort_values(["distance", "generation", "particle"], kind="stable")
    epsilon = float(ordered["distance"].iloc[spec.kept - 1])
    return ordered[ordered["distance"] <= epsilon].reset_index(drop=True), epsilon


# -- the run ------------------------------------------------------------------------------

def prior_sample(problem: Problem, bar: tqdm | None) -> tuple[np.ndarray, np.ndarray]:
    """Generation 0's particles, drawn from the prior, and their statistics."""
    spec = problem.spec
    values = _from_prior(spec, np.random.default_rng([spec.seed, 0]), spec.particles)
    return values, simulate(problem, values, _seeds(spec, 0, spec.particles), bar)


def _first_generation(problem: Problem, bar: tqdm) -> tuple[pd.DataFrame, dict[str, Any]]:
    started = time.perf_counter()
    values, stats = prior_sample(problem, bar)
    return zeroth_generation(problem, values, stats, scales(stats), time.perf_counter() - started)


def _floored(spec: CalibrationSpec, names: list[str], spread: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """The scales the distance uses, a statistic without spread at `floor_scale` (0 under
    shares: left out), and the names of those at the floor; both kinds are logged."""
    floor = floor_scale(spec)
    flat = [name for name, scale in zip(names, spread) if scale == 0]
    if flat:
        log.info("no spread over the prior, %s: %s", f"at the floor scale {floor:.3g}" if floor > 0 else
                 "left out of the distance", ", ".join(flat))
    return np.where(spread > 0, spread, floor), flat if floor > 0 else []


def zeroth_generation(problem: Problem, values: np.ndarray, stats: np.ndarray, spread: np.ndarray,
                      seconds: float) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Generation 0 from its prior sample: distances on the scales `spread` (a statistic
    without spread at the floor scale, `floor_scale`), the alpha N closest kept, and the
    record: the observation, the scales, the weights and the statistics at the floor
    (`floored`)."""
    spec = problem.spec
    spread, floored = _floored(spec, problem.statistics, spread)
    weights = problem.weights
    d = distances(stats, problem.observation, spread, weights)
    frame = _frame(spec, 0, 0, values, stats, problem.statistics, np.ones(len(values)), d)
    kept, epsilon = _keep(spec, frame)
    meta = {"generation": 0, "epsilon": epsilon, "acceptance": 1.0, "simulated": spec.particles,
            "seconds": seconds, "observation": problem.observation.tolist(),
            "scales": spread.tolist(), "statistics": problem.statistics, "floored": floored,
            "weights": None if weights is None else weights.tolist()}
    return kept, meta


def _next_generation(problem: Problem, previous: pd.DataFrame, first_meta: dict[str, Any],
                     last_meta: dict[str, Any], bar: tqdm) -> tuple[pd.DataFrame, dict[str, Any]]:
    spec = problem.spec
    t = int(last_meta["generation"]) + 1
    started = time.perf_counter()
    count = spec.particles - spec.kept
    values = _perturbed(spec, np.random.default_rng([spec.seed, t]), previous, count)
    weights = _new_weights(spec, previous, values, np.random.default_rng([spec.seed, t, 1]))
    stats = simulate(problem, values, _seeds(spec, t, count), bar)
    d = distances(stats, problem.observation, np.asarray(first_meta["scales"]), problem.weights)
    first = spec.particles + (t - 1) * count
    new = _frame(spec, t, first, values, stats, problem.statistics, weights, d)
    kept, epsilon = _keep(spec, pd.concat([previous, new], ignore_index=True))
    meta = {"generation": t, "epsilon": epsilon, "acceptance": float(np.mean(d < last_meta["epsilon"])),
            "simulated": count, "seconds": time.perf_counter() - started}
    return kept, meta


#: Why a calibration stopped (`stopping_rule`): its convergence rules, then the cap.
ACCEPTANCE_RULE, TOLERANCE_RULE, CAP_RULE = "acceptance", "tolerance", "cap"


def stopping_rule(spec: CalibrationSpec, metas: Sequence[Mapping[str, Any]]) -> str | None:
    """The rule that stops the sampler after the last of `metas` (the generations so far),
    or None to go on. Convergence: too few new particles beat the previous tolerance
    (`min_acceptance`, APMC's rule, Lenormand et al. 2013), or the tolerance fell by less
    than `min_improvement` of itself in the last generation (it no longer falls; with
    `min_improvement` 0 only a rise stops it, since tied distances can leave it in place); the
    generation cap only guards against a sampler that never converges, and the report
    says when it is what stopped one."""
    meta = metas[-1]
    if meta["generation"] > 0 and meta["acceptance"] <= spec.min_acceptance:
        return ACCEPTANCE_RULE
    if meta["generation"] > 0 and metas[-2]["epsilon"] - meta["epsilon"] < spec.min_improvement * metas[-2]["epsilon"]:
        return TOLERANCE_RULE
    return CAP_RULE if int(meta["generation"]) + 1 >= spec.generations else None


def calibration_digest(spec: CalibrationSpec, base: Params, scenarios: dict[str, Scenario]) -> str:
    """The hash of what a calibration's numbers depend on (its spec, the base parameters,
    the scenarios it runs and the code's source digest, since a calibration resumes only
    under the same code): the suffix of its default folder."""
    used = {name: fingerprint(scenarios[name]) for name in spec.scenario_names()}
    return spec_hash({**spec.identity(), "source_digest": source_digest()}, asdict(base), used)


def calibrate(spec: CalibrationSpec, scenarios: dict[str, Scenario], base: Params, folder: Path,
              progress: bool = True) -> Path:
    """Run (or resume) a calibration into `folder`, holding its lock; write the posterior
    files and return the folder."""
    scenarios = {name: scenarios[name] for name in spec.scenario_names()}
    refuse_links(Path(folder), "calibrate.dir", ("generations",))
    with executor(spec.backend, spec.worker_count, spec.scheduler) as engine, folder_lock(folder, "calibration"):
        store = CalibrationStore(folder)
        store.open(spec.identity(), base, scenarios)
        history = store.load()
        names = statistic_names(spec.targets, spec.statistics)
        problem = Problem(spec, scenarios, base, np.zeros(len(names)), names, engine)
        simulated = sum(meta["simulated"] for _, meta in history)
        with tqdm(total=spec.budget(), initial=simulated, unit="particle", desc=f"calibrate {spec.name}",
                  disable=not progress) as bar:
            if not history:
                problem.observation = observe(problem)
                history.append(_first_generation(problem, bar))
                store.save(*history[-1])
            problem.observation = np.asarray(history[0][1]["observation"])
            while stopping_rule(spec, [meta for _, meta in history]) is None:
                history.append(_next_generation(problem, history[-1][0], history[0][1], history[-1][1], bar))
                store.save(*history[-1])
                log.info("generation %d: tolerance %.4f, acceptance %.3f", history[-1][1]["generation"],
                         history[-1][1]["epsilon"], history[-1][1]["acceptance"])
        write_results(spec, folder, history, base, store.spec_hash)
    return folder


# -- results ------------------------------------------------------------------------------

def flat_statistics(folder: Path) -> list[str]:
    """The summary statistics of a calibration that did not vary over its prior's
    particles, so its distance leaves them out (`distances`; shares and shares_and_values
    only): named wherever its results are shown, never dropped silently."""
    first = read_json(Path(folder) / "generations" / "g000.json")
    return [name for name, scale in zip(first["statistics"], first["scales"]) if scale == 0]


def floored_statistics(folder: Path) -> list[str]:
    """The summary statistics of a calibration that did not vary over its prior's
    particles and so entered its distance at the floor scale (`floor_scale`; checks only),
    as its first generation recorded them (none for a calibration made before the record)."""
    return list(read_json(Path(folder) / "generations" / "g000.json").get("floored", []))


def posterior_file(path: str | Path) -> Path:
    """The posterior sample a `posterior=PATH` names: a calibration folder or its file."""
    path = Path(path)
    return path / "posterior.parquet" if path.is_dir() else path


def posterior_draws(path: str | Path, base: Params, count: int, seed: int = 0,
                    allow_mismatch: bool = False) -> list[Params]:
    """`count` parameter sets drawn from a posterior sample (`posterior_values`) on top of
    `base`."""
    return [replace(base, **values) for values in posterior_values(path, count, base, seed, allow_mismatch)]


#: What `posterior=PATH` allows.
POSTERIOR_FILES = "a calibration folder or its posterior.parquet (python -m sim task=calibrate)"


def posterior_values(path: str | Path, count: int, base: Params, seed: int = 0,
                     allow_mismatch: bool = False) -> list[dict[str, float]]:
    """`count` draws by weight (with replacement) from a posterior sample: each draw's
    values of the sample's parameters. Deterministic for a given seed.

    The sample must be a calibration's posterior (not its populations, which hold every
    generation) made under the base parameters `base` has outside the free ones, unless
    `allow_mismatch`; every row, on top of `base`, must pass the parameter gate
    (`sim.runs.gate`), so one bad row refuses the file, named with its row and column."""
    source = posterior_file(path)
    try:
        sample = pd.read_parquet(source)
        record = parquet_record(source) or _manifest_record(source)
    except (OSError, ValueError, DataError) as error:
        raise InputError("config", "posterior", str(path), f"{POSTERIOR_FILES}; reading it failed: "
                         f"{type(error).__name__}") from None
    known = {f.name for f in fields(Params)}
    free = [c for c in sample.columns if c in known]
    weights = sample["weight"].to_numpy(dtype=float) if "weight" in sample else np.array([])
    if not free or weights.size == 0 or not np.isfinite(weights).all() or (weights < 0).any() or weights.sum() <= 0:
        raise InputError(str(source), "weight", "", "a posterior sample: parameter columns and finite "
                         "non-negative weights with a positive sum")
    _check_identity(source, record, "population" in sample.columns, base, free, allow_mismatch)
    rows = []
    for number, row in enumerate(sample[free].to_dict("records")):
        point = checked(base, {n: _plain(v) for n, v in row.items()}, f"{source} row {number}")
        rows.append({n: getattr(point, n) for n in free})
    picks = np.random.default_rng(seed).choice(len(sample), size=count, p=weights / weights.sum())
    return [rows[int(k)] for k in picks]


def _manifest_record(source: Path) -> dict[str, Any] | None:
    """The record of a posterior.parquet written before the file carried one: from the
    manifest.json of its calibration folder, if there is one."""
    manifest = read_json(source.parent / "manifest.json") if source.name == "posterior.parquet" else None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("base_params"), dict):
        return None
    return {"kind": "posterior", "calibration": source.parent.name, "spec_hash": manifest.get("spec_hash"),
            "base_params": manifest["base_params"]}


def _plain(value: Any) -> Any:
    """A NumPy scalar as the Python number it holds (what the parameter gate checks)."""
    return value.item() if isinstance(value, np.generic) else value


def _check_identity(source: Path, record: dict[str, Any] | None, populations: bool, base: Params,
                    free: list[str], allow_mismatch: bool) -> None:
    """Refuse a calibration's populations file (every generation, prior included) always;
    a sample with no record of the calibration that made it, or one made under other base
    parameters (outside its free ones) than `base`, unless `allow_mismatch`."""
    kind = (record or {}).get("kind")
    if populations or kind == "populations":
        raise InputError(str(source), "kind", "populations", f"{POSTERIOR_FILES}: populations.parquet holds "
                         "every generation, the prior included, not the posterior")
    if allow_mismatch:
        return
    if record is None or kind != "posterior" or not isinstance(record.get("base_params"), dict):
        raise InputError(str(source), "calibration record", "none", "a posterior.parquet written by "
                         "task=calibrate (it records the calibration and base parameters that made it), "
                         "or allow_mismatch=true to use this sample as it is")
    made = record["base_params"]
    for name, value in asdict(base).items():
        if name not in free and name in made and made[name] != value:
            raise InputError(str(source), f"params.{name}", value,
                             f"{made[name]!r}, the value of the calibration '{record.get('calibration')}' that "
                             f"made this posterior (run with params.{name}={made[name]!r}), or "
                             "allow_mismatch=true to draw from it under other base parameters")


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, qs: tuple[float, ...]) -> np.ndarray:
    """Quantiles of a weighted sample (linear interpolation of the weighted CDF at the
    mid-points of each particle's weight)."""
    positive = weights > 0
    order = np.argsort(values[positive], kind="stable")
    v, w = values[positive][order], weights[positive][order] / weights.sum()
    cdf = np.cumsum(w) - 0.5 * w
    return np.interp(qs, cdf, v)


def summary(spec: CalibrationSpec, population: pd.DataFrame) -> pd.DataFrame:
    """Per free parameter: prior bounds, weighted mean and 5/50/95% quantiles, the
    posterior's 90% interval width over the prior's, and the true value when known."""
    w = population["weight"].to_numpy()
    rows = []
    for name in spec.names:
        values = population[name].to_numpy()
        q05, q50, q95 = weighted_quantiles(values, w, QUANTILES)
        low, high = spec.free[name]
        row = {"parameter": name, "prior_low": low, "prior_high": high,
               "mean": float(np.average(values, weights=w)), "q05": q05, "median": q50, "q95": q95,
               "interval_share_of_prior": (q95 - q05) / (high - low)}
        if name in spec.truth:
            row.update(truth=spec.truth[name], covered=bool(q05 <= spec.truth[name] <= q95))
        rows.append(row)
    return pd.DataFrame(rows)


def map_point(spec: CalibrationSpec, population: pd.DataFrame) -> tuple[dict[str, float], str]:
    """The maximum a posteriori point: the particle where a weighted Gaussian kernel
    density of the posterior is highest, or the closest particle when the sample is too
    small or degenerate for a density."""
    from scipy.stats import gaussian_kde  # SciPy's stats take ~1 s to import: loaded when needed

    values = population[spec.names].to_numpy()
    try:
        density = gaussian_kde(values.T, weights=population["weight"].to_numpy())
        best, method = int(np.argmax(density(values.T))), "weighted kernel density"
    except (np.linalg.LinAlgError, ValueError):
        best, method = int(np.argmin(population["distance"].to_numpy())), "closest particle"
    return {name: float(values[best, k]) for k, name in enumerate(spec.names)}, method


def write_results(spec: CalibrationSpec, folder: Path, history: list[tuple[pd.DataFrame, dict[str, Any]]],
                  base: Params, digest: str) -> None:
    """posterior.parquet (the final population: parameters, weight, distance, statistics,
    generation sampled), populations.parquet (every generation's), posterior.csv (summary),
    diagnostics.csv (per generation), map.yaml (a params-group file of the MAP point). The
    two Parquet files record (in their metadata) what they are and the calibration that made
    them: its name, spec hash `digest` and base parameters (`posterior_values` checks them)."""
    posterior = history[-1][0]
    made_by = {"calibration": spec.name, "spec_hash": digest, "base_params": asdict(base), "free": spec.names}
    write_parquet(posterior, folder / "posterior.parquet", {"kind": "posterior", **made_by})
    write_parquet(pd.concat([pop.assign(population=meta["generation"]) for pop, meta in history],
                            ignore_index=True), folder / "populations.parquet", {"kind": "populations", **made_by})
    write_csv(summary(spec, posterior), folder / "posterior.csv")
    write_csv(diagnostics(spec, history), folder / "diagnostics.csv")
    point, method = map_point(spec, posterior)
    write_yaml({"defaults": ["params_schema", "_self_"], **point}, folder / "map.yaml")
    log.info("MAP point by %s: %s", method, point)


def diagnostics(spec: CalibrationSpec, history: list[tuple[pd.DataFrame, dict[str, Any]]]) -> pd.DataFrame:
    """Per generation: tolerance, acceptance of new particles, particles simulated, seconds,
    effective sample size of the kept population, and on the last row the rule that stopped
    the sampler (`stopped_by`: acceptance, tolerance or cap)."""
    rows = []
    for population, meta in history:
        w = population["weight"].to_numpy()
        rows.append({"generation": meta["generation"], "epsilon": meta["epsilon"],
                     "acceptance": meta["acceptance"], "simulated": meta["simulated"],
                     "seconds": meta["seconds"], "ess": float(w.sum() ** 2 / (w ** 2).sum()), "stopped_by": ""})
    rows[-1]["stopped_by"] = stopping_rule(spec, [meta for _, meta in history]) or ""
    return pd.DataFrame(rows)
