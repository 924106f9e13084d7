"""State agents: each state's own decisions, read off the model's shared arrays.

A state decides its engagement in each institution (ODD process 4; the rule
`revise_engagement` is applied to all states at once for speed), and a `StateAgent`
decides its stance on a draft text, its consent to an intervention, its answer to a
proposal, its recognition of a breakaway entity and its vote on a motion. All it knows
about itself is its row in the model's arrays (attributes from the states table, dynamic
trust, norms, threat and legitimacy), so states differ only by their data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.institutions import ACTIVE, HEDGING, SUSPENDED, WITHDRAWN, Institution, standing

if TYPE_CHECKING:
    from sim.dynamics import RunBatch
    from sim.model import ProtectiveIntegrationModel


@dataclass(frozen=True)
class Motion:
    """A draft text put to an institution.

    `content` maps norm indices to weights: positive where the text upholds that norm,
    negative where it condones a breach. `favoured` and `disfavoured` are the states the
    text sides with or against (indices), if any.
    """

    topic: str
    content: dict[int, float]
    magnitude: float
    favoured: int | None = None
    disfavoured: int | None = None
    out_of_area: bool = False


def revise_engagement(batch: "RunBatch") -> None:
    """Every member's quarterly engagement decision (process 4), for every run of a batch.

    This is the state agents' own rule, written over the (run, institution, state) arrays
    so a quarter costs a few array operations instead of one Python call per agent and
    club: engagement moves toward logistic(utility / temperature); an engaged member
    whose engagement falls below the suspension threshold suspends with a quarterly
    hazard, else hedges below the hedging threshold (and re-engages above it); a
    suspended member returns with a hazard when its target engagement recovers, or
    withdraws after `withdraw_after` quarters of low engagement. Each run draws from its
    own rng; its model records the moves.
    """
    p = batch.columns(3)
    status, e = batch.status, batch.engagement
    engaged, in_club = standing(status)
    target = 1.0 / (1.0 + np.exp(-batch.utility / p.engagement_temperature))
    e += np.where(in_club, p.engagement_rate * (target - e), 0.0)
    draw = np.stack([model.rng.random(status.shape[1:]) for model in batch.models])
    suspended = status == SUSPENDED
    batch.suspended_for += suspended
    returning = (target > p.return_threshold) & (draw < p.return_hazard)
    moves = [
        (suspended & returning, ACTIVE, "return"),
        (suspended & ~returning & (batch.suspended_for >= p.withdraw_after) & (e < p.withdraw_threshold),
         WITHDRAWN, "withdraw"),
        (engaged & (e < p.suspend_threshold) & (draw < p.suspend_hazard), SUSPENDED, "suspend"),
    ]
    leaving = moves[2][0]
    moves += [((status == ACTIVE) & ~leaving & (e < p.hedge_threshold), HEDGING, "hedge"),
              ((status == HEDGING) & ~leaving & (e >= p.hedge_threshold), ACTIVE, "re-engage")]
    for mask, new, reason in moves:
        for r, k, i in zip(*np.nonzero(mask)):
            model = batch.models[r]
            model.change_status(model.institutions[k], int(i), new, reason)


class StateAgent(mesa.Agent):
    """One state of the cast."""

    model: "ProtectiveIntegrationModel"

    def __init__(self, model: "ProtectiveIntegrationModel", index: int, code: str) -> None:
        super().__init__(model)
        self.index = index
        self.code = code

    # -- stances on texts (process 5) -------------------------------------------------
    def content_score(self, motion: Motion) -> float:
        """How far a text agrees with this state's norm positions, times its magnitude.

        Territorial integrity weighs more for a state with restive regions of its own
        (article 'The separatist challenge').
        """
        m, i = self.model, self.index
        norms = m.norms[i]
        salience = {m.territorial_integrity: 1.0 + m.separatism[i]}
        return motion.magnitude * sum(w * (2.0 * norms[k] - 1.0) * salience.get(k, 1.0)
                                      for k, w in motion.content.items())

    def deference(self, inst: Institution, setter: int | None) -> float:
        """Pull toward what the drafter wants: hierarchy x the drafter's power lead over us.

        In the CSTO's hierarchy the smaller states comply reluctantly with Russian drafts;
        in the SCO the Russia-China balance leaves them room (article 'Foreign policy
        coordination'; 'Conclusion').
        """
        if setter is None or setter == self.index:
            return 0.0
        shares = inst.shares(self.model.power)
        lead = max(0.0, shares[setter] - shares[self.index])
        return self.model.params.deference * self.model.hierarchy[inst.index] * lead

    def loyalty_score(self, motion: Motion) -> float:
        """Pull toward the favoured party and away from the disfavoured one, by trust;
        fear of the favoured party (threat above its rivalry baseline) pulls away."""
        m = self.model
        trust = m.trust[self.index]
        score = 0.0
        if motion.favoured is not None:
            f = motion.favoured
            score += trust[f] - 0.5
            score -= m.threat[self.index, f] - m.baseline_threat[self.index, f]
        if motion.disfavoured is not None:
            score -= trust[motion.disfavoured] - 0.5
        return self.model.params.loyalty * score

    def ideal_text(self, motion: Motion, inst: Institution, setter: int | None,
                   setter_ideal: float) -> float:
        """The text this member would write, on the scale from condemnation of the
        favoured party (-1) through silence (0) to full endorsement (+1): its own norms
        and loyalties, plus deference to the drafter's ideal. A party the draft favours
        wants full endorsement, one it targets full condemnation.

        Hierarchy sets the agenda through deference; it never removes the veto.
        """
        if motion.favoured == self.index:
            return 1.0
        if motion.disfavoured == self.index:
            return -1.0
        p = self.model.params
        score = p.content_weight * self.content_score(motion) + self.loyalty_score(motion)
        score += self.deference(inst, setter) * setter_ideal
        if motion.out_of_area:
            score -= p.out_of_area_cost * self.model.sovereignty[self.index]
        score += self.model.rng.normal(0.0, p.stance_noise)
        return float(np.clip(score, -1.0, 1.0))

    def consents_to_intervention(self, inst: Institution, host: int, leader: int | None) -> bool:
        """Accept a collective operation in `host`? Solidarity with the host's regime and
        deference to the leader for; sovereignty, doubled by rivalry with the host and by
        distrust of the leader (the precedent of an operation under a great power's flag),
        against (article 'Responses to intrastate crises')."""
        p, m, i = self.model.params, self.model, self.index
        if i in (host, leader):
            return True
        distrust = 1.0 - m.trust[i, leader] if leader is not None else 0.0
        score = (p.intervention_solidarity + 2.0 * p.loyalty * (m.trust[i, host] - 0.5)
                 + self.deference(inst, leader)
                 - p.intervention_sovereignty * m.sovereignty[i] * (1.0 + m.rivalry[i, host] + distrust))
        score += m.rng.normal(0.0, p.stance_noise)
        return bool(score > p.intervention_threshold)

    def willingness_to_lead(self, inst: Institution, host: int, magnitude: float,
                            regime_threat: float) -> float:
        """A great power's will to lead an operation: its capacity in the club (power share)
        times its own regime-security stake in the host (how far the crisis threatens the
        host's government, times its trust in that government and the host's security
        dependence on it), less the cost of embroilment, which grows with the crisis's
        severity (article 'Responses to intrastate crises': little will to be embroiled in
        an ethnic conflagration)."""
        p, m, i = self.model.params, self.model, self.index
        stake = regime_threat * m.trust[i, host] * (1.0 + m.security_dependence[host, i])
        capacity = inst.shares(m.power)[i]
        return float(capacity * stake - p.embroilment_cost * magnitude
                     + m.rng.normal(0.0, p.stance_noise))

    def accepts_proposal(self, inst: Institution, proposer: int, magnitude: float,
                         pooling: float) -> bool:
        """Accept a great-power proposal? Gains and trust against pooling and relative gains."""
        p, m, i = self.model.params, self.model, self.index
        if i == proposer:
            return True
        shares = inst.shares(m.power)
        gain = p.proposal_gain * magnitude * (m.economic_dependence[i, proposer]
                                  + m.security_dependence[i, proposer])
        rival_gain = m.great_power[i] * max(0.0, shares[proposer] - shares[i])
        score = (gain + p.loyalty * (m.trust[i, proposer] - 0.5) + self.deference(inst, proposer)
                 - m.sovereignty[i] * pooling - p.relative_gain * rival_gain)
        score += m.rng.normal(0.0, p.stance_noise)
        return bool(score > 0.0)

    # -- sovereign acts outside institutions ------------------------------------------
    def recognition_score(self, actor: int) -> float:
        """Propensity to recognise a breakaway entity sponsored by `actor`."""
        p, m, i = self.model.params, self.model, self.index
        return float((1.0 - 2.0 * m.norms[i, m.territorial_integrity])
                     + 2.0 * p.loyalty * (m.trust[i, actor] - 0.5)
                     - m.separatism[i] + m.rng.normal(0.0, p.stance_noise))

    def tie(self, other: int) -> float:
        """Pull toward another state in a public choice: trust above neutral, plus
        security and economic dependence on it (article 'Theoretical context')."""
        p, m, i = self.model.params, self.model, self.index
        return float(2.0 * p.loyalty * (m.trust[i, other] - 0.5)
                     + p.vote_dependence * (m.security_dependence[i, other] + m.economic_dependence[i, other]))

    def vote(self, subject: int, violator: int | None, sponsor: int | None) -> tuple[str, float]:
        """Vote yes / abstain / no on a motion upholding `subject`'s territorial integrity.

        The pulls toward yes (attachment to territorial integrity, weighted by the state's
        own separatism exposure; ties to the subject and the motion's sponsor) are summed
        against the pulls toward no (ties to the violator, fear of it above the rivalry
        baseline; negative ties and attachment). A state whose two sides pull with
        comparable force, |yes - no| <= cross_pressure x min(yes, no), abstains: the
        cross-pressure hypothesis, and the hedging of the article ('The separatist
        challenge': Kazakhstan and Kyrgyzstan hedged to avoid confronting Russia). So does
        a state pulled hardly at all, |yes - no| <= vote_indifference (abstention from
        indifference).
        """
        p, m, i = self.model.params, self.model, self.index
        if i in (subject, sponsor):
            return "yes", np.inf
        if i == violator:
            return "no", -np.inf
        pulls = [(2.0 * m.norms[i, m.territorial_integrity] - 1.0) * (1.0 + m.separatism[i]),
                 self.tie(subject)]
        if sponsor is not None:
            pulls.append(self.tie(sponsor))
        if violator is not None:
            fear = m.threat[i, violator] - m.baseline_threat[i, violator]
            pulls.append(-self.tie(violator) - fear)
        pulls = np.array(pulls)
        yes, no = pulls[pulls > 0].sum(), -pulls[pulls < 0].sum()
        net = yes - no + m.rng.normal(0.0, p.stance_noise)
        if abs(net) <= max(p.cross_pressure * min(yes, no), p.vote_indifference):
            return "abstain", float(net)
        return ("yes" if net > 0 else "no"), float(net)
