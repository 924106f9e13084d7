"""The quarterly processes, as functions of the state of R runs (docs/ODD.md, 'Process
overview and scheduling'; each function names its process).

Each takes the `State`, the parameter columns and what it needs besides (this quarter's
meeting weights, pre-drawn noise) and updates the state in place. Every reduction runs
along the same axis and length whatever R is, so a run's numbers do not depend on the
other runs it is computed with.
"""

from __future__ import annotations

import numpy as np

from sim.core.state import ParamColumns, State, World
from sim.core.institutions import ACTIVE, HEDGING, OBSERVER, SUSPENDED, WITHDRAWN, standing
from sim.core.metrics import closeness, norm_distances


def refresh_trust(s: State, r: int | None = None) -> None:
    """Beta-reputation trust (Josang & Ismail 2002), (r + 1) / (r + s + 2); self-trust is 1.
    Of every run, or of run `r` only."""
    runs = slice(None) if r is None else r
    positive, negative, trust = s.positive[runs], s.negative[runs], s.trust[runs]
    np.divide(positive + 1.0, positive + negative + 2.0, out=trust)
    diagonal = np.arange(trust.shape[-1])
    trust[..., diagonal, diagonal] = 1.0


def refresh_distance(s: State, world: World) -> None:
    """Charter-weighted norm distances in every institution."""
    s.distance[...] = norm_distances(s.norms, world.charters)


def meeting_weights(s: State, world: World, P: ParamColumns, quarter: int) -> np.ndarray:
    """(R, K) socialisation weight of this quarter's meetings in each institution's
    calendar: 1 for a summit plus `ministerial_weight` for a ministerial; 0 before founding."""
    summit, ministerial = world.summits[quarter - 1], world.ministerials[quarter - 1]
    return (summit + P.like(s.founded).ministerial_weight * ministerial) * s.founded


def participation(s: State, P: ParamColumns) -> np.ndarray:
    """(R, K, N) weight with which each state takes part in each institution's meetings."""
    p = P.like(s.status)
    weight = s.engagement * ((s.status == ACTIVE) + p.hedging_participation * (s.status == HEDGING))
    return weight + p.observer_weight * (s.status == OBSERVER)


def meets(part: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(R,) whether a run's meetings this quarter bring at least two participants together
    (only those runs draw experience noise)."""
    present = part * (weights > 0)[:, :, None]
    return np.count_nonzero(present.reshape(present.shape[0], -1), axis=1) >= 2


def socialise(s: State, world: World, P: ParamColumns, weights: np.ndarray, part: np.ndarray,
              noise: np.ndarray) -> None:
    """Process 1: meetings raise trust among close members and pull close norms together.

    Trust (beta reputation): each pair gains a positive experience trust_gain x
    sum_k(meeting weight_k x participation_ik x participation_jk x closeness_kij) x
    rally_ij x (1 - rivalry_ij) x noise, with closeness 1 - distance / confidence_bound
    (zero beyond it: bounded confidence) and rally_ij = 1 + rally_gain x
    sqrt(need_i x need_j). Norms: one trust-weighted Hegselmann-Krause step toward the
    close co-participants' mean.
    """
    p3, p4 = P.like(s.trust), P.like(s.distance)
    part = part * (weights > 0)[:, :, None]
    close = closeness(s.distance, p4.confidence_bound)
    close *= world.off_diagonal
    w = weights[:, :, None, None]
    contact = (w * part[:, :, :, None] * part[:, :, None, :] * close).sum(axis=1)
    root = np.sqrt(s.illiberalism * s.insecurity)
    rally = 1.0 + p3.rally_gain * (root[:, :, None] * root[:, None, :])
    s.positive += p3.trust_gain * contact * rally * noise * (1.0 - s.rivalry)
    present = part > 0
    links = (w * present[:, :, :, None] * part[:, :, None, :] * (close > 0)).sum(axis=1)
    influence = s.trust * links
    totals = influence.sum(axis=2, keepdims=True)
    pulled = np.divide(influence @ s.norms, totals, out=s.norms.copy(), where=totals > 0)
    rate = np.minimum(1.0, P.like(weights).norm_rate * (weights[:, :, None] * present).sum(axis=1))
    s.norms += rate[:, :, None] * (pulled - s.norms)
    refresh_trust(s)


def update_insecurity_and_threat(s: State, P: ParamColumns) -> None:
    """Processes 2-3: pressure decays; insecurity is base plus the pressure the regime's
    legitimacy does not absorb; threat relaxes toward its rivalry baseline."""
    p2 = P.like(s.pressure)
    s.pressure *= 1.0 - p2.pressure_decay
    shield = np.maximum(1.0 - p2.regime_protection * s.legitimacy, 0.0)
    s.insecurity[...] = np.minimum(np.maximum(s.base_insecurity + s.pressure * shield, 0.0), 1.0)
    s.threat += P.like(s.threat).threat_decay * (s.baseline_threat - s.threat)


def update_clubs(s: State, world: World, P: ParamColumns) -> None:
    """Processes 2 and 6: hierarchy, power shares, legitimation, investment, output and the
    utility of staying engaged, in every institution."""
    p2 = P.like(s.hierarchy)
    founded = s.founded
    good, member = standing(s.status)
    held = s.power[:, None, :] * good
    total = held.sum(axis=2)
    safe = np.where(total > 0, total, 1.0)
    s.shares[...] = held / safe[:, :, None]
    top = -np.sort(-held, axis=2)
    lead = top[:, :, 0] - top[:, :, 1] if held.shape[2] > 1 else np.zeros(total.shape)
    s.hierarchy[...] = np.where((good.sum(axis=2) >= 2) & founded, lead / safe, 0.0)
    s.benefit[...] = legitimation(s, good, member) * founded[:, :, None]
    delivered = (good * s.benefit * s.engagement).sum(axis=1)
    s.legitimacy += p2.legitimacy_rate * (np.minimum(delivered, 1.0) - s.legitimacy)
    invest(s, world, P, good)
    s.projects *= 1.0 - p2.project_decay
    pooling = 1.0 - (s.sovereignty[:, None, :] * good).max(axis=2)
    output = pooling * (s.investment * s.shares).sum(axis=2)
    s.functional[...] = np.minimum(output + s.projects, 1.0) * founded
    s.utility[...] = utility(s, world, P, good)


def legitimation(s: State, good: np.ndarray, member: np.ndarray) -> np.ndarray:
    """(R, K, N) legitimacy each member would draw: need x fit with the club x solidarity.

    need = illiberalism x insecurity (article 'Protective integration'); fit is one minus
    the member's mean charter-weighted norm distance to the others in good standing;
    solidarity is its mean trust in them.
    """
    weight = good.astype(float)
    count = weight.sum(axis=2, keepdims=True) - weight
    safe = np.maximum(count, 1.0)
    fit = 1.0 - np.einsum("rkij,rkj->rki", s.distance, weight) / safe
    solidarity = (weight @ s.trust.transpose(0, 2, 1) - weight) / safe
    need = (s.illiberalism * s.insecurity)[:, None, :]
    return np.where(member & (count > 0), need * fit * solidarity, 0.0)


def invest(s: State, world: World, P: ParamColumns, good: np.ndarray) -> None:
    """Great powers invest in a club by the legitimation it gives them against the value
    of their outside channels."""
    g = world.great_powers
    value = s.benefit[:, :, g]
    denominator = value + s.outside[:, None, g]
    target = np.divide(value, denominator, out=np.zeros_like(value), where=denominator > 0)
    current = s.investment[:, :, g]
    updated = current + P.like(current).investment_rate * (target - current)
    s.investment[:, :, g] = np.where(good[:, :, g], updated, 0.0)


def utility(s: State, world: World, P: ParamColumns, good: np.ndarray) -> np.ndarray:
    """(R, K, N) payoff of staying engaged (process 4).

    Security dependence on, threat from and distrust of an institution's agenda setters
    are each the largest over the setters in good standing other than the member (zero
    when there is none).

    An intrastate-crisis mandate costs a member by its distrust of the agenda setter who
    would lead an operation plus its rivalry with the fellow members an operation could
    prop up (article 'Responses to intrastate crises').
    """
    p3 = P.like(s.benefit)
    ties = np.zeros((3, *s.benefit.shape))
    rows = np.arange(world.n)
    for k, order in enumerate(world.setter_order):
        for g in order:
            present = good[:, k, g][:, None] & (rows != g)
            toward = np.stack([np.broadcast_to(world.security_dependence[:, g], present.shape),
                               s.threat[:, :, g], 1.0 - s.trust[:, :, g]])
            np.maximum(ties[:, :, k], np.where(present, toward, 0.0), out=ties[:, :, k])
    dependence, threat, distrust = ties
    rivals = np.where(good[:, :, None, :] & (world.off_diagonal > 0), s.rivalry[:, None], 0.0).max(axis=3)
    h = s.hierarchy[:, :, None]
    mandate = s.intrastate_mandate[:, :, None]
    rule = (s.rule != 0)[:, :, None]
    cost = h * (1.0 - s.shares) + p3.mandate_cost * mandate * (distrust + rivals) + p3.rule_cost * rule
    room = (1.0 - h) * (1.0 - s.shares)
    return (p3.w_legitimacy * s.benefit + p3.w_security * dependence + p3.w_balance * room
            - p3.w_sovereignty * s.sovereignty[:, None, :] * cost - p3.w_threat * threat
            + p3.engagement_bias)


def engagement_moves(s: State, P: ParamColumns,
                     draws: np.ndarray) -> list[tuple[np.ndarray, int, str]]:
    """Process 4, the members' engagement decisions: engagement moves toward
    logistic(utility / temperature); returns the status moves as (run, institution, state)
    masks with the new status and the reason, in the order they apply.

    An engaged member whose engagement falls below the suspension threshold suspends with
    a quarterly hazard, else hedges below the hedging threshold (and re-engages above
    it); a suspended member returns with a hazard when its target engagement recovers, or
    withdraws after `withdraw_after` quarters of low engagement. `draws` are (R, K, N)
    uniform numbers, one per member and quarter.
    """
    p = P.like(s.status)
    status, e = s.status, s.engagement
    engaged, in_club = standing(status)
    target = 1.0 / (1.0 + np.exp(-s.utility / p.engagement_temperature))
    e += np.where(in_club, p.engagement_rate * (target - e), 0.0)
    suspended = status == SUSPENDED
    s.suspended_for += suspended
    returning = (target > p.return_threshold) & (draws < p.return_hazard)
    leaving = engaged & (e < p.suspend_threshold) & (draws < p.suspend_hazard)
    return [
        (suspended & returning, ACTIVE, "return"),
        (suspended & ~returning & (s.suspended_for >= p.withdraw_after) & (e < p.withdraw_threshold),
         WITHDRAWN, "withdraw"),
        (leaving, SUSPENDED, "suspend"),
        ((status == ACTIVE) & ~leaving & (e < p.hedge_threshold), HEDGING, "hedge"),
        ((status == HEDGING) & ~leaving & (e >= p.hedge_threshold), ACTIVE, "re-engage"),
    ]


def forget(s: State, P: ParamColumns) -> None:
    """Process 6: old experience is discounted; standing rivalries add friction every quarter."""
    p3 = P.like(s.positive)
    s.positive *= p3.retention
    s.negative[...] = s.negative * p3.retention + p3.rivalry_friction * s.rivalry
    refresh_trust(s)
