"""The protective-integration model: state agents inside regional institutions.

One step is one quarter. Each step the model (1) applies the scenario's events dated in
that quarter, (2) lets institutions meet (socialisation: trust and norm convergence),
(3) updates regime insecurity and threat, (4) computes what each club delivers
(legitimacy, functional output, great-power investment), (5) lets each state agent
revise its engagement, and (6) discounts old experience. docs/ODD.md gives the equations
and the article section behind each. The model imports no plotting or storage code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

import mesa
import numpy as np

from sim.agents import Motion, StateAgent
from sim.cast import NORMS, Cast
from sim.institutions import (ACTIVE, ENDORSE, HEDGING, NONE, OBSERVER, STANCE_NAMES, STATUS_NAMES,
                              SUSPENDED, VALID_TRANSITIONS, WITHDRAWN, Institution)
from sim.metrics import club_metrics, pair_distance
from sim.params import Params, check_params
from sim.scenario import Scenario

INSTITUTION_METRICS = ("cohesion", "trust", "congruence", "engagement", "functional_output",
                       "legitimacy_delivered", "hierarchy", "n_active", "n_hedging",
                       "n_suspended", "n_withdrawn", "n_observer")
STATE_METRICS = ("legitimacy", "insecurity")


class ProtectiveIntegrationModel(mesa.Model):
    """Agent-based model of protective integration in Eurasian regional organisations.

    Args:
        scenario: a validated `Scenario` (cast, institutions, dated events, horizon).
        params: behavioural parameters (a `Params` or a mapping of overrides).
        seed / rng: an integer seed for `model.rng`, the only source of randomness.
        **param_values: individual parameter overrides (for `mesa.batch_run`).
    """

    def __init__(self, scenario: Scenario, params: Params | Mapping[str, Any] | None = None,
                 seed: int | None = None, rng: int | None = None, **param_values: Any) -> None:
        if seed is not None and rng is not None:
            raise ValueError("pass either seed or rng, not both")
        seed = seed if seed is not None else rng
        super().__init__(rng=seed)
        self.seed = seed
        self.params = _resolve_params(params, param_values)
        self.scenario = scenario
        self.cast: Cast = scenario.cast
        self._init_state(scenario.cast)
        self.institutions = [Institution(spec, self.n) for spec in scenario.institutions]
        self.by_code = {inst.code: inst for inst in self.institutions}
        self.hierarchy = {inst.code: 0.0 for inst in self.institutions}
        self.utility = np.zeros((len(self.institutions), self.n))
        self.benefit = np.zeros((len(self.institutions), self.n))
        self.functional = np.zeros(len(self.institutions))
        self.decisions: list[dict[str, Any]] = []
        self.current_event = ""
        self.state_agents = [StateAgent(self, i, code) for i, code in enumerate(self.cast.codes)]
        self.datacollector = mesa.DataCollector(model_reporters={
            "institutions": lambda m: m.institution_snapshot(),
            "states": lambda m: np.column_stack([m.legitimacy, m.insecurity]),
            "trust": lambda m: m.trust.copy(),
            "threat": lambda m: m.threat[:, m.great_powers].copy(),
            "engagement": lambda m: np.array([inst.engagement for inst in m.institutions]).T,
            "status": lambda m: np.array([inst.status for inst in m.institutions]).T,
            "benefit": lambda m: m.benefit.T.copy(),
            "investment": lambda m: np.array([inst.investment for inst in m.institutions]).T,
        })

    # -- initialisation ---------------------------------------------------------------
    def _init_state(self, cast: Cast) -> None:
        n = self.n = cast.size
        rel = cast.relations
        self.codes = cast.codes
        self.territorial_integrity = NORMS.index("territorial_integrity")
        self.is_state = np.array([k == "state" for k in cast.kinds])
        self.region = np.array(cast.regions)
        self.great_power = cast.great_power.astype(float)
        self.great_powers = np.flatnonzero(cast.great_power)
        self.power = cast.attributes["power"].copy()
        self.illiberalism = cast.attributes["illiberalism"].copy()
        self.base_insecurity = cast.attributes["insecurity"].copy()
        self.sovereignty = cast.attributes["sovereignty_sensitivity"].copy()
        self.separatism = cast.attributes["separatism_exposure"].copy()
        self.norms = cast.norms.copy()
        self.rivalry = rel["rivalry"].copy()
        self.security_dependence = rel["security_dependence"].copy()
        self.economic_dependence = rel["economic_dependence"].copy()
        self.compatriots = rel["compatriot_exposure"].copy()
        retention = 1.0 - self.params.forgetting
        self.positive = rel["partnership"] * self.params.trust_gain / max(retention, 1e-6)
        self.negative = self.rivalry * self.params.rivalry_friction / max(retention, 1e-6)
        self.baseline_threat = self.rivalry * self.great_power[None, :]
        self.threat = self.baseline_threat.copy()
        self.pressure = np.zeros(n)
        self.insecurity = self.base_insecurity.copy()
        self.legitimacy = np.zeros(n)
        self.outside = np.zeros(n)
        self._refresh_trust()

    def _refresh_trust(self) -> None:
        """Beta-reputation trust (Josang & Ismail 2002): (r + 1) / (r + s + 2)."""
        self.trust = (self.positive + 1.0) / (self.positive + self.negative + 2.0)
        np.fill_diagonal(self.trust, 1.0)

    # -- schedule ---------------------------------------------------------------------
    @property
    def n_steps(self) -> int:
        """Quarters in the scenario's horizon."""
        return self.scenario.n_steps

    @property
    def t(self) -> int:
        """Index of the quarter being simulated (0-based)."""
        return self.steps - 1

    def step(self) -> None:
        """Advance one quarter."""
        for event in self.scenario.events_at(self.t):
            self.current_event = event.key
            event.apply(self)
        self.current_event = ""
        quarter = self.scenario.quarter_of(self.t)
        for inst in self.institutions:
            self._socialise(inst, inst.meeting_weight(quarter, self.params.ministerial_weight))
        self._update_insecurity_and_threat()
        self._update_clubs()
        for agent in self.state_agents:
            agent.step()
        self._forget()
        self.datacollector.collect(self)
        if self.steps >= self.n_steps:
            self.running = False

    # -- process 1: socialisation -----------------------------------------------------
    def _socialise(self, inst: Institution, weight: float) -> None:
        """Meetings raise trust among close members and pull close norms together."""
        if weight <= 0.0:
            return
        p = self.params
        part = inst.participation(p.observer_weight)
        idx = np.flatnonzero(part > 0)
        if idx.size < 2:
            return
        w = part[idx]
        norms = self.norms[idx]
        dist = pair_distance(norms, inst.spec.charter)
        close = np.clip(1.0 - dist / p.confidence_bound, 0.0, None)
        np.fill_diagonal(close, 0.0)
        need = self.illiberalism[idx] * self.insecurity[idx]
        rally = 1.0 + p.rally_gain * np.sqrt(np.outer(need, need))
        noise = np.exp(self.rng.normal(-0.5 * p.experience_noise ** 2, p.experience_noise,
                                       size=close.shape))
        gain = (p.trust_gain * weight * np.outer(w, w) * close * rally * noise
                * (1.0 - self.rivalry[np.ix_(idx, idx)]))
        self.positive[np.ix_(idx, idx)] += gain
        influence = self.trust[np.ix_(idx, idx)] * w[None, :] * (close > 0)
        totals = influence.sum(axis=1, keepdims=True)
        pulled = np.divide(influence @ norms, totals, out=norms.copy(), where=totals > 0)
        step = min(1.0, p.norm_rate * weight)
        self.norms[idx] = norms + step * (pulled - norms)
        self._refresh_trust()

    # -- processes 2-3: pressure, insecurity and threat -------------------------------
    def _update_insecurity_and_threat(self) -> None:
        p = self.params
        self.pressure *= 1.0 - p.pressure_decay
        self.insecurity = np.clip(self.base_insecurity + self.pressure, 0.0, 1.0)
        self.threat += p.threat_decay * (self.baseline_threat - self.threat)

    # -- processes 2 and 6: what each club delivers -----------------------------------
    def _update_clubs(self) -> None:
        p = self.params
        delivered = np.zeros(self.n)
        for k, inst in enumerate(self.institutions):
            if not inst.founded:
                continue
            self.hierarchy[inst.code] = inst.hierarchy(self.power)
            benefit = self._legitimation(inst)
            self.benefit[k] = benefit
            good = inst.in_good_standing()
            delivered += np.where(good, benefit * inst.engagement, 0.0)
            self._invest(inst, benefit)
            self.functional[k] = self._functional_output(inst)
            self.utility[k] = self._utility(inst, benefit, self.functional[k])
        target = np.clip(delivered, 0.0, 1.0)
        self.legitimacy += p.legitimacy_rate * (target - self.legitimacy)

    def _legitimation(self, inst: Institution) -> np.ndarray:
        """Legitimacy each member would draw: need x fit with the club x solidarity.

        need = illiberalism x insecurity (article 'Protective integration'); fit is one
        minus the member's mean charter-weighted norm distance to the others in good
        standing; solidarity is its mean trust in them.
        """
        good = inst.in_good_standing()
        benefit = np.zeros(self.n)
        others = np.flatnonzero(good)
        candidates = inst.members()
        if others.size < 2 or candidates.size == 0:
            return benefit
        dist = pair_distance(self.norms[candidates], inst.spec.charter, self.norms[others])
        same = candidates[:, None] == others[None, :]
        count = np.maximum((~same).sum(axis=1), 1)
        fit = 1.0 - np.where(same, 0.0, dist).sum(axis=1) / count
        solidarity = np.where(same, 0.0, self.trust[np.ix_(candidates, others)]).sum(axis=1) / count
        need = self.illiberalism[candidates] * self.insecurity[candidates]
        benefit[candidates] = need * fit * solidarity
        return benefit

    def _invest(self, inst: Institution, benefit: np.ndarray) -> None:
        """Great powers invest in a club by its value to them against outside channels."""
        p = self.params
        shares = inst.shares(self.power)
        for g in self.great_powers:
            if inst.status[g] not in (ACTIVE, HEDGING):
                inst.investment[g] = 0.0
                continue
            value = p.influence_value * shares[g] + benefit[g]
            target = value / (value + self.outside[g]) if value + self.outside[g] > 0 else 0.0
            inst.investment[g] += p.investment_rate * (target - inst.investment[g])

    def _functional_output(self, inst: Institution) -> float:
        """Output = pooling (1 - the most sovereignty-sensitive member) x invested power + projects."""
        good = inst.in_good_standing()
        if not good.any():
            return 0.0
        pooling = 1.0 - self.sovereignty[good].max()
        shares = inst.shares(self.power)
        inst.projects *= 1.0 - self.params.project_decay
        return float(np.clip(pooling * (inst.investment * shares).sum() + inst.projects, 0.0, 1.0))

    def _utility(self, inst: Institution, benefit: np.ndarray, output: float) -> np.ndarray:
        """Each member's payoff from staying engaged (process 4)."""
        p = self.params
        h = self.hierarchy[inst.code]
        shares = inst.shares(self.power)
        setters = [g for g in inst.spec.agenda_setters if inst.in_good_standing()[g]]
        dependence = np.zeros(self.n)
        threat = np.zeros(self.n)
        for g in setters:
            others = np.arange(self.n) != g
            dependence = np.maximum(dependence, np.where(others, self.security_dependence[:, g], 0.0))
            threat = np.maximum(threat, np.where(others, self.threat[:, g], 0.0))
        cost = (h * (1.0 - shares) + p.mandate_cost * inst.intrastate_mandate
                + p.rule_cost * (inst.decision_rule != "consensus"))
        room = (1.0 - h) * (1.0 - shares)
        return (p.w_legitimacy * benefit + p.w_functional * output + p.w_security * dependence
                + p.w_balance * room - p.w_sovereignty * self.sovereignty * cost
                - p.w_threat * threat + p.engagement_bias)

    def _forget(self) -> None:
        """Discount old experience; standing rivalries add friction every quarter."""
        p = self.params
        self.positive *= p.forgetting
        self.negative = self.negative * p.forgetting + p.rivalry_friction * self.rivalry
        self._refresh_trust()

    # -- membership -------------------------------------------------------------------
    def change_status(self, inst: Institution, i: int, new: int, reason: str) -> None:
        """Move state `i` to a new status in `inst`, recording the transition."""
        old = int(inst.status[i])
        if (old, new) not in VALID_TRANSITIONS:
            raise RuntimeError(f"invalid transition {STATUS_NAMES[old]} -> {STATUS_NAMES[new]}")
        inst.status[i] = new
        if new == SUSPENDED:
            inst.suspended_for[i] = 0
        if new == ACTIVE and old in (NONE, OBSERVER, WITHDRAWN):
            inst.engagement[i] = 0.8
        self.record(inst.code, self.codes[i], "membership", STATUS_NAMES[new],
                    subject=self.codes[i], detail=f"{STATUS_NAMES[old]} -> {STATUS_NAMES[new]} ({reason})")

    def _welcome(self, inst: Institution, newcomer: int) -> None:
        """Admission by consensus bonds a newcomer with the members close to it in norms."""
        p = self.params
        members = np.flatnonzero(inst.in_good_standing() & (np.arange(self.n) != newcomer))
        if members.size == 0:
            return
        dist = pair_distance(self.norms[[newcomer]], inst.spec.charter, self.norms[members])[0]
        close = np.clip(1.0 - dist / p.confidence_bound, 0.0, None) * (1.0 - self.rivalry[newcomer, members])
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
        """Put a draft text to `inst`; the adopted stance is what every veto holder accepts."""
        setter = inst.agenda_setter(self.power, proposer)
        setter_stance = self._setter_stance(inst, motion, setter)
        preferred = {int(i): self.state_agents[i].stance(motion, inst, setter, setter_stance)
                     for i in inst.veto_holders()}
        stance, blockers = inst.collective_stance(preferred)
        if stance == ENDORSE and motion.favoured is not None:
            gap = 1.0 - self.legitimacy[motion.favoured]
            self.legitimacy[motion.favoured] += self.params.legitimacy_rate * motion.magnitude * gap
        subject = self.codes[motion.favoured] if motion.favoured is not None else motion.topic
        detail = ";".join(f"{self.codes[i]}:{STANCE_NAMES[s]}" for i, s in sorted(preferred.items()))
        self.record(inst.code, "", kind, STANCE_NAMES[stance], subject=subject, topic=motion.topic,
                    blocked_by=blockers, detail=detail,
                    setter=self.codes[setter] if setter is not None else "")
        return stance

    def _setter_stance(self, inst: Institution, motion: Motion, setter: int | None) -> int:
        if setter is None:
            return 0
        return self.state_agents[setter].stance(motion, inst, None, 0)

    def intervene(self, inst: Institution, host: int, magnitude: float, consent: bool,
                  crisis: str, needs: str = "intrastate") -> bool:
        """An operation needs consent, a mandate, consensus and a willing great power."""
        reasons = []
        if not consent:
            reasons.append("no host consent")
        mandate = inst.intrastate_mandate if needs == "intrastate" else inst.collective_defence
        if not mandate:
            reasons.append("no mandate")
        setters = [g for g in inst.spec.agenda_setters if inst.in_good_standing()[g] and g != host]
        willing = {g: self.state_agents[g].willingness_to_lead(inst, host, magnitude) for g in setters}
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
            inst.projects += self.params.project_output * magnitude
        self.record(inst.code, self.codes[proposer], "proposal", "adopted" if passed else "rejected",
                    subject=self.codes[proposer], topic=topic, blocked_by=refusers)
        return passed

    def betrayal(self, actor: int, target: int, magnitude: float, formal: bool,
                 compatriot_claim: bool) -> None:
        """Support for separatism: a negative experience for every observer, larger for the
        exposed, and threat from the actor for the exposed (for those exposed to its
        compatriot claims too, when it invokes them).

        The penalty grows with the observer's separatism exposure and its attachment to
        territorial integrity (article 'The separatist challenge'); the actor's revealed
        position on territorial integrity falls.
        """
        p = self.params
        factor = magnitude * (p.recognition_factor if formal else 1.0)
        ti = self.norms[:, self.territorial_integrity]
        penalty = factor * (p.betrayal_base + p.betrayal_exposure * self.separatism) * ti
        penalty[target] += factor * p.betrayal_exposure
        observers = self.is_state & (np.arange(self.n) != actor)
        self.negative[observers, actor] += penalty[observers]
        exposure = 0.5 * self.separatism + (self.compatriots[:, actor] if compatriot_claim else 0.0)
        self.threat[observers, actor] += p.threat_gain * factor * exposure[observers]
        np.clip(self.threat, 0.0, 1.0, out=self.threat)
        self.norms[actor, self.territorial_integrity] *= 1.0 - p.revealed_norm_shift * magnitude
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

    def hold_vote(self, subject: int, violator: int | None) -> None:
        """Every state votes yes / abstain / no on upholding `subject`'s territorial integrity."""
        for agent in self.state_agents:
            if not self.is_state[agent.index]:
                continue
            choice, score = agent.vote(subject, violator)
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
    def institution_snapshot(self) -> np.ndarray:
        """Per institution: the values of INSTITUTION_METRICS this quarter."""
        rows = []
        p = self.params
        weights = (p.cohesion_trust, p.cohesion_congruence, p.cohesion_engagement)
        for k, inst in enumerate(self.institutions):
            metrics = club_metrics(inst, self.trust, self.norms, weights)
            counts = [np.sum(inst.status == s) for s in (ACTIVE, HEDGING, SUSPENDED, WITHDRAWN, OBSERVER)]
            good = inst.in_good_standing()
            delivered = float(self.benefit[k][good].mean()) if good.any() else 0.0
            rows.append([*metrics, self.functional[k], delivered, self.hierarchy[inst.code], *counts])
        return np.array(rows, dtype=float)

    def run_model(self) -> None:
        """Run to the end of the scenario's horizon."""
        while self.running and self.steps < self.n_steps:
            self.step()


def _resolve_params(params: Params | Mapping[str, Any] | None, extra: Mapping[str, Any]) -> Params:
    if isinstance(params, Params):
        base = asdict(params)
    else:
        base = dict(params or {})
    base.update(extra)
    return check_params(base, source="model parameters")
