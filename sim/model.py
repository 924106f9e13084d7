"""The protective-integration model: state agents inside regional institutions.

One step is one quarter. Each step the model (1) applies the scenario's events dated in
that quarter; then its batch (`sim.dynamics.RunBatch`, a batch of one unless the model
was built into a larger one) (2) lets institutions meet (socialisation: trust and norm
convergence), (3) updates regime insecurity and threat, (4) computes what each club
delivers (legitimacy, functional output, great-power investment), (5) lets each state
agent revise its engagement, and (6) discounts old experience. docs/ODD.md gives the
equations and the article section behind each. The model imports no plotting or storage
code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

import mesa
import numpy as np

from sim.agents import Motion, StateAgent
from sim.cast import NORMS, Cast
from sim.dynamics import RunBatch, refresh_trust
from sim.institutions import (ACTIVE, HEDGING, NONE, OBSERVER, STANCE_NAMES, STATUS_NAMES, SUSPENDED,
                              VALID_TRANSITIONS, WITHDRAWN, Institution, stance_of, standing)
from sim.metrics import CLUB_METRICS, closeness, norm_distances
from sim.params import Params, check_params, retention
from sim.scenario import Scenario

INSTITUTION_METRICS = CLUB_METRICS + ("functional_output", "legitimacy_delivered", "hierarchy",
                                      "n_active", "n_hedging", "n_suspended", "n_withdrawn",
                                      "n_observer")


class ProtectiveIntegrationModel(mesa.Model):
    """Agent-based model of protective integration in Eurasian regional organisations.

    Args:
        scenario: a validated `Scenario` (cast, institutions, dated events, horizon).
        params: behavioural parameters (a `Params` or a mapping of overrides).
        seed / rng: an integer seed for `model.rng`, the only source of randomness.
        batch: a `RunBatch` of this scenario to join (default: a batch of one); its runs
            advance together through `batch.run()` and give the same numbers as alone.
        **param_values: individual parameter overrides (for `mesa.batch_run`).
    """

    def __init__(self, scenario: Scenario, params: Params | Mapping[str, Any] | None = None,
                 seed: int | None = None, rng: int | None = None, batch: RunBatch | None = None,
                 **param_values: Any) -> None:
        if seed is not None and rng is not None:
            raise ValueError("pass either seed or rng, not both")
        seed = seed if seed is not None else rng
        super().__init__(rng=seed)
        self.seed = seed
        self.params = _resolve_params(params, param_values)
        self.scenario = scenario
        self.cast: Cast = scenario.cast
        self.batch = batch if batch is not None else RunBatch(scenario, 1)
        self.slot = self.batch.join(self)
        # self.trust, self.norms, self.engagement, ...: views of this run's slice of the
        # batch's stacked arrays (sim.dynamics.STACKED), so every write reaches the batch.
        vars(self).update(self.batch.views(self.slot))
        self._init_state(scenario.cast)
        self._init_institutions(scenario)
        self.decisions: list[dict[str, Any]] = []
        self.current_event = ""
        self.state_agents = [StateAgent(self, i, code) for i, code in enumerate(self.cast.codes)]
        self.layout = self.batch.layout
        self.distance[...] = norm_distances(self.norms, self.charters)
        self.datacollector = mesa.DataCollector(
            model_reporters={"snapshot": ProtectiveIntegrationModel.snapshot})

    # -- initialisation ---------------------------------------------------------------
    def _init_state(self, cast: Cast) -> None:
        """Fill this run's slice of the batch with the cast's data and the initial experience."""
        self.n = cast.size
        rel = cast.relations
        self.codes = cast.codes
        self.territorial_integrity = NORMS.index("territorial_integrity")
        self.is_state = np.array([k == "state" for k in cast.kinds])
        self.region = np.array(cast.regions)
        self.great_power = cast.great_power.astype(float)
        self.great_powers = np.flatnonzero(cast.great_power)
        self.power[:] = cast.attributes["power"]
        self.illiberalism[:] = cast.attributes["illiberalism"]
        self.base_insecurity[:] = cast.attributes["insecurity"]
        self.sovereignty[:] = cast.attributes["sovereignty_sensitivity"]
        self.separatism[:] = cast.attributes["separatism_exposure"]
        self.norms[...] = cast.norms
        self.rivalry[...] = rel["rivalry"]
        self.security_dependence = rel["security_dependence"].copy()
        self.economic_dependence = rel["economic_dependence"].copy()
        self.compatriots = rel["compatriot_exposure"].copy()
        kept = retention(self.params)
        self.positive[...] = rel["partnership"] * self.params.trust_gain / (1.0 - kept)
        self.negative[...] = self.rivalry * self.params.rivalry_friction / (1.0 - kept)
        self.baseline_threat[...] = self.rivalry * self.great_power[None, :]
        self.threat[...] = self.baseline_threat
        self.insecurity[:] = self.base_insecurity
        self._refresh_trust()

    def _init_institutions(self, scenario: Scenario) -> None:
        """Institution objects whose arrays are rows of the model's (institution, state) arrays."""
        self.institutions = [Institution(spec, self.n, index=row)
                             for row, spec in enumerate(scenario.institutions)]
        self._bind_institutions()
        self.by_code = {inst.code: inst for inst in self.institutions}
        self.charters = self.batch.charters

    def _bind_institutions(self) -> None:
        for row, inst in enumerate(self.institutions):
            inst.bind(self.status[row], self.engagement[row], self.investment[row], self.suspended_for[row])

    def bind(self) -> None:
        """Point this run's arrays, and its institutions' rows, at its slice of the batch."""
        vars(self).update(self.batch.views(self.slot))
        self._bind_institutions()

    def __setstate__(self, state: dict[str, Any]) -> None:
        """A deep copy or an unpickled model gets its views back (copying a view gives a
        separate array); whichever of the model and its batch is restored last binds."""
        vars(self).update(state)
        if self.batch.restored():
            self.bind()

    def _refresh_trust(self) -> None:
        refresh_trust(self.positive, self.negative, self.trust)

    # -- schedule ---------------------------------------------------------------------
    @property
    def n_steps(self) -> int:
        """Quarters in the scenario's horizon."""
        return self.scenario.n_steps

    @property
    def t(self) -> int:
        """Index of the quarter being simulated (0-based)."""
        return self.steps - 1

    def _wrapped_step(self, *args: Any, **kwargs: Any) -> None:
        """Mesa's wrapper of `step` (it counts the step, then calls `step`): a finished run
        (`running` is False at the end of the horizon) stays as it is, step count included."""
        if self.running:
            super()._wrapped_step(*args, **kwargs)

    def step(self) -> None:
        """Advance one quarter: apply this quarter's events, then let the batch move.

        A model alone is its own batch and moves at once; in a larger batch the last run
        to apply its events moves them all.
        """
        for event in self.scenario.events_at(self.t):
            self.current_event = event.key
            event.apply(self)
        self.current_event = ""
        self.batch.arrive(self)

    def close_quarter(self) -> None:
        """Record the quarter (called by the batch once the dynamics have run)."""
        self.datacollector.collect(self)
        if self.steps >= self.n_steps:
            self.running = False

    # -- membership -------------------------------------------------------------------
    def change_status(self, inst: Institution, i: int, new: int, reason: str) -> None:
        """Move state `i` to a new status in `inst`, recording the transition."""
        old = int(inst.status[i])
        if (old, new) not in VALID_TRANSITIONS:
            raise RuntimeError(f"invalid transition {STATUS_NAMES[old]} -> {STATUS_NAMES[new]}")
        inst.set_status(i, new)
        if new == SUSPENDED:
            inst.suspended_for[i] = 0
        if new == ACTIVE and old in (NONE, OBSERVER, WITHDRAWN):
            inst.engagement[i] = self.params.joining_engagement
        self.record(inst.code, self.codes[i], "membership", STATUS_NAMES[new],
                    subject=self.codes[i], detail=f"{STATUS_NAMES[old]} -> {STATUS_NAMES[new]} ({reason})")

    def _welcome(self, inst: Institution, newcomer: int) -> None:
        """Admission by consensus bonds a newcomer with the members close to it in norms."""
        p = self.params
        members = np.flatnonzero(inst.good & (np.arange(self.n) != newcomer))
        if members.size == 0:
            return
        close = (closeness(self.distance[inst.index][newcomer, members], p.confidence_bound)
                 * (1.0 - self.rivalry[newcomer, members]))
        gain = p.trust_gain * p.accession_welcome * close
        self.positive[newcomer, members] += gain
        self.positive[members, newcomer] += gain
        self._refresh_trust()

    def admit(self, inst: Institution, i: int, as_observer: bool) -> None:
        """Accession of a member (bonded with the members who admitted it) or an observer."""
        self.change_status(inst, i, OBSERVER if as_observer else ACTIVE, "accession")
        if not as_observer:
            self._welcome(inst, i)

    def found(self, inst: Institution, members: list[int], observers: list[int]) -> None:
        """Create an institution with its founding members and observers."""
        inst.founded = True
        for i in members:
            self.change_status(inst, i, ACTIVE, "founding")
        for i in observers:
            self.change_status(inst, i, OBSERVER, "founding")

    # -- process 5: institutional responses -------------------------------------------
    def declare(self, inst: Institution, motion: Motion, proposer: int | None = None,
                kind: str = "declaration") -> int:
        """Put a draft to `inst`: its members in good standing bargain over the text
        (`Institution.adopt_text`) and an endorsement legitimates the favoured party."""
        setter = inst.agenda_setter(self.power, proposer)
        setter_ideal = (self.state_agents[setter].ideal_text(motion, inst, None, 0.0)
                        if setter is not None else 0.0)
        ideals = {int(i): setter_ideal if i == setter else
                  self.state_agents[i].ideal_text(motion, inst, setter, setter_ideal)
                  for i in inst.veto_holders()}
        text, blockers = inst.adopt_text(ideals, setter_ideal, self.params.text_grain)
        stance = stance_of(text)
        if text > 0 and motion.favoured is not None:
            gap = 1.0 - self.legitimacy[motion.favoured]
            self.legitimacy[motion.favoured] += self.params.legitimacy_rate * motion.magnitude * text * gap
        subject = self.codes[motion.favoured] if motion.favoured is not None else motion.topic
        detail = ";".join(f"{self.codes[i]}:{v:+.2f}" for i, v in sorted(ideals.items()))
        self.record(inst.code, "", kind, STANCE_NAMES[stance], subject=subject, topic=motion.topic,
                    blocked_by=blockers, detail=detail, score=text,
                    setter=self.codes[setter] if setter is not None else "")
        return stance

    def intervene(self, inst: Institution, host: int, magnitude: float, consent: bool,
                  crisis: str, regime_threat: float, needs: str = "intrastate") -> bool:
        """An operation needs consent, a mandate, consensus and a willing great power."""
        reasons = []
        if not consent:
            reasons.append("no host consent")
        mandate = inst.intrastate_mandate if needs == "intrastate" else inst.collective_defence
        if not mandate:
            reasons.append("no mandate")
        setters = [g for g in inst.spec.agenda_setters if inst.in_good_standing()[g] and g != host]
        willing = {g: self.state_agents[g].willingness_to_lead(inst, host, magnitude, regime_threat)
                   for g in setters}
        leader = max(willing, key=willing.get) if willing else None
        accepts = {int(i): self.state_agents[i].consents_to_intervention(inst, host, leader)
                   for i in inst.veto_holders()}
        passed, refusers = inst.passes(accepts)
        if not passed:
            reasons.append("no consensus")
        if leader is None or willing[leader] < self.params.willingness_threshold:
            reasons.append("no willing great power")
        outcome = "intervene" if not reasons else "no intervention"
        self.record(inst.code, "", "intervention", outcome, subject=self.codes[host], topic=crisis,
                    blocked_by=refusers, detail="; ".join(reasons) or "all conditions met",
                    setter=self.codes[leader] if leader is not None else "")
        if not reasons:
            self.positive[host, leader] += self.params.trust_gain * magnitude
            self._refresh_trust()
        return not reasons

    def propose(self, inst: Institution, proposer: int, topic: str, magnitude: float,
                pooling: float) -> bool:
        """A great-power proposal passes by the institution's rule; adopted ones add output."""
        accepts = {int(i): self.state_agents[i].accepts_proposal(inst, proposer, magnitude, pooling)
                   for i in inst.veto_holders()}
        passed, refusers = inst.passes(accepts)
        if passed:
            self.projects[inst.index] += self.params.project_output * magnitude
        self.record(inst.code, self.codes[proposer], "proposal", "adopted" if passed else "rejected",
                    subject=self.codes[proposer], topic=topic, blocked_by=refusers)
        return passed

    def betrayal(self, actor: int, target: int, magnitude: float, formal: bool,
                 compatriot_claim: bool) -> None:
        """Support for separatism: a negative experience for every observer, larger for the
        exposed, and threat from the actor for the exposed (for those exposed to its
        compatriot claims too, when it invokes them).

        The penalty grows with the observer's separatism exposure and its attachment to
        territorial integrity (article 'The separatist challenge').
        """
        p = self.params
        factor = magnitude * (p.recognition_factor if formal else 1.0)
        ti = self.norms[:, self.territorial_integrity]
        penalty = factor * (p.betrayal_base + p.betrayal_exposure * self.separatism) * ti
        penalty[target] += factor * p.betrayal_exposure
        observers = self.is_state & (np.arange(self.n) != actor)
        self.negative[observers, actor] += penalty[observers]
        exposure = p.separatism_threat * self.separatism + (self.compatriots[:, actor] if compatriot_claim else 0.0)
        self.threat[observers, actor] += p.threat_gain * factor * exposure[observers]
        np.clip(self.threat, 0.0, 1.0, out=self.threat)
        self._refresh_trust()

    def clash(self, a: int, b: int, magnitude: float) -> None:
        """An armed clash: mutual negative experience and threat."""
        p = self.params
        hit = magnitude * (p.betrayal_base + p.betrayal_exposure)
        self.negative[a, b] += hit
        self.negative[b, a] += hit
        self.threat[a, b] += p.threat_gain * magnitude
        self.threat[b, a] += p.threat_gain * magnitude
        np.clip(self.threat, 0.0, 1.0, out=self.threat)
        self._refresh_trust()

    def recognitions(self, actor: int, target: int, act: str) -> None:
        """Every state but the actor and the target decides whether to recognise."""
        threshold = self.params.recognition_threshold
        for agent in self.state_agents:
            i = agent.index
            if i in (actor, target) or not self.is_state[i]:
                continue
            score = agent.recognition_score(actor)
            self.record("", agent.code, "recognition",
                        "recognise" if score > threshold else "not recognise",
                        subject=self.codes[target], topic=act, score=score)

    def hold_vote(self, subject: int, violator: int | None, sponsor: int | None) -> None:
        """Every state votes yes / abstain / no on upholding `subject`'s territorial integrity."""
        for agent in self.state_agents:
            if not self.is_state[agent.index]:
                continue
            choice, score = agent.vote(subject, violator, sponsor)
            self.record("", agent.code, "vote", choice, subject=self.codes[subject],
                        topic="territorial integrity", score=score)

    def record(self, institution: str, state: str, kind: str, outcome: str, subject: str = "",
               topic: str = "", blocked_by: list[int] | None = None, detail: str = "",
               setter: str = "", score: float = float("nan")) -> None:
        """Append one decision row (the `decisions` table)."""
        self.decisions.append({
            "step": self.t, "date": self.scenario.dates[self.t], "event": self.current_event,
            "institution": institution,
            "state": state, "kind": kind, "subject": subject, "topic": topic, "outcome": outcome,
            "blocked_by": ",".join(self.codes[i] for i in (blocked_by or [])),
            "setter": setter, "score": score, "detail": detail,
        })

    # -- observation ------------------------------------------------------------------
    def snapshot(self) -> np.ndarray:
        """This quarter's raw state as one flat array (computed by the batch for all its
        runs at once); `observations` derives the metrics."""
        return self.batch.snapshots[self.slot]

    def observations(self) -> dict[str, np.ndarray]:
        """Arrays of shape (quarters, ...): raw state plus the institution metrics."""
        return self.derive(np.stack(self.datacollector.model_vars["snapshot"]))

    def derive(self, flat: np.ndarray) -> dict[str, np.ndarray]:
        """Split stacked snapshots (quarters, size) into named arrays and the institution table.

        `institutions` is (quarters, K, len(INSTITUTION_METRICS)): the club metrics the
        batch computed each quarter, output, legitimation delivered, hierarchy and
        membership counts; all NaN (missing) in the quarters before the institution is
        founded. Works on snapshots from any run of the same scenario (e.g. from
        mesa.batch_run).
        """
        flat = np.atleast_2d(flat)
        data = {name: flat[:, cut].reshape((flat.shape[0], *shape))
                for name, (cut, shape) in self.layout.items()}
        status = data["status"].astype(np.int8)
        good, _ = standing(status)
        counts = (status[..., None] == np.array([ACTIVE, HEDGING, SUSPENDED, WITHDRAWN,
                                                 OBSERVER])).sum(axis=2)
        n_good = good.sum(axis=2)
        delivered = np.divide((data["benefit"] * good).sum(axis=2), n_good,
                              out=np.zeros(n_good.shape), where=n_good > 0)
        club = data["club"]
        founded = club[..., 2:3] > 0
        data["status"] = status
        table = np.concatenate([data["metrics"], club[..., 0:1], delivered[..., None], club[..., 1:2], counts],
                               axis=2)
        data["institutions"] = np.where(founded, table, np.nan)
        return data

    def release(self) -> None:
        """Let a finished model be garbage-collected once its records have been taken.

        Mesa 3.3 keeps every model in a class-level dict of agent ids (mesa/mesa#3179,
        fixed in later releases); without this, a long sweep's workers grow without bound.
        """
        ids = getattr(mesa.Agent, "_ids", None)
        if ids is not None:
            ids.pop(self, None)
        self.remove_all_agents()
        self.state_agents = []

    def run_model(self) -> None:
        """Run to the end of the scenario's horizon (with every other run of its batch)."""
        self.batch.run()


def _resolve_params(params: Params | Mapping[str, Any] | None, extra: Mapping[str, Any]) -> Params:
    if isinstance(params, Params):
        base = asdict(params)
    else:
        base = dict(params or {})
    base.update(extra)
    return check_params(base, source="model parameters")
