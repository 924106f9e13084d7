"""The quarterly dynamics, computed for a batch of runs at once.

A `RunBatch` holds R runs of one scenario in lockstep. Every dynamic quantity lives in a
stacked array with a leading run axis (trust is (R, N, N), engagement (R, K, N), ...) and
each run's `ProtectiveIntegrationModel` holds views of its own slice, so its events and
its state agents read and write that memory directly. When every run of the batch has
applied its events for the quarter, one array operation advances all of them through
socialisation, insecurity and threat, what each club delivers, the members' engagement
decisions and forgetting (docs/ODD.md, 'Process overview and scheduling'). A model built
on its own has a batch of one; the experiment engine batches the runs of a chunk, so one
numpy call serves many seeds and parameter points.

A run's numbers do not depend on its batch: each run draws from its own `model.rng` in
the order it would alone, parameters enter as per-run columns, and every reduction runs
along the same axis and length whatever R is (a test compares batched and single runs
exactly).
"""

from __future__ import annotations

from dataclasses import fields
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.agents import revise_engagement
from sim.cast import NORMS
from sim.institutions import ACTIVE, HEDGING, OBSERVER, standing
from sim.metrics import CLUB_METRICS, closeness, club_metrics, norm_distances
from sim.params import Params, retention
from sim.scenario import Scenario

if TYPE_CHECKING:
    from sim.model import ProtectiveIntegrationModel

#: The stacked arrays; a run's model holds views of its slice under the same names.
STACKED = ("positive", "negative", "trust", "rivalry", "baseline_threat", "threat", "norms",
           "distance", "power", "illiberalism", "base_insecurity", "sovereignty", "separatism",
           "pressure", "insecurity", "legitimacy", "outside", "status", "engagement", "investment",
           "suspended_for", "shares", "utility", "benefit", "projects", "hierarchy", "functional")
PARAM_NAMES = tuple(f.name for f in fields(Params))
#: Per-state quantities in each snapshot (records name them after these arrays).
STATE_METRICS = ("legitimacy", "insecurity")


def refresh_trust(positive: np.ndarray, negative: np.ndarray, trust: np.ndarray) -> None:
    """Beta-reputation trust (Josang & Ismail 2002), (r + 1) / (r + s + 2), written into `trust`.

    Works on one run's (N, N) arrays or a batch's (R, N, N); self-trust is 1.
    """
    np.divide(positive + 1.0, positive + negative + 2.0, out=trust)
    diagonal = np.arange(trust.shape[-1])
    trust[..., diagonal, diagonal] = 1.0


class RunBatch:
    """R runs of one scenario advanced together, quarter by quarter.

    Build it with the number of runs, then build each run's model with `batch=` this
    object (the model joins in the next free slot); `run()` advances them all to the end
    of the scenario. Runs may differ in parameters and seed, not in scenario.
    """

    def __init__(self, scenario: Scenario, size: int) -> None:
        if size < 1:
            raise ValueError("a batch needs at least one run")
        cast = scenario.cast
        n, k, d = cast.size, len(scenario.institutions), len(NORMS)
        self.scenario, self.size = scenario, size
        self.models: list[ProtectiveIntegrationModel] = []
        self._waiting: set[int] = set()
        self._columns: dict[int, SimpleNamespace] = {}
        self._params = np.zeros((size, len(PARAM_NAMES)))
        shapes = {"positive": (n, n), "negative": (n, n), "trust": (n, n), "rivalry": (n, n),
                  "baseline_threat": (n, n), "threat": (n, n), "norms": (n, d), "distance": (k, n, n),
                  "status": (k, n), "engagement": (k, n), "investment": (k, n), "suspended_for": (k, n),
                  "shares": (k, n), "utility": (k, n), "benefit": (k, n),
                  "projects": (k,), "hierarchy": (k,), "functional": (k,)}
        types = {"status": np.int8, "suspended_for": np.int64}
        for name in STACKED:
            setattr(self, name, np.zeros((size, *shapes.get(name, (n,))), dtype=types.get(name, float)))
        self.charters = np.array([s.charter / s.charter.sum() for s in scenario.institutions]).T
        self.off_diagonal = 1.0 - np.eye(n)
        self.setters = np.zeros((k, n), dtype=bool)
        for row, spec in enumerate(scenario.institutions):
            self.setters[row, spec.agenda_setters] = True
        self.security_dependence = cast.relations["security_dependence"]
        self.great_powers = np.flatnonzero(cast.great_power)
        raw = ("trust", "norms", "status", "engagement", "benefit", "investment")
        self.layout = _layout({"metrics": (k, len(CLUB_METRICS)),
                               **{name: getattr(self, name).shape[1:] for name in raw},
                               "club": (k, 3), "states": (n, len(STATE_METRICS)),
                               "threat": (n, len(self.great_powers))})
        self.snapshots = np.zeros((size, 0))

    # -- membership of the batch ------------------------------------------------------
    def join(self, model: "ProtectiveIntegrationModel") -> int:
        """Give `model` the next free slot; returns it. Its parameters become its columns."""
        if model.scenario is not self.scenario:
            raise ValueError("every run of a batch must share the batch's scenario object")
        if len(self.models) >= self.size:
            raise ValueError(f"the batch is full ({self.size} runs)")
        slot = len(self.models)
        self.models.append(model)
        self._params[slot] = [getattr(model.params, name) for name in PARAM_NAMES]
        self._columns.clear()
        return slot

    def restored(self) -> bool:
        """Whether this batch's arrays exist (false while a copy is being assembled)."""
        return "positive" in vars(self)

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Bind the views of runs restored before their batch (see the model's __setstate__)."""
        vars(self).update(state)
        for model in self.models:
            if "slot" in vars(model):
                model.bind()

    def views(self, slot: int) -> dict[str, np.ndarray]:
        """One run's slice of every stacked array (views: writes reach the batch)."""
        return {name: getattr(self, name)[slot] for name in STACKED}

    def columns(self, ndim: int) -> SimpleNamespace:
        """Every parameter as an (R, 1, ...) column that broadcasts against ndim-dimensional
        stacks; a batch of one gets plain floats (the same arithmetic, less overhead)."""
        if ndim not in self._columns:
            shape = (self.size,) + (1,) * (ndim - 1)
            values = {name: self._params[:, j] for j, name in enumerate(PARAM_NAMES)}
            values["retention"] = np.array([retention(m.params) for m in self.models])
            self._columns[ndim] = SimpleNamespace(**{
                name: float(column[0]) if self.size == 1 else column.reshape(shape)
                for name, column in values.items()})
        return self._columns[ndim]

    # -- schedule ---------------------------------------------------------------------
    def arrive(self, model: "ProtectiveIntegrationModel") -> None:
        """A run has applied this quarter's events; the last to arrive advances them all."""
        if len(self.models) < self.size:
            raise RuntimeError(f"only {len(self.models)} of the batch's {self.size} runs have joined")
        if model.slot in self._waiting:
            raise RuntimeError("a run of a batch stepped twice in one quarter; "
                               "advance the batch's runs together with RunBatch.step or run")
        self._waiting.add(model.slot)
        if len(self._waiting) == self.size:
            self._waiting.clear()
            self._advance(model.t)
            for run in self.models:
                run.close_quarter()

    def step(self) -> None:
        """Advance every run one quarter (each applies its events, then the batch moves)."""
        for model in self.models:
            model.step()

    def run(self) -> None:
        """Run every run to the end of the scenario's horizon."""
        while any(m.running and m.steps < m.n_steps for m in self.models):
            self.step()

    def _advance(self, t: int) -> None:
        founded, mandate, rule = self._institution_flags()
        weights = self._meeting_weights(self.scenario.quarter_of(t), founded)
        self._socialise(weights)
        self.distance[...] = norm_distances(self.norms, self.charters)
        self._update_insecurity_and_threat()
        self._update_clubs(founded, mandate, rule)
        revise_engagement(self)
        self._forget()
        self.snapshots = self._snapshot(founded)

    def _institution_flags(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(R, K) founded, intrastate mandate and non-consensus rule of every run's
        institutions (events change them run by run)."""
        flags = np.array([[(inst.founded, inst.intrastate_mandate, inst.decision_rule != "consensus")
                           for inst in m.institutions] for m in self.models], dtype=bool)
        return flags[:, :, 0], flags[:, :, 1], flags[:, :, 2]

    def _snapshot(self, founded: np.ndarray) -> np.ndarray:
        """(R, size): every run's raw state and club metrics this quarter, flat, in the
        order of `layout`."""
        good, member = standing(self.status)
        c2 = self.columns(2)
        metrics = club_metrics(good, member, self.engagement, self.trust, self.distance,
                               (c2.cohesion_trust, c2.cohesion_congruence, c2.cohesion_engagement))
        parts = {"metrics": metrics, "trust": self.trust, "norms": self.norms, "status": self.status,
                 "engagement": self.engagement, "benefit": self.benefit, "investment": self.investment,
                 "club": np.stack([self.functional, self.hierarchy, founded], axis=2),
                 "states": np.stack([getattr(self, name) for name in STATE_METRICS], axis=2),
                 "threat": self.threat[:, :, self.great_powers]}
        return np.concatenate([parts[name].reshape(self.size, -1) for name in self.layout], axis=1)

    def _meeting_weights(self, quarter: int, founded: np.ndarray) -> np.ndarray:
        """(R, K) socialisation weight of this quarter's meetings in each institution's
        calendar: 1 for a summit plus `ministerial_weight` for a ministerial; 0 before founding."""
        specs = self.scenario.institutions
        summit = np.array([quarter in s.summit_quarters for s in specs], dtype=float)
        ministerial = np.array([quarter in s.ministerial_quarters for s in specs], dtype=float)
        return (summit + self.columns(2).ministerial_weight * ministerial) * founded

    # -- process 1: socialisation -----------------------------------------------------
    def _participation(self) -> np.ndarray:
        """(R, K, N) weight with which each state takes part in each institution's meetings."""
        status = self.status
        weight = self.engagement * ((status == ACTIVE) + self.columns(3).hedging_participation * (status == HEDGING))
        return weight + self.columns(3).observer_weight * (status == OBSERVER)

    def _socialise(self, weights: np.ndarray) -> None:
        """Meetings raise trust among close members and pull close norms together.

        Trust (beta reputation): each pair gains a positive experience
        trust_gain x sum_k(meeting weight_k x participation_ik x participation_jk x
        closeness_kij) x rally_ij x (1 - rivalry_ij) x noise, with closeness 1 - distance /
        confidence_bound (zero beyond it: bounded confidence). Norms: one trust-weighted
        Hegselmann-Krause step toward the close co-participants' mean. A run with fewer
        than two participants meets no one and draws no noise.
        """
        p3, p4 = self.columns(3), self.columns(4)
        part = self._participation() * (weights > 0)[:, :, None]
        close = closeness(self.distance, p4.confidence_bound) * self.off_diagonal
        w = weights[:, :, None, None]
        contact = (w * part[:, :, :, None] * part[:, :, None, :] * close).sum(axis=1)
        root = np.sqrt(self.illiberalism * self.insecurity)
        rally = 1.0 + p3.rally_gain * (root[:, :, None] * root[:, None, :])
        self.positive += p3.trust_gain * contact * rally * self._noise(part) * (1.0 - self.rivalry)
        present = part > 0
        links = (w * present[:, :, :, None] * part[:, :, None, :] * (close > 0)).sum(axis=1)
        influence = self.trust * links
        totals = influence.sum(axis=2, keepdims=True)
        pulled = np.divide(influence @ self.norms, totals, out=self.norms.copy(), where=totals > 0)
        rate = np.minimum(1.0, self.columns(2).norm_rate * (weights[:, :, None] * present).sum(axis=1))
        self.norms += rate[:, :, None] * (pulled - self.norms)
        refresh_trust(self.positive, self.negative, self.trust)

    def _noise(self, part: np.ndarray) -> np.ndarray:
        """(R, N, N) lognormal experience noise with mean 1, from each meeting run's own rng."""
        n = part.shape[-1]
        noise = np.ones((self.size, n, n))
        meets = np.count_nonzero(part.reshape(self.size, -1), axis=1) >= 2
        for slot in np.flatnonzero(meets):
            model = self.models[slot]
            sigma = model.params.experience_noise
            noise[slot] = model.rng.lognormal(-0.5 * sigma ** 2, sigma, size=(n, n))
        return noise

    # -- processes 2-3: pressure, insecurity and threat -------------------------------
    def _update_insecurity_and_threat(self) -> None:
        self.pressure *= 1.0 - self.columns(2).pressure_decay
        shield = np.maximum(1.0 - self.columns(2).regime_protection * self.legitimacy, 0.0)
        self.insecurity[...] = np.minimum(np.maximum(self.base_insecurity + self.pressure * shield, 0.0), 1.0)
        self.threat += self.columns(3).threat_decay * (self.baseline_threat - self.threat)

    # -- processes 2 and 6: what each club delivers -----------------------------------
    def _update_clubs(self, founded: np.ndarray, mandate: np.ndarray, rule: np.ndarray) -> None:
        """Hierarchy, shares, legitimation, investment, output and utilities of all clubs."""
        p2 = self.columns(2)
        good, member = standing(self.status)
        held = self.power[:, None, :] * good
        total = held.sum(axis=2)
        safe = np.where(total > 0, total, 1.0)
        self.shares[...] = held / safe[:, :, None]
        top = -np.sort(-held, axis=2)
        lead = top[:, :, 0] - top[:, :, 1] if held.shape[2] > 1 else np.zeros(total.shape)
        self.hierarchy[...] = np.where((good.sum(axis=2) >= 2) & founded, lead / safe, 0.0)
        self.benefit[...] = self._legitimation(good, member) * founded[:, :, None]
        delivered = (good * self.benefit * self.engagement).sum(axis=1)
        self.legitimacy += p2.legitimacy_rate * (np.minimum(delivered, 1.0) - self.legitimacy)
        self._invest(good)
        self.projects *= 1.0 - p2.project_decay
        pooling = 1.0 - (self.sovereignty[:, None, :] * good).max(axis=2)
        output = pooling * (self.investment * self.shares).sum(axis=2)
        self.functional[...] = np.minimum(output + self.projects, 1.0) * founded
        self.utility[...] = self._utility(good, mandate, rule)

    def _legitimation(self, good: np.ndarray, member: np.ndarray) -> np.ndarray:
        """(R, K, N) legitimacy each member would draw: need x fit with the club x solidarity.

        need = illiberalism x insecurity (article 'Protective integration'); fit is one
        minus the member's mean charter-weighted norm distance to the others in good
        standing; solidarity is its mean trust in them.
        """
        weight = good.astype(float)
        count = weight.sum(axis=2, keepdims=True) - weight
        safe = np.maximum(count, 1.0)
        fit = 1.0 - np.einsum("rkij,rkj->rki", self.distance, weight) / safe
        solidarity = (weight @ self.trust.transpose(0, 2, 1) - weight) / safe
        need = (self.illiberalism * self.insecurity)[:, None, :]
        return np.where(member & (count > 0), need * fit * solidarity, 0.0)

    def _invest(self, good: np.ndarray) -> None:
        """Great powers invest in a club by the legitimation it gives them against the value
        of their outside channels."""
        p3 = self.columns(3)
        g = self.great_powers
        value = self.benefit[:, :, g]
        denominator = value + self.outside[:, None, g]
        target = np.divide(value, denominator, out=np.zeros_like(value), where=denominator > 0)
        updated = self.investment[:, :, g] + p3.investment_rate * (target - self.investment[:, :, g])
        self.investment[:, :, g] = np.where(good[:, :, g], updated, 0.0)

    def _utility(self, good: np.ndarray, mandate: np.ndarray, rule: np.ndarray) -> np.ndarray:
        """(R, K, N) payoff of staying engaged (process 4).

        An intrastate-crisis mandate costs a member by its distrust of the agenda setter
        who would lead an operation plus its rivalry with the fellow members an operation
        could prop up (article 'Responses to intrastate crises': Uzbekistan mistrusted a
        Russian-led operation in its near abroad).
        """
        p3 = self.columns(3)
        setters = (self.setters & good)[:, :, None, :] * self.off_diagonal
        dependence = (setters * self.security_dependence).max(axis=3)
        threat = (setters * self.threat[:, None]).max(axis=3)
        distrust = (setters * (1.0 - self.trust[:, None])).max(axis=3)
        rivals = (good[:, :, None, :] * self.off_diagonal * self.rivalry[:, None]).max(axis=3)
        h = self.hierarchy[:, :, None]
        cost = (h * (1.0 - self.shares) + p3.mandate_cost * mandate[:, :, None] * (distrust + rivals)
                + p3.rule_cost * rule[:, :, None])
        room = (1.0 - h) * (1.0 - self.shares)
        return (p3.w_legitimacy * self.benefit
                + p3.w_security * dependence + p3.w_balance * room
                - p3.w_sovereignty * self.sovereignty[:, None, :] * cost - p3.w_threat * threat
                + p3.engagement_bias)

    def _forget(self) -> None:
        """Discount old experience; standing rivalries add friction every quarter."""
        p3 = self.columns(3)
        self.positive *= p3.retention
        self.negative[...] = self.negative * p3.retention + p3.rivalry_friction * self.rivalry
        refresh_trust(self.positive, self.negative, self.trust)


def _layout(shapes: dict[str, tuple[int, ...]]) -> dict[str, tuple[slice, tuple[int, ...]]]:
    """Where each part of shape shapes[name] sits in a run's flat per-quarter snapshot."""
    layout, start = {}, 0
    for name, shape in shapes.items():
        size = int(np.prod(shape))
        layout[name] = (slice(start, start + size), shape)
        start += size
    return layout
