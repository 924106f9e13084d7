"""The Mesa face of the model: one run of the engine as a `mesa.Model`.

`ProtectiveIntegrationModel` wraps an `Engine` of one run (sim.core.engine). Its `step()`
advances the engine one quarter (the scenario's events, then socialisation, insecurity
and threat, what each club delivers, engagement and forgetting) and lets Mesa's
`DataCollector` record the institutions' metrics under their names. Its state agents are
the cast; what they decide is computed by the engine's choice rules (sim.core.decisions)
for all of them at once. Use this class for one run you want to watch or step by hand,
for `mesa.batch_run` and for the explorer; the experiment engine runs ensembles through
`Engine` directly (same numbers, without Mesa's per-run costs).
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import mesa
import numpy as np

from sim.core.engine import Engine, RunResult
from sim.core.observables import INSTITUTION_METRICS
from sim.core.state import State
from sim.core.institutions import DECISION_RULES, standing
from sim.core.params import PARAM_NAMES, Params, check_params
from sim.scenarios.schema import Scenario


class StateAgent(mesa.Agent):
    """One state of the cast: its row of the model's arrays."""

    model: "ProtectiveIntegrationModel"

    def __init__(self, model: "ProtectiveIntegrationModel", index: int, code: str) -> None:
        super().__init__(model)
        self.index = index
        self.code = code

    @property
    def engagement(self) -> dict[str, float]:
        """Engagement in each institution (0-1)."""
        return {code: float(self.model.engagement[k, self.index])
                for k, code in enumerate(self.model.institution_codes)}

    @property
    def legitimacy(self) -> float:
        """Legitimacy the state's regime draws from its clubs (0-1)."""
        return float(self.model.legitimacy[self.index])


@dataclass(frozen=True)
class InstitutionView:
    """One institution of a model, read from the model's arrays."""

    model: "ProtectiveIntegrationModel"
    index: int

    @property
    def code(self) -> str:
        """Short code of the institution (e.g. SCO)."""
        return self.model.institution_codes[self.index]

    @property
    def status(self) -> np.ndarray:
        """Every state's membership status (sim.core.institutions codes)."""
        return self.model.status[self.index]

    @property
    def good(self) -> np.ndarray:
        """Mask of the members in good standing (active or hedging)."""
        return standing(self.status)[0]

    @property
    def founded(self) -> bool:
        """Whether the institution exists yet."""
        return bool(self.model.founded[self.index])

    @property
    def decision_rule(self) -> str:
        """The decision rule in force."""
        return DECISION_RULES[int(self.model.rule[self.index])]


class ProtectiveIntegrationModel(mesa.Model):
    """Agent-based model of protective integration in Eurasian regional organisations.

    Args:
        scenario: a validated `Scenario` (cast, institutions, dated events, horizon).
        params: behavioural parameters (a `Params` or a mapping of overrides).
        seed / rng: an integer seed for `model.rng`, the run's only source of randomness
            (`mesa.batch_run` passes its `rng` values here).
        **param_values: individual parameter overrides (for `mesa.batch_run`).

    Every array of the run's state (`sim.core.state.State`) reads as a property of the
    same name: `model.trust` (N, N), `model.engagement` (K, N), ...
    """

    def __init__(self, scenario: Scenario, params: Params | Mapping[str, Any] | None = None,
                 seed: int | None = None, rng: int | None = None, **param_values: Any) -> None:
        if seed is not None and rng is not None:
            raise ValueError("pass either seed or rng, not both")
        seed = seed if seed is not None else rng
        super().__init__(rng=seed)
        self.seed = seed
        self.params = _resolve_params(params, param_values)
        self.engine = Engine(scenario, [self.params], [seed], rngs=[self.rng])
        self.codes = list(scenario.cast.codes)
        self.institution_codes = [spec.code for spec in scenario.institutions]
        self.institutions = [InstitutionView(self, k) for k in range(len(self.institution_codes))]
        self.by_code = {inst.code: inst for inst in self.institutions}
        for i, code in enumerate(self.codes):
            StateAgent(self, i, code)
        self.latest: list[float] = []  # the last quarter's institution metrics, what the reporters read
        self.datacollector = mesa.DataCollector(model_reporters=_reporters(self.institution_codes))

    @property
    def scenario(self) -> Scenario:
        """The scenario this model runs (the engine's)."""
        return self.engine.scenario

    @scenario.setter
    def scenario(self, value: object) -> None:
        """Mesa >= 3.5 also calls what a model runs its scenario and, as `Model.__init__`
        starts, stores a default one of its own (which would point back at the model); this
        model's scenario is the engine's, so that default is not kept, and a scenario
        cannot be swapped once the engine exists (build a new model instead)."""
        if "engine" in self.__dict__:
            raise AttributeError("a model's scenario is fixed once built; build a new model")

    @property
    def n(self) -> int:
        """Number of states in the cast."""
        return len(self.codes)

    @property
    def n_steps(self) -> int:
        """Quarters in the scenario's horizon."""
        return self.scenario.n_steps

    @property
    def great_power_codes(self) -> list[str]:
        """The codes of the cast's great powers."""
        return [self.codes[g] for g in self.engine.world.great_powers]

    def step(self) -> None:
        """Advance one quarter: the engine's schedule, then Mesa's record of it. A finished
        run stays as it is (Mesa still counts the call in `model.steps`)."""
        if self.engine.done:
            self.running = False
            return
        self.engine.step()
        self.latest = self.engine.records["institutions"][0, self.engine.t - 1].ravel().tolist()
        self.datacollector.collect(self)
        self.running = not self.engine.done

    def run_model(self) -> None:
        """Run to the end of the scenario's horizon."""
        while self.running:
            self.step()

    def result(self) -> RunResult:
        """The run's records so far (observations and decisions)."""
        return self.engine.result(0)

    def observations(self) -> dict[str, np.ndarray]:
        """group -> (quarters, entities, metrics) arrays (sim.core.observables)."""
        return self.result().observations()

    @property
    def decisions(self) -> list[dict[str, Any]]:
        """Every decision the run made so far, one mapping per row."""
        return self.result().decisions

    @property
    def rows(self) -> list[tuple]:
        """Every decision the run made so far, as rows (sim.core.operations.DECISION_FIELDS)."""
        return self.engine.log.rows[0]


def batch_run_arguments(parameters: Mapping[str, Any], seeds: Sequence[int]) -> dict[str, Any]:
    """Keyword arguments of `mesa.batch_run` for one run per seed at every point of
    `parameters`, on any Mesa 3.x: Mesa >= 3.5 seeds runs through its own `rng` argument
    (and would replace a `seed` among the parameters with it), Mesa 3.3 has no `rng` and
    takes the seeds as a parameter. Either way each run gets `seed=` one of `seeds`."""
    if "rng" in inspect.signature(mesa.batch_run).parameters:
        return {"parameters": dict(parameters), "rng": list(seeds)}
    return {"parameters": {**parameters, "seed": list(seeds)}, "iterations": 1}


def _state_property(name: str, doc: str) -> property:
    return property(lambda self: getattr(self.engine.state, name)[0], doc=doc)


for _field in fields(State):
    setattr(ProtectiveIntegrationModel, _field.name, _state_property(_field.name, _field.metadata["doc"]))


def _reporters(institutions: list[str]) -> dict[str, Any]:
    """Mesa reporters `SCO.cohesion`, ...: every institution metric of the quarter just run
    (read from `model.latest`, the quarter's institution record as a flat list)."""
    def reporter(position: int):
        return lambda model: model.latest[position]
    names = [f"{code}.{metric}" for code in institutions for metric in INSTITUTION_METRICS]
    return {name: reporter(position) for position, name in enumerate(names)}


def _resolve_params(params: Params | Mapping[str, Any] | None, extra: Mapping[str, Any]) -> Params:
    base = {name: getattr(params, name) for name in PARAM_NAMES} if isinstance(params, Params) else dict(params or {})
    base.update(extra)
    return check_params(base, source="model parameters")
