"""The engine: R runs of one scenario advanced together, quarter by quarter.

`Engine.step()` is the model's only scheduler. Each quarter it (1) applies the scenario's
events dated in it, through `Operations`, to every run at once; then (2) lets the
institutions meet (socialisation: trust and norm convergence), (3) updates pressure,
regime insecurity and threat, (4) computes what each club delivers (legitimation,
investment, output, the utility of staying engaged), (5) lets each member revise its
engagement, (6) discounts old experience, and records the quarter's observables
(docs/ODD.md, 'Process overview and scheduling').

Runs may differ in parameters and seed, not in scenario. A run's numbers do not depend on
the runs it is advanced with: each draws from its own generator and two child streams in
the order it would alone (`draw_noise`), parameters enter as per-run columns, and the
compiled processes work on one run at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from sim.core import processes
from sim.core.observables import GROUPS, record, record_layout
from sim.core.operations import DECISION_FIELDS, DecisionLog, Operations
from sim.core.plan import Compiles, Plan, plan_of
from sim.core.state import ParamColumns, World, initial_state

if TYPE_CHECKING:
    from sim.core.params import Params


class Engine:
    """R runs of one scenario: their state (`state`), parameters (`columns`), generators
    (`rngs`) and pre-drawn quarterly noise (`experience`, `draws`), decision log (`log`)
    and records (`records`: group -> (R, quarters, entities, metrics), filled up to
    quarter `t`)."""

    def __init__(self, scenario: Plan | Compiles, params: Sequence["Params"], seeds: Sequence[int | None],
                 rngs: Sequence[np.random.Generator] | None = None, groups: Sequence[str] = GROUPS,
                 decisions: bool = True) -> None:
        """`scenario`: a `Plan` or what compiles to one (kept as `scenario`, its plan as
        `plan`); `rngs`: the runs' generators (default: one seeded with each run's seed), e.g. a
        Mesa model's `model.rng`; `groups`: the observables to record (default all; a sweep
        that keeps a few metrics records only their groups, `observables.groups_for`);
        `decisions`: whether to keep the decision log (a sweep does not)."""
        if len(params) != len(seeds) or not params:
            raise ValueError("an engine needs one parameter set per seed, and at least one run")
        self.scenario = scenario
        self.plan = plan = plan_of(scenario)
        self.world = World.of(plan)
        self.params = list(params)
        self.seeds = list(seeds)
        self.columns = ParamColumns(self.params)
        self.rngs = list(rngs) if rngs is not None else [np.random.default_rng(seed) for seed in self.seeds]
        self.state = initial_state(plan, self.columns)
        processes.refresh_trust(self.state)
        processes.refresh_distance(self.state, self.world)
        self.log = DecisionLog(len(self.params), enabled=decisions)
        self.ops = Operations(self.state, self.world, self.columns, self.rngs, self.log)
        self.experience, self.draws = draw_noise(self.rngs, self.columns, plan.n_steps, self.world)
        self.t = 0
        self.records = {group: np.full((self.runs, plan.n_steps, *shape), np.nan)
                        for group, shape in record_layout(self.world, groups).items()}

    @property
    def runs(self) -> int:
        """Number of runs."""
        return len(self.params)

    @property
    def done(self) -> bool:
        """Whether the runs have reached the end of the scenario's horizon."""
        return self.t >= self.plan.n_steps

    def step(self) -> None:
        """Advance every run one quarter."""
        if self.done:
            return
        self.apply_events()
        self.advance()
        record(self.state, self.world, self.columns, self.records, self.t)
        self.t += 1

    def run(self) -> "Engine":
        """Advance to the end of the scenario's horizon."""
        while not self.done:
            self.step()
        return self

    def apply_events(self) -> None:
        """Process 1 of the schedule: the operations dated in this quarter, in order."""
        self.log.step, self.log.date = self.t, self.plan.dates[self.t]
        for key, action in self.plan.actions[self.t]:
            self.log.event = key
            action(self.ops)
        self.log.event = ""

    def advance(self) -> None:
        """Processes 2-6 for every run (the dynamics between events)."""
        s, world, P = self.state, self.world, self.columns
        processes.socialise(s, world, P, self.plan.quarters[self.t], self.experience[:, self.t])
        processes.refresh_distance(s, world)
        processes.update_insecurity_and_threat(s, P)
        processes.update_clubs(s, world, P)
        moves = processes.engagement_moves(s, P, self.draws[:, self.t])
        if moves.any():
            for code, (new, reason) in enumerate(processes.MOVES, start=1):
                for r, k, i in zip(*np.nonzero(moves == code)):
                    self.ops.change_status(int(r), int(k), int(i), new, reason)
        processes.forget(s, P)

    def result(self, r: int) -> "RunResult":
        """Run r's records so far (read-only views of the engine's records)."""
        observations = {}
        for name, values in self.records.items():
            observations[name] = view = values[r, :self.t]
            view.flags.writeable = False
        return RunResult(self.scenario, self.plan, self.params[r], self.seeds[r], observations, self.log.rows[r])

    def results(self) -> list["RunResult"]:
        """Every run's records, in run order."""
        return [self.result(r) for r in range(self.runs)]


def draw_noise(rngs: Sequence[np.random.Generator], columns: ParamColumns, quarters: int,
               world: World) -> tuple[np.ndarray, np.ndarray]:
    """Every run's quarterly noise for the whole horizon, drawn up front: (R, quarters, N,
    N) log-normal experience noise with mean 1 (spread `experience_noise`) and (R,
    quarters, K, N) uniform engagement draws, each from its own child stream spawned from
    the run's generator. The events' decisions draw from the generator itself, so neither
    kind of noise shifts the other, and a longer horizon leaves the first quarters' noise
    as it was."""
    n, k = world.n, len(world.institutions)
    sigma = columns.values["experience_noise"]
    experience = np.empty((len(rngs), quarters, n, n))
    draws = np.empty((len(rngs), quarters, k, n))
    for r, rng in enumerate(rngs):
        stream, hazards = rng.spawn(2)
        noise = stream.standard_normal(out=experience[r])
        noise *= sigma[r]
        noise -= 0.5 * sigma[r] ** 2
        np.exp(noise, out=noise)
        hazards.random(out=draws[r])
    return experience, draws


@dataclass
class RunResult:
    """What one finished run leaves: its observations (group -> (quarters, entities,
    metrics)) and its decisions (rows in DECISION_FIELDS order), with its scenario (as
    given to the engine), plan, parameters and seed."""

    scenario: Plan | Compiles
    plan: Plan
    params: "Params"
    seed: int | None
    series: dict[str, np.ndarray]
    rows: list[tuple] = field(repr=False)

    @property
    def codes(self) -> list[str]:
        """The cast's state codes."""
        return self.plan.cast.codes

    @property
    def institution_codes(self) -> list[str]:
        """The scenario's institution codes."""
        return [spec.code for spec in self.plan.institutions]

    @property
    def great_power_codes(self) -> list[str]:
        """The codes of the cast's great powers."""
        return [self.codes[g] for g in np.flatnonzero(self.plan.cast.great_power)]

    def observations(self) -> dict[str, np.ndarray]:
        """group -> (quarters, entities, metrics) arrays (sim.core.observables.GROUPS)."""
        return self.series

    @property
    def decisions(self) -> list[dict]:
        """The decision rows as mappings (column -> value)."""
        return [dict(zip(DECISION_FIELDS, row)) for row in self.rows]


def run_engine(scenario: Plan | Compiles, runs: Sequence[tuple["Params", int | None]],
               groups: Sequence[str] = GROUPS, decisions: bool = True) -> list[RunResult]:
    """Run (parameters, seed) pairs of one scenario together; their results (recording the
    given observable groups, and the decisions unless `decisions` is false), in order."""
    return Engine(scenario, [p for p, _ in runs], [seed for _, seed in runs], groups=groups,
                  decisions=decisions).run().results()
