"""The state of R runs of one scenario: every array declared once, runs leading.

`State` holds what changes during a run (trust, norms, engagement, ...; (R, ...)
arrays); `World` holds what the cast and the institutions' specs fix for every run (codes,
regions, dependence, charters, calendars). Shapes use N states, K institutions, D norms.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from types import SimpleNamespace
from typing import TYPE_CHECKING

import numpy as np

from sim.core.institutions import DECISION_RULES

if TYPE_CHECKING:
    from sim.core.plan import Plan


def _array(shape: str, dtype: type = float, doc: str = "") -> np.ndarray:
    return field(metadata={"shape": tuple(shape.split()) if shape else (), "dtype": dtype, "doc": doc})


@dataclass
class State:
    """Every dynamic quantity of R runs; the leading axis of each array is the run."""

    positive: np.ndarray = _array("N N", doc="positive experience of i with j (beta reputation)")
    negative: np.ndarray = _array("N N", doc="negative experience of i with j (grievance included)")
    grievance: np.ndarray = _array("N N", doc="the part of `negative` that records breaches by j (slow to fade)")
    trust: np.ndarray = _array("N N", doc="trust of i in j, (r + 1) / (r + s + 2)")
    rivalry: np.ndarray = _array("N N", doc="standing rivalry (relations table; leadership changes)")
    baseline_threat: np.ndarray = _array("N N", doc="threat i feels from great power j at rest")
    threat: np.ndarray = _array("N N", doc="threat i feels from j")
    norms: np.ndarray = _array("N D", doc="norm positions in [0, 1]")
    distance: np.ndarray = _array("K N N", doc="charter-weighted norm distance in each institution")
    power: np.ndarray = _array("N", doc="material power")
    illiberalism: np.ndarray = _array("N", doc="illiberalism of the regime")
    base_insecurity: np.ndarray = _array("N", doc="regime insecurity without pressure")
    sovereignty: np.ndarray = _array("N", doc="sovereignty sensitivity")
    separatism: np.ndarray = _array("N", doc="separatism exposure")
    pressure: np.ndarray = _array("N", doc="decaying pressure on the regime (protests, crises)")
    insecurity: np.ndarray = _array("N", doc="regime insecurity")
    legitimacy: np.ndarray = _array("N", doc="legitimacy drawn from the clubs")
    outside: np.ndarray = _array("N", doc="value of a great power's outside channels")
    status: np.ndarray = _array("K N", np.int8, doc="membership status (sim.core.institutions codes)")
    engagement: np.ndarray = _array("K N", doc="engagement in each institution")
    investment: np.ndarray = _array("K N", doc="a great power's investment in each institution")
    suspended_for: np.ndarray = _array("K N", np.int64, doc="quarters spent suspended")
    shares: np.ndarray = _array("K N", doc="share of the power in good standing")
    utility: np.ndarray = _array("K N", doc="payoff of staying engaged")
    benefit: np.ndarray = _array("K N", doc="legitimation a member would draw")
    functional_benefit: np.ndarray = _array("K N", doc="functional benefit a member would draw")
    projects: np.ndarray = _array("K", doc="output of adopted great-power projects")
    hierarchy: np.ndarray = _array("K", doc="power lead of the strongest member in good standing")
    functional: np.ndarray = _array("K", doc="functional output")
    founded: np.ndarray = _array("K", bool, doc="whether the institution exists yet")
    intrastate_mandate: np.ndarray = _array("K", bool, doc="mandate for intrastate crises")
    collective_defence: np.ndarray = _array("K", bool, doc="mandate for collective defence")
    rule: np.ndarray = _array("K", np.int8, doc="decision rule, index into DECISION_RULES")
    operation_rule: np.ndarray = _array("K", np.int8, doc="quota for collective operations, index into DECISION_RULES")

    @classmethod
    def zeros(cls, runs: int, n: int, k: int, d: int) -> "State":
        """A state of `runs` runs (N = n states, K = k institutions, D = d norms), every
        array zero (False) with its declared shape."""
        sizes = {"N": n, "K": k, "D": d}
        return cls(**{f.name: np.zeros((runs, *(sizes[s] for s in f.metadata["shape"])),
                                       dtype=f.metadata["dtype"]) for f in fields(cls)})

    @property
    def runs(self) -> int:
        """Number of runs (the leading axis)."""
        return self.trust.shape[0]


@dataclass(frozen=True)
class World:
    """What every run of a scenario shares and no event changes."""

    codes: list[str]
    is_state: np.ndarray
    region: np.ndarray
    great_power: np.ndarray
    great_powers: np.ndarray
    security_dependence: np.ndarray
    economic_dependence: np.ndarray
    compatriots: np.ndarray
    charters: np.ndarray
    setters: np.ndarray
    setter_order: tuple[tuple[int, ...], ...]
    summits: np.ndarray
    ministerials: np.ndarray
    institutions: tuple[str, ...]
    off_diagonal: np.ndarray
    norm_names: tuple[str, ...]
    territorial_integrity: int

    @property
    def n(self) -> int:
        """Number of states in the cast."""
        return len(self.codes)

    @classmethod
    def of(cls, plan: "Plan") -> "World":
        """The shared data of a compiled scenario's cast and institutions."""
        cast, specs = plan.cast, plan.institutions
        n = cast.size
        setters = np.zeros((len(specs), n), dtype=bool)
        for row, spec in enumerate(specs):
            setters[row, spec.agenda_setters] = True
        quarters = np.arange(1, 5)
        rel = cast.relations
        return cls(
            codes=list(cast.codes), is_state=np.array([k == "state" for k in cast.kinds]),
            region=np.array(cast.regions), great_power=cast.great_power.astype(float),
            great_powers=np.flatnonzero(cast.great_power),
            security_dependence=rel["security_dependence"].copy(),
            economic_dependence=rel["economic_dependence"].copy(),
            compatriots=rel["compatriot_exposure"].copy(),
            charters=np.array([s.charter / s.charter.sum() for s in specs]).T,
            setters=setters, setter_order=tuple(tuple(s.agenda_setters) for s in specs),
            summits=np.array([[q in s.summit_quarters for s in specs] for q in quarters], dtype=float),
            ministerials=np.array([[q in s.ministerial_quarters for s in specs] for q in quarters],
                                  dtype=float),
            institutions=tuple(s.code for s in specs), off_diagonal=1.0 - np.eye(n),
            norm_names=cast.norm_names, territorial_integrity=cast.norm_names.index("territorial_integrity"))


def initial_state(plan: "Plan", columns: "ParamColumns") -> State:
    """Every run at the scenario's start: the cast's data, experience from the relations
    table (at its steady state under the run's memory), institutions not yet founded."""
    cast, specs = plan.cast, plan.institutions
    s = State.zeros(columns.runs, cast.size, len(specs), len(cast.norm_names))
    rel = cast.relations
    for name, attribute in (("power", "power"), ("illiberalism", "illiberalism"),
                            ("base_insecurity", "insecurity"), ("sovereignty", "sovereignty_sensitivity"),
                            ("separatism", "separatism_exposure")):
        getattr(s, name)[:] = cast.attributes[attribute]
    s.norms[:] = cast.norms
    s.rivalry[:] = rel["rivalry"]
    p = columns.like(s.positive)
    s.positive[:] = rel["partnership"] * p.trust_gain / (1.0 - p.retention)
    s.negative[:] = s.rivalry * p.rivalry_friction / (1.0 - p.retention)
    s.baseline_threat[:] = s.rivalry * cast.great_power.astype(float)[None, :]
    s.threat[:] = s.baseline_threat
    s.insecurity[:] = s.base_insecurity
    s.intrastate_mandate[:] = [spec.intrastate_mandate for spec in specs]
    s.collective_defence[:] = [spec.collective_defence for spec in specs]
    s.rule[:] = [DECISION_RULES.index(spec.decision_rule) for spec in specs]
    s.operation_rule[:] = [DECISION_RULES.index(spec.operation_rule) for spec in specs]
    return s


class ParamColumns:
    """The parameters of R runs as columns that broadcast against (R, ...) arrays.

    `table` holds them as a record array (run r's parameters are `table[r].name`, what
    the compiled processes read), followed by the fixed assumptions (`params.CONSTANTS`),
    the same in every run. `like(array)` shapes every column for that array's rank, so a column can never meet an
    array of another rank (an (R, 1) column against an (R, N) array would broadcast to
    (R, R, N) without a word); an array whose leading axis is not the runs is refused.
    """

    def __init__(self, params: "list[Params]") -> None:
        from sim.core.params import CONSTANTS, PARAM_NAMES, retention
        self.runs = len(params)
        names = (*PARAM_NAMES, *CONSTANTS, "retention")
        fixed = [c.value for c in CONSTANTS.values()]
        rows = np.array([[getattr(p, name) for name in PARAM_NAMES] + fixed + [retention(p)] for p in params],
                        dtype=float)
        self.values = {name: rows[:, j].copy() for j, name in enumerate(names)}
        self.table = rows.view([(name, float) for name in names])[:, 0]
        self._shaped: dict[int, SimpleNamespace] = {}

    def like(self, array: np.ndarray) -> SimpleNamespace:
        """Every parameter as an (R, 1, ...) column of `array`'s rank."""
        if array.ndim < 1 or array.shape[0] != self.runs:
            raise ValueError(f"parameter columns of {self.runs} runs cannot broadcast against an "
                             f"array of shape {array.shape}: its leading axis must be the runs")
        if array.ndim not in self._shaped:
            shape = (self.runs,) + (1,) * (array.ndim - 1)
            self._shaped[array.ndim] = SimpleNamespace(**{k: v.reshape(shape) for k, v in self.values.items()})
        return self._shaped[array.ndim]


if TYPE_CHECKING:
    from sim.core.params import Params
