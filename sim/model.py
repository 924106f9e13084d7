"""The Mesa face of the model: one run of the engine as a `mesa.Model`.

`ProtectiveIntegrationModel` wraps an `Engine` of one run (sim.core.engine). Its `step()`
advances the engine one quarter (the scenario's events, then socialisation, insecurity
and threat, what each club delivers, engagement and forgetting) and lets Mesa's
`DataCollector` record the institutions' metrics under their names (and, when asked, the
states' quantities). Its state agents (`model.agents`) are the cast: each reads its
entries of the engine's arrays as properties, so Mesa's `select`, `groupby` and `agg`
work on them; what they decide is computed by the engine's choice rules
(sim.core.decisions) for all of them at once. Use this class for one run you want to
watch or step by hand, for `mesa.batch_run` and for the explorer; the experiment engine
runs ensembles through `Engine` directly (same numbers, without Mesa's per-run costs).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import mesa
import numpy as np

from sim.core.engine import Engine, RunResult
from sim.core.observables import INSTITUTION_METRICS
from sim.core.state import State
from sim.core.institutions import DECISION_RULES, STATUS_NAMES, standing
from sim.core.params import PARAM_NAMES, Params, check_params
from sim.scenarios.schema import Scenario


#: What a per-state array of the engine is keyed by, from its declared shape
#: (`sim.core.state.State`): a number, or one value per other state, institution or norm.
_KEYED_BY = {("N",): "", ("N", "N"): "state", ("K", "N"): "institution", ("N", "D"): "norm"}

#: Every per-state quantity a `StateAgent` reads, in `State` order: the names of its
#: properties, and what `agent_reporters` may ask for.
AGENT_QUANTITIES: tuple[str, ...] = tuple(f.name for f in fields(State) if f.metadata["shape"] in _KEYED_BY)
_SHAPES = {f.name: f.metadata["shape"] for f in fields(State)}


class StateAgent(mesa.Agent):
    """One state of the cast, reading its entries of the engine's arrays.

    Every per-state quantity of the engine (`AGENT_QUANTITIES`, the fields of
    `sim.core.state.State`) is a property of the current quarter (the state after the last
    quarter run): a number (`insecurity`, `legitimacy`, ...) or a mapping keyed by the other
    states (`trust`, `threat`, ...), by institution (`engagement`, `status` as names, ...) or
    by norm (`norms`). Properties read the arrays when asked, so agents cost a run nothing;
    what the states decide is computed by the engine's choice rules for all of them at once.
    """

    model: "ProtectiveIntegrationModel"

    def __init__(self, model: "ProtectiveIntegrationModel", index: int, code: str) -> None:
        super().__init__(model)
        self.index = index
        self.code = code

    @property
    def region(self) -> str:
        """The state's region (the cast's data; fixed)."""
        return str(self.model.engine.world.region[self.index])

    def keys(self, quantity: str) -> list[str]:
        """What a quantity is keyed by for this state: the other states' codes, the
        institutions' codes or the norms; empty for a number."""
        return [key for key in _keys(self.model, quantity) if key != self.code]

    def value(self, quantity: str, key: str | None = None) -> float | int | bool | str:
        """One entry of a quantity at the current quarter (`key` for a keyed one: a state,
        institution or norm); a status reads as its name (`active`, `hedging`, ...)."""
        array = getattr(self.model.engine.state, quantity)[0]
        over = _KEYED_BY[_SHAPES[quantity]]
        if over == "":
            entry = array[self.index]
        elif over == "institution":
            entry = array[self.model.institution_codes.index(key), self.index]
        else:
            keys = self.model.codes if over == "state" else self.model.engine.world.norm_names
            entry = array[self.index, keys.index(key)]
        return STATUS_NAMES[entry] if quantity == "status" else entry.item()


def _keys(model: "ProtectiveIntegrationModel", quantity: str) -> list[str]:
    """Every key of a quantity in a model: all the states' codes, the institutions' codes
    or the norms; empty for a number."""
    over = _KEYED_BY[_SHAPES[quantity]]
    return {"": [], "state": model.codes, "institution": model.institution_codes, "norm": list(model.engine.world.norm_names)}[over]


def _agent_property(name: str, doc: str) -> property:
    if _KEYED_BY[_SHAPES[name]] == "":
        return property(lambda agent: agent.value(name), doc=f"{doc} (current quarter).")
    return property(lambda agent: {key: agent.value(name, key) for key in agent.keys(name)},
                    doc=f"{doc} (current quarter), keyed by {_KEYED_BY[_SHAPES[name]]}.")


for _field in fields(State):
    if _field.name in AGENT_QUANTITIES:
        setattr(StateAgent, _field.name, _agent_property(_field.name, _field.metadata["doc"]))


def state_reporters(model: "ProtectiveIntegrationModel", quantities: Sequence[str]) -> dict[str, Callable | str]:
    """Mesa agent reporters of the given quantities, one column per number: `insecurity`,
    `engagement.CSTO`, `trust.RUS` (NaN in RUS's own row: a state's trust in itself is
    not a relation), `norms.multipolarity`, ...; with any, the state's `code` first (the
    DataCollector indexes rows by Mesa's agent id)."""
    unknown = sorted(set(quantities) - set(AGENT_QUANTITIES))
    if unknown:
        raise ValueError(f"agent_reporters: unknown {unknown}; allowed: {', '.join(AGENT_QUANTITIES)}")
    def number(name: str) -> Callable:
        return lambda agent: agent.value(name)
    def entry(name: str, key: str) -> Callable:
        return lambda agent: agent.value(name, key) if key != agent.code else np.nan
    reporters: dict[str, Callable | str] = {"code": "code"} if quantities else {}
    for name in quantities:
        keys = _keys(model, name)
        if not keys:
            reporters[name] = number(name)
        for key in keys:
            reporters[f"{name}.{key}"] = entry(name, key)
    return reporters


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

    @property
    def operation_rule(self) -> str:
        """The quota in force for collective operations."""
        return DECISION_RULES[int(self.model.operation_rule[self.index])]


class ProtectiveIntegrationModel(mesa.Model):
    """Agent-based model of protective integration in Eurasian regional organisations.

    Args:
        scenario: a validated `Scenario` (cast, institutions, dated events, horizon).
        params: behavioural parameters (a `Params` or a mapping of overrides).
        seed / rng: an integer seed for `model.rng`, the run's only source of randomness
            (`mesa.batch_run` passes its `rng` values here).
        agent_reporters: the per-state quantities (`AGENT_QUANTITIES`) the DataCollector
            records for every state each quarter (`"all"` for every one); none by default,
            so a batch of runs pays nothing for them.
        **param_values: individual parameter overrides (for `mesa.batch_run`).

    Every array of the run's state (`sim.core.state.State`) reads as a property of the
    same name: `model.trust` (N, N), `model.engagement` (K, N), ...; each state agent
    (`model.agents`) reads its own entries.
    """

    def __init__(self, scenario: Scenario, params: Params | Mapping[str, Any] | None = None,
                 seed: int | None = None, rng: int | None = None,
                 agent_reporters: str | Sequence[str] = (), **param_values: Any) -> None:
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
        quantities = AGENT_QUANTITIES if agent_reporters == "all" else (
            [agent_reporters] if isinstance(agent_reporters, str) else list(agent_reporters))
        self.datacollector = mesa.DataCollector(model_reporters=_reporters(self.institution_codes),
                                                agent_reporters=state_reporters(self, quantities))

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
        return self.engine.scenario.n_steps

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


def run_one(scenario: Scenario, params: Params, seed: int) -> ProtectiveIntegrationModel:
    """Build and run one model to the end of its scenario."""
    model = ProtectiveIntegrationModel(scenario, params, seed=seed)
    model.run_model()
    return model


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
