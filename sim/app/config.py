"""Configuration: Hydra structured configs, composition, and full validation.

The configs are package data, `sim/configs/` (the repository's top-level `configs/` is a link
to it), so a wheel or any other non-editable install composes the same configs as a clone. The
tree has the groups `scenario/`, `params/`, `sweep/` and `calibrate/`.
`RunConfig` is the schema of the top level (registered with Hydra's ConfigStore), with
`Params`, `SweepConfig` and `CalibrateConfig` the schemas of the groups inside it and
Enums for every closed choice (task, backend, design, ...), so Hydra refuses an unknown
key, a wrong type or an unknown choice as it composes the config (`explain_schema_error`
turns that into the project's one line); `resolve` checks the rest (ranges, states,
institutions, events) and returns a `RunSpec`. Scenario files are data, checked by
`sim.scenarios.schema`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any, Optional

from hydra import compose as hydra_compose
from hydra import initialize_config_dir
from hydra.core.config_store import ConfigStore
from hydra.core.global_hydra import GlobalHydra
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import ConfigAttributeError, ConfigKeyError, ValidationError

from sim.analysis.calibration import CalibrateConfig, parse_calibration, posterior_values
from sim.scenarios.cast import DATA_DIR, DEFAULT_RELATIONS, DEFAULT_STATES, Cast, load_cast
from sim.checks import allowed, choices, refuse_interpolations
from sim.core.observables import COMPARE_METRICS
from sim.analysis.discover import ANALYSES as DISCOVER_ANALYSES, OPERATORS as DISCOVER_WHEN
from sim.errors import InputError
from sim.app.job_size import check_size
from sim.analysis.observed import Observed, load_observed
from sim.core.params import Params, check_params
from sim.scenarios.schema import Scenario, load_scenario
from sim.io.results import resolve_folder
from sim.io.store import OUTPUT_FORMATS
from sim.scenarios.calendar import MONTH
from sim.analysis.sensitivity import METHODS
from sim.runs.executors import Backend
from sim.runs.sweep import SCHEDULERS, WORKER_COUNTS, SweepConfig, parse_spec, point_count, run_count

#: The packaged config tree, found beside the code (as `sim.scenarios.cast.DATA_DIR` is) and not
#: through the repository root, which an installed wheel does not have; Hydra reads it as a folder.
CONFIG_DIR = Path(__file__).resolve().parents[1] / "configs"
#: The largest seed a run may have (its tables store seeds as 64-bit integers).
MAX_SEED = 2**63 - 1
#: The command-line tasks (`task=NAME`), each with a one-line description.
TASKS = {
    "run": "run a scenario's seed ensemble: tables, config and cohesion figure (the default)",
    "validate": "check the 12 targets and the quiet future (validate.seeds, validate.robustness, ...)",
    "calibrate": "ABC posterior of free parameters from the targets (calibrate=NAME; resumable)",
    "compare": "paired differences between scenarios=[a,b,...] with bootstrap 95% intervals",
    "sweep": "run or resume a parameter sweep of the sweep/ config group (sweep=NAME)",
    "sensitivity": "Morris screening or Sobol indices of parameters (sensitivity.*)",
    "plot": "draw every figure a results folder allows (results=DIR)",
    "score": "score the ensemble against observed outcomes (observed=FILE)",
    "discover": "PRIM: the parameter region of a sweep where an outcome happens (results=SWEEP_DIR)",
    "collect": "join the runs_summary tables of a multirun's job folders into one (results=DIR)",
    "list": "print the tasks, scenarios, event kinds, metric names and parameters, then exit",
}

#: The tasks that can draw their runs' parameters from a posterior (`posterior=PATH`).
#: `task=validate` centres its references and ensembles on the draws, not its target table.
POSTERIOR_TASKS = ("run", "compare", "score", "sweep", "validate")
#: The tasks that draw from the packaged posterior unless told otherwise (`posterior=default`;
#: `task=plot` draws whatever the folder it reads holds).
DEFAULT_POSTERIOR_TASKS = ("run", "compare", "score", "validate")
#: The posterior the package ships (written by experiments/package_posterior.py).
PACKAGED_POSTERIOR = DATA_DIR / "posterior.parquet"
#: The ensemble size when `seeds` is null: seeds per posterior draw (20 draws x 2 seeds keep the
#: main job within 5 s; the parameters carry almost all of the spread), and seeds of a
#: seed-only ensemble.
DEFAULT_SEEDS = {"posterior": 2, "none": 20}
#: The institution metrics `task=compare` accepts in `compare.metrics`.

Task = choices("Task", TASKS, __name__, "A command-line task (`task=NAME`).")
Split = choices("Split", ("time",), __name__, "How `task=validate` splits the targets (`validate.split`; null: none).")
CompareMetric = choices("CompareMetric", COMPARE_METRICS, __name__, "An institution metric `task=compare` compares.")
Method = choices("Method", METHODS, __name__, "A sensitivity method (`sensitivity.method`).")
When = choices("When", DISCOVER_WHEN, __name__, "How `task=discover` compares the outcome with its level.")
Analysis = choices("Analysis", DISCOVER_ANALYSES, __name__, "What `task=discover` computes (`discover.analysis`).")
OutputFormat = choices("OutputFormat", OUTPUT_FORMATS, __name__, "The files tables are written as (`output.format`).")


@dataclass
class ValidateConfig:
    """Options of `task=validate`."""

    seeds: int = 50
    robustness: bool = False
    points: int = 64
    seeds_per_point: int = 5
    spread: float = 0.2
    ablation: bool = False
    references: bool = False
    prior_draws: int = 200
    reference_seeds: int = 3
    null_runs: int = 200
    data_points: int = 0
    split: Optional[Split] = field(default=None, metadata=allowed("null (none) or time"))
    split_draws: int = 50
    backend: Backend = Backend.local
    workers: int = field(default=0, metadata=allowed(WORKER_COUNTS))
    scheduler: Optional[str] = field(default=None, metadata=allowed(SCHEDULERS))
    points_dir: Optional[str] = None


@dataclass
class CompareConfig:
    """Options of `task=compare` (the scenarios are the top-level `scenarios` list)."""

    dates: list[str] = field(default_factory=lambda: ["2008-01", "2012-01", "2015-01", "2018-10"])
    metrics: list[CompareMetric] = field(default_factory=lambda: [
        CompareMetric.cohesion, CompareMetric.trust, CompareMetric.congruence, CompareMetric.engagement])
    resamples: int = 2000


@dataclass
class SensitivityConfig:
    """Options of `task=sensitivity` (the engine options come from `sweep`)."""

    method: Method = Method.morris
    parameters: list[str] = field(default_factory=lambda: [
        "trust_gain", "memory", "rally_gain", "betrayal_exposure", "w_legitimacy",
        "w_sovereignty", "mandate_cost", "deference", "w_functional", "loyalty"])
    spread: float = 0.2
    samples: int = 10
    seeds_per_point: int = 3
    outputs: list[str] = field(default_factory=lambda: [
        "SCO:cohesion@2018-10", "CSTO:cohesion@2018-10", "UZB:engagement.CSTO@2014-01"])
    dir: Any = None


@dataclass
class PlotConfig:
    """Options of `task=plot results=DIR`."""

    dates: list[str] = field(default_factory=lambda: ["2007-10", "2015-01", "2018-10"])
    network_threshold: float = 0.6
    outcome: str = "SCO:cohesion@2018-10"


@dataclass
class DiscoverConfig:
    """Options of `task=discover results=SWEEP_DIR`: the analysis (PRIM, feature scores or
    an envelope), the outcome and PRIM's settings."""

    analysis: Analysis = Analysis.prim
    outcome: str = "SCO:cohesion@2018-10"
    when: When = When.below
    level: Optional[float] = field(default=None, metadata=allowed("a number, or null (the level that splits the "
                                                                   "sweep's runs most evenly)"))
    threshold: float = 0.8
    peel_alpha: float = 0.05


@dataclass
class OutputConfig:
    """How tasks write their tables: `format` is parquet, csv or both."""

    format: OutputFormat = OutputFormat.parquet


@dataclass
class RunConfig:
    """Schema of the top-level config."""

    task: Task = Task.run
    seeds: Any = None
    states_file: str = ""
    relations_file: str = ""
    progress: bool = True
    verbose: bool = False
    scenarios: list[str] = field(default_factory=lambda: ["history", "no_crimea"])
    validate: ValidateConfig = field(default_factory=ValidateConfig)
    compare: CompareConfig = field(default_factory=CompareConfig)
    sensitivity: SensitivityConfig = field(default_factory=SensitivityConfig)
    plot: PlotConfig = field(default_factory=PlotConfig)
    discover: DiscoverConfig = field(default_factory=DiscoverConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    results: str = ""
    observed: str = ""
    posterior: str = "default"
    posterior_draws: int = 20
    allow_mismatch: bool = False
    allow_partial: bool = False
    allow_large: bool = False
    overwrite: bool = False
    sweep: SweepConfig = field(default_factory=SweepConfig)
    calibrate: CalibrateConfig = field(default_factory=CalibrateConfig)
    scenario: Any = None
    params: Params = field(default_factory=Params)


def register_configs() -> None:
    """Register the structured-config schemas with Hydra's ConfigStore."""
    store = ConfigStore.instance()
    store.store(name="config_schema", node=RunConfig)
    store.store(group="params", name="params_schema", node=Params)


def explain_schema_error(error: BaseException, value_of: Callable[[str], str]) -> str | None:
    """The project's one line (where, field, value, allowed) for a value the schemas refuse
    while Hydra composes the config: an unknown key, a wrong type or an unknown choice, on
    the command line (`value_of(key)` is the value given there) or in a config file; None
    for any other error. What a field allows comes from the schema: its `allowed` metadata,
    its Enum's members, its node's keys, or else the type it needs."""
    cause = error.__cause__ or error.__context__
    if not isinstance(cause, (ValidationError, ConfigKeyError, ConfigAttributeError)) or not cause.full_key:
        return None
    in_file = re.match(r"In '([^']+)'", str(error))
    source = f"{in_file[1]}.yaml" if in_file else "command line"
    key = str(cause.full_key)
    node = cause.object_type if is_dataclass(cause.object_type) else None
    known = {f.name: f for f in fields(node)} if node else {}
    name = str(cause.key)
    if node is not None and name not in known:
        section = key.rsplit(".", 1)[0] if "." in key else ""
        value = cause.value if in_file else value_of(key)
        where = f"the keys of {section}" if section else "the keys of configs/config.yaml"
        return str(InputError(source, key, value, f"{where}: {', '.join(known)}"))
    value = cause.value if cause.value is not None else value_of(key)
    return str(InputError(source, key, value, _allowed(node, name, str(cause.msg))))


def _allowed(node: type | None, name: str, message: str) -> str:
    """What a schema field allows: its `allowed` metadata, else the Enum members or the type
    OmegaConf's `message` names."""
    described = {f.name: f.metadata.get("allowed") for f in fields(node)}.get(name) if node else None
    if described:
        return described
    if listed := re.search(r"expected one of \[([^\]]*)\]", message):
        return listed[1]
    kind_name = re.search(r"converted to (\w+)", message)
    return f"a value of type {kind_name[1]}" if kind_name else (message.splitlines() or ["a valid value"])[0]


@dataclass
class RunSpec:
    """Everything a run needs, validated (`observed`: the outcomes `task=score` scores)."""

    scenario: Scenario
    params: Params
    seeds: list[int]
    config: DictConfig
    observed: Observed | None = None
    draw_values: list[dict[str, float]] = field(default_factory=list)

    @property
    def draws(self) -> list[Params]:
        """The parameter set of each posterior draw: its values on top of `params`."""
        return [replace(self.params, **values) for values in self.draw_values]

    def runs(self) -> list[tuple[Params, int]]:
        """The (parameters, seed) of every run: each seed at `params`, or, with a posterior,
        each draw with each seed (run = draw x seeds + seed position)."""
        return [(draw, seed) for draw in (self.draws or [self.params]) for seed in self.seeds]


def compose(overrides: list[str] | None = None, config_name: str = "config",
            with_hydra: bool = False) -> DictConfig:
    """Compose the project's config with Hydra overrides (the notebook / API entry).

    `with_hydra=True` keeps Hydra's own node (choices, config sources), which
    `scenario_source` uses to name the scenario file in error messages.
    """
    register_configs()
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return hydra_compose(config_name=config_name, overrides=list(overrides or []),
                             return_hydra_config=with_hydra)


def seeds_from(value: Any) -> list[int]:
    """An ensemble size N (seeds 0..N-1) or an explicit list of non-negative integers."""
    if isinstance(value, bool):
        raise InputError("config", "seeds", value, "a positive integer or a list of integers >= 0")
    if isinstance(value, int):
        if value < 1:
            raise InputError("config", "seeds", value, "a positive integer or a list of integers >= 0")
        return list(range(value))
    items = list(value) if OmegaConf.is_list(value) or isinstance(value, (list, tuple)) else None
    if not items or any(isinstance(s, bool) or not isinstance(s, int) or not 0 <= s <= MAX_SEED for s in items):
        raise InputError("config", "seeds", value, f"a positive integer or a list of integers in [0, {MAX_SEED}] "
                         "(the tables store seeds as 64-bit integers)")
    if len(set(items)) != len(items):
        raise InputError("config", "seeds", value, "a list without repeated seeds")
    return items


def scenario_source(runtime: Any | None) -> str:
    """Path of the chosen scenario file, found through Hydra's config sources."""
    if runtime is None:
        return "scenario"
    choice = runtime.choices.get("scenario", "scenario")
    for source in reversed(list(runtime.config_sources)):
        if source.schema == "file":
            candidate = Path(str(source.path)) / "scenario" / f"{choice}.yaml"
            if candidate.is_file():
                return str(candidate)
    return f"scenario/{choice}.yaml"


def cast_files(cfg: DictConfig) -> tuple[Path, Path]:
    """The states and relations tables named by the config (packaged tables unless overridden)."""
    return Path(cfg.states_file or DEFAULT_STATES), Path(cfg.relations_file or DEFAULT_RELATIONS)


def load_cast_from(cfg: DictConfig) -> Cast:
    """The cast named by the config."""
    return load_cast(*cast_files(cfg))


def scenario_from(cfg: DictConfig, cast: Cast, source: str = "scenario") -> Scenario:
    """The config's scenario, validated against `cast` (a perturbed cast re-uses this too)."""
    if cfg.get("scenario") is None:
        raise InputError("config", "scenario", None, "a scenario from configs/scenario/")
    refuse_interpolations(OmegaConf.to_container(cfg.scenario, resolve=False), source)
    return load_scenario(OmegaConf.to_container(cfg.scenario, resolve=True), cast, source=source)


#: The task folders `results=latest` may name, by task: the newest of their `latest` links.
LATEST_RESULTS = {"plot": ("run", "sweep", "sensitivity"), "discover": ("sweep",), "collect": ("multirun",)}
#: What `results` names, by task.
RESULTS_ALLOWED = {"plot": "the folder of a run, sweep or sensitivity", "discover": "the folder of a sweep",
                   "collect": "the folder of a Hydra multirun"}


def resolve_latest(cfg: DictConfig) -> None:
    """Replace `results=latest` (by the task's newest results folder, `LATEST_RESULTS`) and
    the posterior's names (`resolve_posterior`) with the paths they stand for, in place, so
    the tasks and the provenance see the real folder or file."""
    if cfg.results and cfg.task in LATEST_RESULTS:
        cfg.results = resolve_folder(str(cfg.results), LATEST_RESULTS[cfg.task], "results",
                                     RESULTS_ALLOWED[cfg.task])
    resolve_posterior(cfg)


def resolve_posterior(cfg: DictConfig) -> None:
    """Set `posterior` to the file or folder the runs draw from ('' for none) and a null
    `seeds` to its default (`DEFAULT_SEEDS`), in place: `default` is the packaged posterior
    for the tasks of `DEFAULT_POSTERIOR_TASKS` at the default parameters and none otherwise
    (parameters set by hand ask what the model does at them; the packaged posterior was
    made at the defaults), `packaged` the packaged one, `none` (or empty) none, `latest`
    the newest calibration."""
    name = str(cfg.posterior or "none")
    if name == "default":
        name = "packaged" if cfg.task in DEFAULT_POSTERIOR_TASKS and _default_params(cfg) else "none"
    if name == "packaged":
        name = str(PACKAGED_POSTERIOR)
    cfg.posterior = "" if name == "none" else resolve_folder(name, ("calibrate",), "posterior",
                                                              "a calibration folder")
    if cfg.seeds is None:
        cfg.seeds = DEFAULT_SEEDS["posterior" if cfg.posterior else "none"]


def seed_only_when_params_given(cfg: DictConfig, overrides: list[str]) -> None:
    """Turn the default posterior off (`posterior=none`, in place) when the command line sets
    parameters (`params.NAME=...`, `params=NAME`), even to their default values: such a run,
    or a multirun's job, asks what the model does at the values given, and every job of a
    multirun over a parameter is then the same kind of ensemble (`resolve_posterior` sees
    only values)."""
    if str(cfg.get("posterior")) == "default" and any(o.lstrip("+~").startswith("params") for o in overrides):
        cfg.posterior = "none"


def _default_params(cfg: DictConfig) -> bool:
    """Whether the config's parameters are the defaults (`Params()`), none set by hand."""
    given = OmegaConf.to_container(cfg.params, resolve=True) if cfg.get("params") is not None else {}
    return all(given.get(name, value) == value for name, value in asdict(Params()).items())


def _check_options(cfg: DictConfig) -> None:
    checks = [("validate.seeds", cfg.validate.seeds, 1, 10_000), ("validate.points", cfg.validate.points, 2, 100_000),
              ("validate.seeds_per_point", cfg.validate.seeds_per_point, 1, 1000),
              ("validate.data_points", cfg.validate.data_points, 0, 100_000),
              ("validate.prior_draws", cfg.validate.prior_draws, 1, 100_000),
              ("validate.reference_seeds", cfg.validate.reference_seeds, 1, 1000),
              ("validate.null_runs", cfg.validate.null_runs, 1, 100_000),
              ("compare.resamples", cfg.compare.resamples, 100, 1_000_000)]
    for name, value, low, high in checks:
        if not low <= value <= high:
            raise InputError("config", name, value, f"an integer in [{low}, {high}]")
    if not 2 <= cfg.validate.split_draws <= 10_000:
        raise InputError("config", "validate.split_draws", cfg.validate.split_draws, "an integer in [2, 10000]")
    for name in ("validate.spread", "sensitivity.spread"):
        if not 0.0 < OmegaConf.select(cfg, name) < 1.0:
            raise InputError("config", name, OmegaConf.select(cfg, name), "a number in (0, 1)")
    for name in ("compare.dates", "plot.dates"):
        for date in OmegaConf.select(cfg, name):
            if not MONTH.match(str(date)):
                raise InputError("config", name, date, "dates written YYYY-MM (a real month, 01-12)")
    if cfg.task == "discover" and not (Path(cfg.results or "/nonexistent") / "manifest.json").is_file():
        raise InputError("config", "results", cfg.results, "the folder of a sweep (with manifest.json)")
    if not 0.0 < cfg.discover.threshold <= 1.0:
        raise InputError("config", "discover.threshold", cfg.discover.threshold, "a number in (0, 1]")
    if not 0.0 < cfg.discover.peel_alpha < 0.5:
        raise InputError("config", "discover.peel_alpha", cfg.discover.peel_alpha, "a number in (0, 0.5)")
    if cfg.task == "plot" and not Path(cfg.results or "/nonexistent").is_dir():
        raise InputError("config", "results", cfg.results, "the folder of a run, comparison, sweep or sensitivity")
    if cfg.posterior and cfg.task not in POSTERIOR_TASKS:
        raise InputError("config", "posterior", cfg.posterior, f"empty for task={cfg.task}; a posterior "
                         f"serves the tasks {', '.join(POSTERIOR_TASKS)}")
    if not 1 <= cfg.posterior_draws <= 10_000:
        raise InputError("config", "posterior_draws", cfg.posterior_draws, "an integer in [1, 10000]")
    if cfg.task == "collect" and not Path(cfg.results or "/nonexistent").is_dir():
        raise InputError("config", "results", cfg.results, "the folder of a Hydra multirun (multirun/<date>/<time>)")
    if cfg.task == "score" and not cfg.observed:
        raise InputError("config", "observed", cfg.observed, "the path of an observed-outcomes YAML file "
                         "(required by task=score, e.g. observed/history_2001_2018.yaml)")
    if not 0.0 <= cfg.plot.network_threshold < 1.0:
        raise InputError("config", "plot.network_threshold", cfg.plot.network_threshold, "a number in [0, 1)")
    if len(cfg.scenarios) < 2:
        raise InputError("config", "scenarios", list(cfg.scenarios), "a list of at least two scenario names")


def planned_runs(cfg: DictConfig) -> int:
    """Runs a `sweep`, `sensitivity` or `calibrate` task plans at most (0 for other tasks)."""
    if cfg.task == "sweep":
        draws = cfg.posterior_draws if cfg.posterior else 1
        return run_count(parse_spec(OmegaConf.to_container(cfg.sweep, resolve=True, enum_to_str=True))) * draws
    if cfg.task == "sensitivity":
        options = cfg.sensitivity
        parameters = {name: {} for name in options.parameters}
        return point_count(options.method, options.samples, parameters) * options.seeds_per_point
    if cfg.task == "calibrate" or (cfg.task == "validate" and cfg.validate.split):
        spec = parse_calibration(OmegaConf.to_container(cfg.calibrate, resolve=True, enum_to_str=True))
        return spec.budget() * spec.seeds_per_particle * len(spec.scenario_names())
    return 0


def resolve(cfg: DictConfig, runtime: Any | None = None) -> RunSpec:
    """Validate a composed config completely and build what the run needs.

    `runtime` is Hydra's runtime node (from `HydraConfig` or a `with_hydra` compose); it
    only serves to name the scenario file in error messages.
    """
    if runtime is None and "hydra" in cfg:
        runtime = cfg.hydra.runtime
    raw = OmegaConf.to_container(cfg, resolve=False)
    for node, value in raw.items():
        if node not in ("hydra", "scenario"):  # the scenario is checked naming its file (`scenario_from`)
            refuse_interpolations(value, "config", f"{node}.")
    resolve_latest(cfg)
    _check_options(cfg)
    params = check_params(OmegaConf.to_container(cfg.params, resolve=True), source="params")
    scenario = scenario_from(cfg, load_cast_from(cfg), source=scenario_source(runtime))
    check_size(cfg, scenario.n_steps, planned_runs(cfg))
    observed = load_observed(cfg.observed, scenario) if cfg.task == "score" else None
    draws = (posterior_values(cfg.posterior, cfg.posterior_draws, params, allow_mismatch=bool(cfg.allow_mismatch))
             if cfg.posterior else [])
    return RunSpec(scenario=scenario, params=params, seeds=seeds_from(cfg.seeds), config=cfg, observed=observed,
                   draw_values=draws)
