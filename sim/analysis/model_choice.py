"""ABC model choice: how strongly the article's record favours one theory over its rivals.

The article argues for protective integration against rival explanations of why states
keep engaging in the SCO and the CSTO ('Theoretical context', 'Literature review',
'Conclusion'). Each explanation is a model variant (`configs/calibrate/models/NAME.yaml`):
mechanism switches (parameters fixed at their neutral value) and priors (free parameters
added to, or replacing, the calibration's), on top of the calibration's `free` priors.

Method: ABC model choice with a uniform prior over the models (Toni et al. 2009; Grelaud
et al. 2009). For each model, the adaptive population Monte Carlo sampler of
`sim.analysis.calibration` runs on the same observation and the same distance: the
statistics are scaled by their spread over the pooled prior predictive of all models
(generation 0 of every model; under `statistics=checks` one without spread there at the
floor scale of `calibration.floor_scale`), so a distance means the same thing in every
model. Each
model's evidence at a common tolerance epsilon, P(distance <= epsilon | model), is
estimated by importance sampling from every particle its sampler simulated: the sum of the
weights (prior over proposal density; 1 in generation 0) of the particles within epsilon
over the number simulated, which is unbiased at any epsilon no larger than each
generation's own tolerance. The common tolerance is the smallest final tolerance of the
models' samplers (every particle within it was kept, so the estimate reads stored
particles only). Posterior model probabilities are the evidences normalised.

The choice repeats `calibrate.repeats` times with sampler seeds `calibrate.seed + r` (the
models of one repeat share it, so their particles meet the same model seeds: common random
numbers); the mean and standard deviation of each model's probability over the repeats is
its Monte Carlo error. Pitfall (Robert et al. 2011): ABC model choice is only as good as the
statistics, which are not sufficient across models, so a probability near 1 says which
model reproduces the summary statistics better, not the data; the test on data simulated
from a known variant (tests/test_model_choice.py) checks that the statistics can tell the
variants apart at all.

Each sampler is a calibration folder of its own (`repeat<r>/<model>/`, with its posterior
files); the prior sample is stored before the pooled scales are taken, and every
generation is written atomically, so a killed model choice resumes where it stopped and
ends with the same numbers, on any backend.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sim.core.params import BEHAVIOURAL, Params
from sim.errors import InputError, UserError
from sim.analysis.calibration import (MODELS_DIR, CalibrationSpec, Problem, _next_generation, _prior, flat_statistics,
                                     prior_sample, scales, statistic_names, stopping_rule, tqdm, write_results,
                                     zeroth_generation)
from sim.io.calibration_store import CalibrationStore
from sim.runs.executors import Executor, executor
from sim.io.outdir import refuse_links
from sim.io.store import (code_version, fingerprint, folder_lock, read_json, source_digest, spec_hash, write_csv,
                          write_json)
from sim.scenarios.schema import Scenario

#: The keys of a model variant file.
VARIANT_KEYS = ("description", "fixed", "free")
#: What a finished model-choice folder holds besides its samplers (`repeat<r>/<model>/`).
CHOICE_FILES = ("model_probabilities.csv", "model_choice.csv", "manifest.json", "config.yaml")


@dataclass(frozen=True)
class Variant:
    """A theory as a model variant: parameters fixed (mechanisms switched off) and priors
    added to, or replacing, the calibration's free parameters."""

    name: str
    description: str
    fixed: dict[str, float]
    free: dict[str, tuple[float, float]]

    def spec(self, choice: CalibrationSpec, repeat: int) -> CalibrationSpec:
        """The calibration this variant runs in repeat `repeat` of a model choice."""
        free = {**{n: b for n, b in choice.free.items() if n not in self.fixed}, **self.free}
        if not free:
            raise InputError(str(MODELS_DIR / f"{self.name}.yaml"), "fixed", sorted(self.fixed),
                             "a variant that leaves at least one of the calibration's parameters free")
        return replace(choice, name=f"{choice.name}_{self.name}", free=free, seed=choice.seed + repeat,
                       models=None, repeats=1)

    def base(self, base: Params) -> Params:
        """The base parameters with this variant's switches."""
        return replace(base, **self.fixed)

    def record(self) -> dict[str, Any]:
        """What the variant is, for manifests and hashes."""
        return {"name": self.name, "fixed": self.fixed, "free": {n: list(b) for n, b in self.free.items()}}


def load_variant(name: str) -> Variant:
    """The model variant of `configs/calibrate/models/NAME.yaml`, checked (one line per mistake)."""
    path = MODELS_DIR / f"{name}.yaml"
    source = str(path)
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(raw, dict):
        raise InputError(source, "variant", raw, f"a mapping with keys {', '.join(VARIANT_KEYS)}")
    for key in raw:
        if key not in VARIANT_KEYS:
            raise InputError(source, key, raw[key], f"the keys {', '.join(VARIANT_KEYS)}")
    fixed = raw.get("fixed") or {}
    for key, value in fixed.items():
        low, high = Params.__dataclass_fields__[key].metadata["range"] if key in BEHAVIOURAL else (0, 0)
        if key not in BEHAVIOURAL or not isinstance(value, (int, float)) or not low <= value <= high:
            raise InputError(source, f"fixed.{key}", value, "a behavioural parameter at a value in its range")
    free = {key: _prior(source, key, bounds) for key, bounds in (raw.get("free") or {}).items()}
    clash = sorted(set(free) & set(fixed))
    if clash:
        raise InputError(source, f"free.{clash[0]}", raw["free"][clash[0]], "a parameter that is not also fixed")
    return Variant(name, str(raw.get("description", "")), {k: float(v) for k, v in fixed.items()}, free)


def choice_digest(spec: CalibrationSpec, base: Params, scenarios: dict[str, Scenario],
                  observation: np.ndarray | None = None, code: bool = True) -> str:
    """The hash of what a model choice's numbers depend on (its spec, the variants' content,
    the observation, the article's when None, the base parameters, the scenarios and, with
    `code`, the code's source digest): the suffix of its default folder, and without the
    code the check a resumed one must pass (each sampler's folder checks the code itself,
    naming it)."""
    used = {name: fingerprint(scenarios[name]) for name in spec.scenario_names()}
    identity = {**spec.identity(), "variants": [load_variant(n).record() for n in spec.models or ()],
                "observation": None if observation is None else np.asarray(observation, dtype=float).tolist()}
    return spec_hash({**identity, "source_digest": source_digest()} if code else identity, asdict(base), used)


def evidence(history: list[tuple[pd.DataFrame, dict[str, Any]]], tolerance: float) -> float:
    """P(distance <= tolerance | model) by importance sampling: the weights of the particles
    each generation simulated that lie within `tolerance`, over the particles simulated.
    Every such particle was kept (kept populations are all a sampler stores), provided the
    tolerance is no larger than any generation's own."""
    if tolerance > min(meta["epsilon"] for _, meta in history):
        raise ValueError(f"tolerance {tolerance} above a generation's own: its rejected particles are not stored")
    mass = sum(float(population.loc[(population["generation"] == meta["generation"])
                                    & (population["distance"] <= tolerance), "weight"].sum())
               for population, meta in history)
    return mass / sum(int(meta["simulated"]) for _, meta in history)


@dataclass
class Sampler:
    """One model's calibration in one repeat: its problem, folder store and generations."""

    variant: Variant
    problem: Problem
    store: CalibrationStore
    history: list[tuple[pd.DataFrame, dict[str, Any]]]


def _samplers(spec: CalibrationSpec, variants: list[Variant], repeat: int, scenarios: dict[str, Scenario],
              base: Params, observation: np.ndarray, folder: Path, engine: Executor) -> list[Sampler]:
    names = statistic_names(spec.targets, spec.statistics)
    samplers = []
    for variant in variants:
        own, own_base = variant.spec(spec, repeat), variant.base(base)
        store = CalibrationStore(folder / f"repeat{repeat}" / variant.name)
        store.open(own.identity(), own_base, scenarios)
        problem = Problem(own, scenarios, own_base, observation, names, engine)
        samplers.append(Sampler(variant, problem, store, store.load()))
    return samplers


def _prior_stats(sampler: Sampler, bar: tqdm) -> tuple[np.ndarray, np.ndarray, float]:
    """A sampler's prior sample and statistics, from its stored copy (`prior/`) or simulated
    and stored: the pooled scales need every model's before any generation 0 is kept."""
    store = CalibrationStore(sampler.store.folder / "prior")
    names, statistics = sampler.problem.spec.names, sampler.problem.statistics
    stored = store.load()
    if stored:
        frame, meta = stored[0]
        return frame[names].to_numpy(), frame[statistics].to_numpy(), float(meta["seconds"])
    started = time.perf_counter()
    values, stats = prior_sample(sampler.problem, bar)
    seconds = time.perf_counter() - started
    store.generations.mkdir(parents=True, exist_ok=True)
    frame = pd.concat([pd.DataFrame(values, columns=names), pd.DataFrame(stats, columns=statistics)], axis=1)
    store.save(frame, {"generation": 0, "seconds": seconds})
    return values, stats, seconds


def _run_repeat(samplers: list[Sampler], bar: tqdm) -> None:
    """Generation 0 of every model on the pooled scales, then each model's sampler to its
    stopping rule, every generation saved as it ends."""
    if any(not s.history for s in samplers):
        priors = [_prior_stats(s, bar) for s in samplers]
        spread = scales(np.vstack([stats for _, stats, _ in priors]))
        for sampler, (values, stats, seconds) in zip(samplers, priors):
            if not sampler.history:
                sampler.history.append(zeroth_generation(sampler.problem, values, stats, spread, seconds))
                sampler.store.save(*sampler.history[-1])
    for s in samplers:
        while stopping_rule(s.problem.spec, [meta for _, meta in s.history]) is None:
            s.history.append(_next_generation(s.problem, s.history[-1][0], s.history[0][1], s.history[-1][1], bar))
            s.store.save(*s.history[-1])
        write_results(s.problem.spec, s.store.folder, s.history, s.problem.base, s.store.spec_hash)


def _repeat_rows(samplers: list[Sampler], repeat: int) -> list[dict[str, Any]]:
    """Each model's evidence and posterior probability in one repeat, at the common tolerance."""
    tolerance = min(s.history[-1][1]["epsilon"] for s in samplers)
    found = np.array([evidence(s.history, tolerance) for s in samplers])
    if found.sum() <= 0:
        raise UserError(f"model choice repeat {repeat}: no model has a particle within the common tolerance "
                        f"{tolerance:.4g}; run more particles or generations")
    return [{"repeat": repeat, "seed": s.problem.spec.seed, "model": s.variant.name, "tolerance": tolerance,
             "evidence": z, "probability": z / found.sum(), "generations": len(s.history),
             "simulated": sum(int(meta["simulated"]) for _, meta in s.history),
             "final_tolerance": s.history[-1][1]["epsilon"],
             "stopped_by": stopping_rule(s.problem.spec, [meta for _, meta in s.history])}
            for s, z in zip(samplers, found)]


def left_out(folder: Path, repeats: int, model: str) -> dict[int, list[str]]:
    """Per repeat, the statistics with no spread over the pooled prior predictive, which
    the distance leaves out (the same for every model of a repeat): named wherever the
    results are shown, never dropped silently."""
    return {r: flat_statistics(Path(folder) / f"repeat{r}" / model) for r in range(repeats)}


def probabilities(rows: pd.DataFrame, variants: list[Variant]) -> pd.DataFrame:
    """Per model: its posterior probability's mean, standard deviation, minimum and maximum
    over the repeats (the Monte Carlo error), with the variant's description."""
    grouped = rows.groupby("model", sort=False)["probability"]
    table = pd.DataFrame({"model": [v.name for v in variants]})
    for column, values in (("probability", grouped.mean()), ("sd", grouped.std(ddof=1)),
                           ("min", grouped.min()), ("max", grouped.max())):
        table[column] = table["model"].map(values)
    table["repeats"] = rows["repeat"].nunique()
    table["description"] = [v.description for v in variants]
    return table


def _open(folder: Path, spec: CalibrationSpec, variants: list[Variant], digest: str,
          observation: np.ndarray) -> None:
    """Create the folder's manifest, or check that it holds the same model choice."""
    manifest = folder / "manifest.json"
    if manifest.exists():
        held = read_json(manifest)
        if held is None or held.get("spec_hash") != digest:
            raise InputError(str(manifest), "spec_hash", (held or {}).get("spec_hash"),
                             f"the same model choice as the one run there ({digest} now): leave calibrate.dir "
                             "empty (each model choice gets its own folder) or use a new one")
        return
    folder.mkdir(parents=True, exist_ok=True)
    write_json({"spec": spec.identity(), "variants": [v.record() for v in variants],
                "observation": observation.tolist(), "spec_hash": digest, "code_version": code_version(),
                "created": time.strftime("%Y-%m-%dT%H:%M:%S")}, manifest)


def choose_models(spec: CalibrationSpec, scenarios: dict[str, Scenario], base: Params, folder: Path,
                  progress: bool = True, observation: np.ndarray | None = None) -> pd.DataFrame:
    """Run (or resume) the model choice `spec` names (`spec.models`, `spec.repeats`) into
    `folder`, holding its lock; write model_choice.csv (per repeat and model) and
    model_probabilities.csv (per model, over the repeats), and return the latter.

    `observation` replaces the article's (1 for every statistic): e.g. a variant's own
    statistics at known parameters, to check that the choice recovers that variant."""
    if not spec.models:
        raise InputError("config", "calibrate.models", spec.models, "a non-empty list of model variants")
    scenarios = {name: scenarios[name] for name in spec.scenario_names()}
    variants = [load_variant(name) for name in spec.models]
    folder = Path(folder)
    refuse_links(folder, "calibrate.dir", tuple(f"repeat{r}" for r in range(spec.repeats)))
    digest = choice_digest(spec, base, scenarios, observation, code=False)
    names = statistic_names(spec.targets, spec.statistics)
    observation = np.ones(len(names)) if observation is None else np.asarray(observation, dtype=float)
    rows: list[dict[str, Any]] = []
    with (executor(spec.backend, spec.worker_count, spec.scheduler) as engine,
          folder_lock(folder, "model choice", "model_choice.lock")):
        _open(folder, spec, variants, digest, observation)
        with tqdm(total=spec.budget(), unit="particle", desc=f"model choice {spec.name}",
                  disable=not progress) as bar:
            for repeat in range(spec.repeats):
                samplers = _samplers(spec, variants, repeat, scenarios, base, observation, folder, engine)
                bar.update(sum(int(meta["simulated"]) for s in samplers for _, meta in s.history))
                _run_repeat(samplers, bar)
                rows += _repeat_rows(samplers, repeat)
        frame = pd.DataFrame(rows)
        table = probabilities(frame, variants)
        write_csv(frame, folder / "model_choice.csv")
        write_csv(table, folder / "model_probabilities.csv")
    return table
