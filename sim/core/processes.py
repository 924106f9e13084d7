"""The quarterly processes, as functions of the state of R runs (docs/ODD.md, 'Process
overview and scheduling'; each function names its process).

Each public function takes the `State`, the parameter columns and what it needs besides
(this quarter's meeting calendar, pre-drawn noise) and updates the state in place. Its
arithmetic is a kernel compiled with numba (`_name` below it) that loops over the runs and
works on one run at a time, so a run's numbers never depend on the other runs it is
computed with. Kernels are compiled on first use and cached beside this file.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.core.institutions import ACTIVE, HEDGING, OBSERVER, SUSPENDED, WITHDRAWN, in_good_standing
from sim.core.metrics import closeness, distances_of
from sim.core.state import ParamColumns, State, World

kernel = njit(cache=True, error_model="numpy", nogil=True)

#: The status moves `engagement_moves` returns, by code (1, 2, ...): (new status, reason).
MOVES: tuple[tuple[int, str], ...] = ((ACTIVE, "return"), (WITHDRAWN, "withdraw"), (SUSPENDED, "suspend"),
                                      (HEDGING, "hedge"), (ACTIVE, "re-engage"))


def refresh_trust(s: State, r: int | None = None) -> None:
    """Beta-reputation trust (Josang & Ismail 2002), (r + 1) / (r + s + 2); self-trust is 1.
    Of every run, or of run `r` only."""
    runs = slice(None) if r is None else slice(r, r + 1)
    _trust_of_runs(s.positive[runs], s.negative[runs], s.trust[runs])


@kernel
def _trust_of_runs(positive, negative, trust):
    for r in range(trust.shape[0]):
        _trust(positive[r], negative[r], trust[r])


@kernel
def _trust(positive, negative, trust):
    n = trust.shape[0]
    for i in range(n):
        for j in range(n):
            trust[i, j] = 1.0 if i == j else (positive[i, j] + 1.0) / (positive[i, j] + negative[i, j] + 2.0)


def refresh_distance(s: State, world: World) -> None:
    """Charter-weighted norm distances in every institution."""
    _distances(s.norms, world.charters, s.distance)


@kernel
def _distances(norms, charters, distance):
    for r in range(norms.shape[0]):
        distances_of(norms[r], charters, distance[r])


def socialise(s: State, world: World, P: ParamColumns, quarter: int, noise: np.ndarray) -> None:
    """Process 1: meetings raise trust among close members and pull close norms together.

    This quarter's meetings weigh 1 for a summit plus `ministerial_weight` for a
    ministerial in each founded institution's calendar; a member takes part with its
    engagement (times `hedging_participation` while hedging), an observer with
    `observer_weight`.

    Trust (beta reputation): each pair gains a positive experience trust_gain x
    sum_k(meeting weight_k x participation_ik x participation_jk x closeness_kij) x
    rally_ij x (1 - rivalry_ij) x noise_ij, with closeness 1 - distance / confidence_bound
    (zero beyond it: bounded confidence) and rally_ij = 1 + rally_gain x
    sqrt(need_i x need_j). Norms: one trust-weighted Hegselmann-Krause step toward the
    close co-participants' mean (trust as it was before this quarter's experience).
    `noise`: (R, N, N) log-normal experience noise with mean 1.
    """
    summit, ministerial = world.summits[quarter - 1], world.ministerials[quarter - 1]
    _socialise(s.status, s.engagement, s.founded, s.distance, s.positive, s.negative, s.trust, s.rivalry,
               s.norms, s.illiberalism, s.insecurity, P.table, summit, ministerial, noise)


@kernel
def _socialise(status, engagement, founded, distance, positive, negative, trust, rivalry, norms,
               illiberalism, insecurity, params, summit, ministerial, noise):
    runs, k_count, n = status.shape
    for r in range(runs):
        p = params[r]
        weights = np.zeros(k_count)
        part = np.zeros((k_count, n))
        for k in range(k_count):
            if founded[r, k]:
                weights[k] = summit[k] + p.ministerial_weight * ministerial[k]
            if weights[k] > 0:
                for i in range(n):
                    part[k, i] = _participation(status[r, k, i], engagement[r, k, i], p)
        links = np.zeros((n, n))
        rate = np.zeros(n)
        for i in range(n):
            for k in range(k_count):
                if part[k, i] > 0:
                    rate[i] += weights[k]
            if rate[i] == 0:
                continue
            rate[i] = min(1.0, p.norm_rate * rate[i])
            for j in range(n):
                contact = 0.0
                for k in range(k_count):
                    if part[k, i] > 0 and part[k, j] > 0 and i != j:
                        close = closeness(distance[r, k, i, j], p.confidence_bound)
                        contact += weights[k] * part[k, i] * part[k, j] * close
                        if close > 0:
                            links[i, j] += weights[k] * part[k, j]
                if contact > 0:
                    rally = 1.0 + p.rally_gain * np.sqrt(illiberalism[r, i] * insecurity[r, i]
                                                         * illiberalism[r, j] * insecurity[r, j])
                    positive[r, i, j] += p.trust_gain * contact * rally * noise[r, i, j] * (1.0 - rivalry[r, i, j])
        _converge(norms[r], trust[r], links, rate)
        _trust(positive[r], negative[r], trust[r])


@kernel
def _participation(status, engagement, p):
    if status == ACTIVE:
        return engagement
    if status == HEDGING:
        return engagement * p.hedging_participation
    if status == OBSERVER:
        return p.observer_weight
    return 0.0


@kernel
def _converge(norms, trust, links, rate):
    """One Hegselmann-Krause step of every state toward the mean of its close
    co-participants' norms, weighted by trust x links."""
    n, d = norms.shape
    pulled = norms.copy()
    for i in range(n):
        total = 0.0
        for j in range(n):
            total += trust[i, j] * links[i, j]
        if total > 0:
            for m in range(d):
                weighted = 0.0
                for j in range(n):
                    weighted += trust[i, j] * links[i, j] * norms[j, m]
                pulled[i, m] = weighted / total
    for i in range(n):
        for m in range(d):
            norms[i, m] += rate[i] * (pulled[i, m] - norms[i, m])


def update_insecurity_and_threat(s: State, P: ParamColumns) -> None:
    """Processes 2-3: pressure decays; insecurity is base plus the pressure the regime's
    legitimacy does not absorb; threat relaxes toward its rivalry baseline."""
    _insecurity_and_threat(s.pressure, s.legitimacy, s.base_insecurity, s.insecurity, s.threat,
                           s.baseline_threat, P.table)


@kernel
def _insecurity_and_threat(pressure, legitimacy, base_insecurity, insecurity, threat, baseline_threat, params):
    runs, n = pressure.shape
    for r in range(runs):
        p = params[r]
        for i in range(n):
            pressure[r, i] *= 1.0 - p.pressure_decay
            shield = max(1.0 - p.regime_protection * legitimacy[r, i], 0.0)
            insecurity[r, i] = min(max(base_insecurity[r, i] + pressure[r, i] * shield, 0.0), 1.0)
            for j in range(n):
                threat[r, i, j] += p.threat_decay * (baseline_threat[r, i, j] - threat[r, i, j])


def update_clubs(s: State, world: World, P: ParamColumns) -> None:
    """Processes 2 and 6: in every institution, the power shares of the members in good
    standing and the strongest one's lead (hierarchy); the legitimation each member would
    draw; legitimacy; great-power investment; output; and the utility of staying engaged.

    Legitimation (article 'Protective integration'): need (illiberalism x insecurity) x
    fit with the club (one minus the member's mean charter-weighted norm distance to the
    others in good standing) x solidarity (its mean trust in them).

    Great powers invest in a club by the legitimation it gives them against the value of
    their outside channels; output is the investment pooled (one minus the largest
    sovereignty sensitivity in good standing) plus adopted projects.

    Utility (process 4): legitimation, functional benefit (`_functional_benefit`: the other
    great powers' investment in the club by their share of it and the member's economic
    dependence on them, plus adopted projects) less the value of the member's own outside
    channel (an opportunity cost: article 'Conclusion', the Belt and Road serving China's
    aims better than the SCO), security dependence on the setters, room for
    manoeuvre ((1 - hierarchy) x (1 - share)), less sovereignty costs and threat from the
    setters, plus `engagement_bias`. Economic and security dependence, threat and distrust
    of the setters are each the largest over the setters in good standing other than the
    member (zero when there is none). An intrastate-crisis mandate costs a member by its distrust of the
    setter who would lead an operation plus its rivalry with the fellow members an
    operation could prop up (article 'Responses to intrastate crises').
    """
    _clubs(s.status, s.founded, s.power, s.illiberalism, s.insecurity, s.sovereignty, s.outside, s.engagement,
           s.distance, s.trust, s.threat, s.rivalry, s.intrastate_mandate, s.rule, s.operation_rule,
           s.shares, s.hierarchy,
           s.benefit, s.legitimacy, s.investment, s.projects, s.functional, s.functional_benefit, s.utility,
           P.table, world.setters, world.great_powers, world.security_dependence, world.economic_dependence)


@kernel
def _clubs(status, founded, power, illiberalism, insecurity, sovereignty, outside, engagement, distance, trust,
           threat, rivalry, mandate, rule, operation_rule, shares, hierarchy, benefit, legitimacy, investment, projects,
           functional, functional_benefit, utility, params, setters, great_powers, security_dependence,
           economic_dependence):
    runs, k_count, n = status.shape
    for r in range(runs):
        p = params[r]
        good = np.zeros((k_count, n), dtype=np.bool_)
        for k in range(k_count):
            for i in range(n):
                good[k, i] = in_good_standing(status[r, k, i])
            hierarchy[r, k] = _hierarchy(power[r], good[k], founded[r, k], shares[r, k])
            _legitimation(distance[r, k], trust[r], illiberalism[r], insecurity[r], good[k], status[r, k],
                          founded[r, k], benefit[r, k])
        for i in range(n):
            delivered = 0.0
            for k in range(k_count):
                if good[k, i]:
                    delivered += benefit[r, k, i] * engagement[r, k, i]
            legitimacy[r, i] += p.legitimacy_rate * (min(delivered, 1.0) - legitimacy[r, i])
        for k in range(k_count):
            _invest(benefit[r, k], outside[r], good[k], great_powers, p.investment_rate, investment[r, k])
            projects[r, k] *= 1.0 - p.project_decay
            strictest, output = 0.0, 0.0
            for i in range(n):
                if good[k, i]:
                    strictest = max(strictest, sovereignty[r, i])
                output += investment[r, k, i] * shares[r, k, i]
            output *= 1.0 - strictest
            functional[r, k] = min(output + projects[r, k], 1.0) * founded[r, k]
            _functional_benefit(good[k], great_powers, economic_dependence, investment[r, k], shares[r, k],
                                projects[r, k], functional_benefit[r, k])
            _utility(good[k], setters[k], security_dependence, threat[r], trust[r], rivalry[r],
                     sovereignty[r], outside[r], benefit[r, k], functional_benefit[r, k], shares[r, k], hierarchy[r, k],
                     mandate[r, k], rule[r, k] != 0 or operation_rule[r, k] != 0, p, utility[r, k])


@kernel
def _hierarchy(power, good, founded, shares):
    """Writes the shares of the power in good standing; returns the strongest member's
    lead over the next as a share of it (zero with fewer than two in good standing)."""
    total, top, second, count = 0.0, 0.0, 0.0, 0
    for i in range(power.shape[0]):
        held = power[i] if good[i] else 0.0
        total += held
        count += good[i]
        if held > top:
            top, second = held, top
        elif held > second:
            second = held
    safe = total if total > 0 else 1.0
    for i in range(power.shape[0]):
        shares[i] = (power[i] if good[i] else 0.0) / safe
    return (top - second) / safe if count >= 2 and founded else 0.0


@kernel
def _legitimation(distance, trust, illiberalism, insecurity, good, status, founded, benefit):
    n = good.shape[0]
    in_good = 0
    for i in range(n):
        in_good += good[i]
    for i in range(n):
        count = in_good - good[i]
        if not founded or count == 0 or not (good[i] or status[i] == SUSPENDED):
            benefit[i] = 0.0
            continue
        spread, solidarity = 0.0, 0.0
        for j in range(n):
            if good[j] and j != i:
                spread += distance[i, j]
                solidarity += trust[i, j]
        benefit[i] = illiberalism[i] * insecurity[i] * (1.0 - spread / count) * (solidarity / count)


@kernel
def _invest(benefit, outside, good, great_powers, rate, investment):
    for g in great_powers:
        value = benefit[g]
        denominator = value + outside[g]
        target = value / denominator if denominator > 0 else 0.0
        investment[g] = investment[g] + rate * (target - investment[g]) if good[g] else 0.0


@kernel
def _functional_benefit(good, great_powers, economic_dependence, investment, shares, projects, functional_benefit):
    """What each state draws from the club's functional side: every other great power's
    investment in it, weighted by that power's share of the club (as in the output) and by
    the state's economic dependence on it, plus the adopted projects; at most 1. Unlike the
    output, no pooling ceiling: a member credits a power's investment under the club's
    label whether or not the members pool it."""
    for i in range(good.shape[0]):
        channel = 0.0
        for g in great_powers:
            if g != i and good[g]:
                channel += economic_dependence[i, g] * shares[g] * investment[g]
        functional_benefit[i] = min(channel + projects, 1.0)


@kernel
def _utility(good, setters, security_dependence, threat, trust, rivalry, sovereignty, outside, benefit, functional_benefit,
             shares, h, mandate, off_consensus, p, utility):
    n = good.shape[0]
    for i in range(n):
        dependence, fear, distrust, rivals = 0.0, 0.0, 0.0, 0.0
        for j in range(n):
            if j == i or not good[j]:
                continue
            rivals = max(rivals, rivalry[i, j])
            if setters[j]:
                dependence = max(dependence, security_dependence[i, j])
                fear = max(fear, threat[i, j])
                distrust = max(distrust, 1.0 - trust[i, j])
        cost = h * (1.0 - shares[i]) + p.mandate_cost * mandate * (distrust + rivals) + p.rule_cost * off_consensus
        room = (1.0 - h) * (1.0 - shares[i])
        utility[i] = (p.w_legitimacy * benefit[i] + p.w_functional * (functional_benefit[i] - outside[i])
                      + p.w_security * dependence + p.w_balance * room
                      - p.w_sovereignty * sovereignty[i] * cost - p.w_threat * fear + p.engagement_bias)


def engagement_moves(s: State, P: ParamColumns, draws: np.ndarray) -> np.ndarray:
    """Process 4, the members' engagement decisions: engagement moves toward
    logistic(utility / temperature); returns the (R, K, N) status moves, 0 for none, else
    a code of MOVES (1-based) to apply in code order.

    An engaged member whose engagement falls below the suspension threshold suspends with
    a quarterly hazard, else hedges below the hedging threshold (and re-engages above
    it); a suspended member returns with a hazard when its target engagement recovers, or
    withdraws after `withdraw_after` quarters of low engagement. `draws` are (R, K, N)
    uniform numbers, one per member and quarter.
    """
    moves = np.zeros(s.status.shape, dtype=np.int8)
    _engagement(s.status, s.engagement, s.suspended_for, s.utility, P.table, draws, moves)
    return moves


@kernel
def _engagement(status, engagement, suspended_for, utility, params, draws, moves):
    runs, k_count, n = status.shape
    for r in range(runs):
        p = params[r]
        for k in range(k_count):
            for i in range(n):
                st = status[r, k, i]
                engaged = in_good_standing(st)
                target = 1.0 / (1.0 + np.exp(-utility[r, k, i]))
                if engaged or st == SUSPENDED:
                    engagement[r, k, i] += p.engagement_rate * (target - engagement[r, k, i])
                e, draw = engagement[r, k, i], draws[r, k, i]
                leaving = engaged and e < p.suspend_threshold and draw < p.suspend_hazard
                if st == SUSPENDED:
                    suspended_for[r, k, i] += 1
                    if target > p.return_threshold and draw < p.return_hazard:
                        moves[r, k, i] = 1
                    elif suspended_for[r, k, i] >= p.withdraw_after and e < p.withdraw_threshold:
                        moves[r, k, i] = 2
                elif leaving:
                    moves[r, k, i] = 3
                elif st == ACTIVE and e < p.hedge_threshold:
                    moves[r, k, i] = 4
                elif st == HEDGING and e >= p.hedge_threshold:
                    moves[r, k, i] = 5


def welcome(s: State, P: ParamColumns, k: int, newcomer: int, rs: np.ndarray) -> None:
    """On accession, in runs `rs`: the newcomer and each member in good standing of
    institution k gain trust_gain x accession_welcome x closeness x (1 - rivalry) of
    positive experience of each other (admission by consensus bonds the new member with
    the members close to it in norms); their trust is refreshed."""
    _welcome(s.status[:, k], s.distance[:, k], s.rivalry, s.positive, s.negative, s.trust, P.table, rs, newcomer)


@kernel
def _welcome(status, distance, rivalry, positive, negative, trust, params, rs, newcomer):
    for r in rs:
        p = params[r]
        bonded = False
        for m in range(status.shape[1]):
            if m == newcomer or not in_good_standing(status[r, m]):
                continue
            close = closeness(distance[r, newcomer, m], p.confidence_bound) * (1.0 - rivalry[r, newcomer, m])
            gain = p.trust_gain * p.accession_welcome * close
            positive[r, newcomer, m] += gain
            positive[r, m, newcomer] += gain
            bonded = True
        if bonded:
            _trust(positive[r], negative[r], trust[r])


def forget(s: State, P: ParamColumns) -> None:
    """Process 6: old experience is discounted; standing rivalries add friction every quarter.

    Everyday experience keeps `retention` (half-life `memory`); the part of the negative
    experience that records breaches (`grievance`: support for separatism, armed
    clashes) keeps 0.5^(1/grievance_memory), so a betrayal is remembered longer than
    everyday friction (the asymmetry of trust, Slovic 1993)."""
    _forget(s.positive, s.negative, s.grievance, s.rivalry, s.trust, P.table)


@kernel
def _forget(positive, negative, grievance, rivalry, trust, params):
    runs, n = positive.shape[:2]
    for r in range(runs):
        p = params[r]
        kept = 0.5 ** (1.0 / p.grievance_memory)
        for i in range(n):
            for j in range(n):
                positive[r, i, j] *= p.retention
                everyday = (negative[r, i, j] - grievance[r, i, j]) * p.retention + p.rivalry_friction * rivalry[r, i, j]
                grievance[r, i, j] *= kept
                negative[r, i, j] = everyday + grievance[r, i, j]
        _trust(positive[r], negative[r], trust[r])
