"""What a run records each quarter: one registry of observables.

Every series of the time-series table is declared here once, with its entity (an
institution or a state), what its name is suffixed with (another state, an institution,
a great power) and how it is read off the state. The per-quarter record, the metric
names of the tables, the metric listing, the comparison metrics and the figure's
components all come from `OBSERVABLES`; adding a metric is one entry.

Institution series are missing (NaN) in the quarters before the institution is founded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from sim.core.state import ParamColumns, State, World
from sim.core.institutions import ACTIVE, HEDGING, OBSERVER, STATUS_NAMES, SUSPENDED, WITHDRAWN
from sim.core.metrics import CLUB_METRICS, club_metrics, good_mean, status_counts
from sim.core.outcomes import Outcome


class Snapshot:
    """The state of R runs at the end of a quarter, with the intermediate results several
    observables share (computed once, when first asked for)."""

    def __init__(self, state: State, world: World, columns: ParamColumns) -> None:
        self.s, self.world, self.P = state, world, columns
        self._club: np.ndarray | None = None
        self._counts: np.ndarray | None = None

    @property
    def club(self) -> np.ndarray:
        """(R, K, 4) cohesion and its three components."""
        if self._club is None:
            self._club = club_metrics(self.s.status, self.s.engagement, self.s.trust, self.s.distance, self.P.table)
        return self._club

    def count(self, status: int) -> np.ndarray:
        """(R, K) members with a status."""
        if self._counts is None:
            self._counts = status_counts(self.s.status, len(STATUS_NAMES))
        return self._counts[:, :, status]

    def delivered(self) -> np.ndarray:
        """(R, K) mean legitimation the members in good standing would draw."""
        return good_mean(self.s.status, self.s.benefit)

    def utility_term(self, weight: str, benefit: np.ndarray) -> np.ndarray:
        """(R, K) mean over the members in good standing of a benefit times its weight in
        the engagement utility (`weight`, a Params field): the term as the members weigh it."""
        return good_mean(self.s.status, self.P.values[weight][:, None, None] * benefit)


@dataclass(frozen=True)
class Observable:
    """One series (or family of series) of the time-series table.

    `compute` returns an (R, entities) array, or (R, entities, others) when `per` names
    what the metric is suffixed with (`trust_in.RUS`: per "state").
    """

    name: str
    entity: str
    doc: str
    compute: Callable[[Snapshot], np.ndarray]
    per: str = ""
    component: bool = False
    compare: bool = False


def _club(metric: str) -> Callable[[Snapshot], np.ndarray]:
    column = CLUB_METRICS.index(metric)
    return lambda snap: snap.club[:, :, column]


OBSERVABLES: tuple[Observable, ...] = (
    Observable("cohesion", "institution", "0-1 index: weighted mean of trust, congruence and engagement "
               "(params.cohesion_*)", _club("cohesion"), component=True, compare=True),
    Observable("trust", "institution", "mean trust among members in good standing", _club("trust"),
               component=True, compare=True),
    Observable("congruence", "institution", "one minus the mean charter-weighted norm distance among "
               "members in good standing", _club("congruence"), component=True, compare=True),
    Observable("engagement", "institution", "mean engagement of the members (suspended ones included)",
               _club("engagement"), component=True, compare=True),
    Observable("functional_output", "institution", "output of pooled investment and adopted projects (0-1)",
               lambda snap: snap.s.functional, compare=True),
    Observable("legitimacy_delivered", "institution", "mean legitimation members in good standing draw",
               Snapshot.delivered, compare=True),
    Observable("legitimation_term", "institution", "mean over members in good standing of w_legitimacy x the "
               "legitimation benefit: its term in their engagement utility",
               lambda snap: snap.utility_term("w_legitimacy", snap.s.benefit)),
    Observable("functional_term", "institution", "mean over members in good standing of w_functional x the "
               "functional benefit: its term in their engagement utility",
               lambda snap: snap.utility_term("w_functional", snap.s.functional_benefit)),
    Observable("hierarchy", "institution", "power lead of the strongest member in good standing",
               lambda snap: snap.s.hierarchy),
    Observable("n_active", "institution", "active members", lambda snap: snap.count(ACTIVE)),
    Observable("n_hedging", "institution", "hedging members", lambda snap: snap.count(HEDGING)),
    Observable("n_suspended", "institution", "suspended members", lambda snap: snap.count(SUSPENDED)),
    Observable("n_withdrawn", "institution", "withdrawn members", lambda snap: snap.count(WITHDRAWN)),
    Observable("n_observer", "institution", "observers", lambda snap: snap.count(OBSERVER)),
    Observable("legitimacy", "state", "legitimacy drawn from the clubs (0-1)", lambda snap: snap.s.legitimacy),
    Observable("insecurity", "state", "regime insecurity (0-1)", lambda snap: snap.s.insecurity),
    Observable("threat_from", "state", "threat perceived from a great power (0-1)",
               lambda snap: snap.s.threat[:, :, snap.world.great_powers], per="great_power"),
    Observable("engagement", "state", "engagement in an institution (0-1)",
               lambda snap: snap.s.engagement.transpose(0, 2, 1), per="institution"),
    Observable("status", "state", "0 none, 1 active, 2 hedging, 3 suspended, 4 withdrawn, 5 observer",
               lambda snap: snap.s.status.transpose(0, 2, 1).astype(float), per="institution"),
    Observable("benefit", "state", "legitimation the state would draw from the institution",
               lambda snap: snap.s.benefit.transpose(0, 2, 1), per="institution"),
    Observable("investment", "state", "a great power's investment in the institution",
               lambda snap: snap.s.investment.transpose(0, 2, 1), per="institution"),
    Observable("trust_in", "state", "trust in another state (0-1)", lambda snap: snap.s.trust,
               per="state"),
)

INSTITUTION_METRICS: tuple[str, ...] = tuple(o.name for o in OBSERVABLES if o.entity == "institution")
STATE_METRICS: tuple[str, ...] = tuple(o.name for o in OBSERVABLES if o.entity == "state" and not o.per)
STATE_FAMILIES: tuple[Observable, ...] = tuple(o for o in OBSERVABLES if o.per)
COMPONENTS: tuple[str, ...] = tuple(o.name for o in OBSERVABLES if o.component)
COMPARE_METRICS: tuple[str, ...] = tuple(o.name for o in OBSERVABLES if o.compare)
_INSTITUTION_SERIES = tuple(o for o in OBSERVABLES if o.entity == "institution")
_STATE_SERIES = tuple(o for o in OBSERVABLES if o.entity == "state" and not o.per)
#: The groups of a run's observations: the institution and the state metrics, then each family.
GROUPS: tuple[str, ...] = ("institutions", "states", *(o.name for o in STATE_FAMILIES))


def record_layout(world: World, groups: Sequence[str] = GROUPS) -> dict[str, tuple[int, int]]:
    """(entities, metrics) of each chosen group's per-quarter record, in GROUPS order."""
    n, k = world.n, len(world.institutions)
    sizes = {"state": n, "institution": k, "great_power": len(world.great_powers)}
    layout = {"institutions": (k, len(_INSTITUTION_SERIES)), "states": (n, len(_STATE_SERIES)),
              **{o.name: (n, sizes[o.per]) for o in STATE_FAMILIES}}
    return {group: layout[group] for group in GROUPS if group in groups}


def record(state: State, world: World, columns: ParamColumns, out: dict[str, np.ndarray], t: int) -> None:
    """Write quarter t's observations of every run into `out`: group -> (R, quarters,
    entities, metrics) arrays laid out by `record_layout`, for the groups it holds; the
    institution metrics are NaN where the institution is not founded."""
    snap = Snapshot(state, world, columns)
    if "institutions" in out:
        block = out["institutions"][:, t]
        for m, o in enumerate(_INSTITUTION_SERIES):
            block[:, :, m] = o.compute(snap)
        if not state.founded.all():
            block[~state.founded] = np.nan
    if "states" in out:
        block = out["states"][:, t]
        for m, o in enumerate(_STATE_SERIES):
            block[:, :, m] = o.compute(snap)
    for o in STATE_FAMILIES:
        if o.name in out:
            out[o.name][:, t] = o.compute(snap)


def groups_for(specs: Sequence[str]) -> tuple[str, ...]:
    """The groups a list of metric specs (`cohesion`, `SCO:trust`, `UZB:engagement.CSTO`)
    reads: a lean record for sweeps that keep a few metrics."""
    needed = set()
    for spec in specs:
        outcome = Outcome.parse(spec)
        if outcome.family != outcome.metric:
            needed.add(outcome.family)
        else:
            needed.add("states" if outcome.metric in STATE_METRICS else "institutions")
    return tuple(g for g in GROUPS if g in needed)


def suffixes(family: Observable, codes: list[str], institutions: list[str], great_powers: list[str]) -> list[str]:
    """The metric names of a family (`trust_in.RUS`, ...)."""
    others = {"state": codes, "institution": institutions, "great_power": great_powers}[family.per]
    return [f"{family.name}.{other}" for other in others]


def blocks(observations: dict[str, np.ndarray], codes: list[str], institutions: list[str],
           great_powers: list[str]) -> list[tuple[np.ndarray, list[str], list[str]]]:
    """Every series a run recorded as blocks (values (steps, entities, metrics), entity
    names, metric names), in table order (GROUPS; a lean record holds some groups only);
    trust_in's diagonal (a state's trust in itself) is the caller's to drop."""
    names = {"institutions": (institutions, list(INSTITUTION_METRICS)), "states": (codes, list(STATE_METRICS)),
             **{f.name: (codes, suffixes(f, codes, institutions, great_powers)) for f in STATE_FAMILIES}}
    return [(observations[group], *names[group]) for group in GROUPS if group in observations]


def block_values(observations: dict[str, np.ndarray]) -> list[np.ndarray]:
    """The value arrays of `blocks`, in table order, without their names (the same for
    every run of a scenario, so a caller naming many runs names the first only)."""
    return [observations[group] for group in GROUPS if group in observations]
