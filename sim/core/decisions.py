"""The state agents' choice rules, for every run of an ensemble at once.

Each rule reads a state's row of the run's arrays (its attributes, trust, norms, threat)
and the run's parameters, so states differ only by their data. Rules take `rs`, the runs
deciding, and per-run noise drawn in a fixed order from each run's own generator (the
agents in ascending order, a drafter before the others), so a run's choices do not depend
on the runs decided with it. A rule draws its noise in Python, then hands the arithmetic
to a compiled kernel (`_name`, numba) that loops over the deciding runs one at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numba import njit

from sim.core.state import ParamColumns, State, World
from sim.core.institutions import DECISION_RULES, in_good_standing, standing, text_scale

CONSENSUS, QUALIFIED = DECISION_RULES.index("consensus"), DECISION_RULES.index("qualified_majority")


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


def normals(rngs: Sequence[np.random.Generator], sigma: np.ndarray, rs: np.ndarray,
            orders: Sequence[Sequence[int]], n: int) -> np.ndarray:
    """(len(rs), n) normal noise: run rs[j] draws one N(0, sigma) per agent of orders[j],
    in that order; the other entries are zero."""
    noise = np.zeros((len(rs), n))
    scale = sigma.tolist()
    for row, r, order in zip(noise, np.asarray(rs).tolist(), orders):
        if len(order):
            row[order] = rngs[r].normal(0.0, scale[r], size=len(order))
    return noise


def club_shares(s: State, k: int, rs: np.ndarray) -> np.ndarray:
    """(len(rs), N) each state's share of the power of institution k's members in good
    standing (zero for the others)."""
    return _shares(s.status[rs, k], s.power[rs])


@njit(cache=True, error_model="numpy", nogil=True)
def _shares(status, power):
    runs, n = power.shape
    out = np.zeros(power.shape)
    for j in range(runs):
        total = 0.0
        for i in range(n):
            if in_good_standing(status[j, i]):
                out[j, i] = power[j, i]
                total += power[j, i]
        if total > 0:
            for i in range(n):
                out[j, i] /= total
    return out


def deference(s: State, P: ParamColumns, k: int, rs: np.ndarray, shares: np.ndarray,
              leader: np.ndarray) -> np.ndarray:
    """(len(rs), N) pull toward what the drafter (or leader) wants: deference x hierarchy x
    its power lead over the member; zero for itself or when there is none (-1).

    In the CSTO's hierarchy the smaller states comply reluctantly with Russian drafts; in
    the SCO the Russia-China balance leaves them room (article 'Foreign policy
    coordination'; 'Conclusion')."""
    return _deferences(shares, leader, deference_pull(s, P, k, rs))


def deference_pull(s: State, P: ParamColumns, k: int, rs: np.ndarray) -> np.ndarray:
    """(len(rs),) deference x institution k's hierarchy: what scales a member's pull
    toward the drafter (or leader) per unit of its power lead."""
    return P.values["deference"][rs] * s.hierarchy[rs, k]


@njit(cache=True, nogil=True)
def _deferences(shares, leader, pull):
    out = np.empty(shares.shape)
    for j in range(shares.shape[0]):
        _deference(shares[j], leader[j], pull[j], out[j])
    return out


@njit(cache=True, nogil=True)
def _deference(shares, leader, pull, out):
    """One run's `deference` into `out`, given pull = deference x hierarchy."""
    for i in range(shares.shape[0]):
        if leader < 0 or i == leader:
            out[i] = 0.0
        else:
            out[i] = pull * max(0.0, shares[leader] - shares[i])


def agenda_setters(s: State, world: World, k: int, rs: np.ndarray, proposer: int | None) -> np.ndarray:
    """(len(rs),) who drafts: the proposer if in good standing, else the strongest agenda
    setter in good standing (the first listed among equals), else -1."""
    order = np.array(world.setter_order[k], dtype=np.int64)
    return _setters(s.status[:, k], s.power, rs, order, -1 if proposer is None else proposer)


@njit(cache=True, nogil=True)
def _setters(status, power, rs, order, proposer):
    out = np.full(rs.shape[0], -1)
    for j in range(rs.shape[0]):
        r = rs[j]
        if proposer >= 0 and in_good_standing(status[r, proposer]):
            out[j] = proposer
            continue
        for g in order:
            if in_good_standing(status[r, g]) and (out[j] < 0 or power[r, g] > power[r, out[j]]):
                out[j] = g
    return out


def stance_scores(s: State, world: World, P: ParamColumns, rs: np.ndarray, motion: Motion) -> np.ndarray:
    """(len(rs), N) a text's appeal before deference and noise: its agreement with the
    state's norms (territorial integrity weighing more for a state with restive regions:
    article 'The separatist challenge') plus loyalty to the favoured party and against the
    disfavoured one, less fear of the favoured party."""
    norms = np.array(list(motion.content), dtype=np.int64)
    weights = np.array(list(motion.content.values()), dtype=float)
    return _stances(s.norms, s.separatism, s.trust, s.threat, s.baseline_threat, rs, norms, weights,
                    world.territorial_integrity, motion.magnitude, _party(motion.favoured),
                    _party(motion.disfavoured), P.values["content_weight"], P.values["loyalty"])


def _party(index: int | None) -> int:
    return -1 if index is None else index


@njit(cache=True, nogil=True)
def _stances(norms, separatism, trust, threat, baseline, rs, content, weights, ti, magnitude, favoured,
             disfavoured, content_weight, loyalty):
    n = norms.shape[1]
    out = np.empty((rs.shape[0], n))
    for j in range(rs.shape[0]):
        r = rs[j]
        for i in range(n):
            total = 0.0
            for c in range(content.shape[0]):
                salience = 1.0 + separatism[r, i] if content[c] == ti else 1.0
                total = total + weights[c] * (2.0 * norms[r, i, content[c]] - 1.0) * salience
            loyal = 0.0
            if favoured >= 0:
                loyal = loyal + (trust[r, i, favoured] - 0.5)
                loyal = loyal - (threat[r, i, favoured] - baseline[r, i, favoured])
            if disfavoured >= 0:
                loyal = loyal - (trust[r, i, disfavoured] - 0.5)
            out[j, i] = content_weight[r] * (magnitude * total) + loyalty[r] * loyal
    return out


def ideal_texts(s: State, world: World, P: ParamColumns, rngs: Sequence[np.random.Generator],
                k: int, rs: np.ndarray, motion: Motion,
                setter: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The texts the members in good standing would write, on the scale from condemnation
    of the favoured party (-1) through silence (0) to full endorsement (+1): (ideals
    (len(rs), N), NaN for non-members; the drafter's ideal (len(rs),), 0 with no drafter).

    A member's ideal is its stance score plus deference to the drafter's ideal, less the
    cost of an out-of-area commitment, plus noise; on an out-of-area motion the deference
    is scaled by one minus the member's sovereignty sensitivity (article 'Foreign policy
    coordination': a line drawn at the custodian's conflicts beyond the club's zone). The
    favoured party wants full endorsement, the disfavoured one full condemnation.
    Hierarchy sets the agenda through deference; it never removes the veto.
    """
    good = standing(s.status[rs, k])[0]
    parties = {p for p in (motion.favoured, motion.disfavoured) if p is not None}
    orders = [([st] if st >= 0 and st not in parties else [])
              + [i for i, g in enumerate(row) if g and i != st and i not in parties]
              for row, st in zip(good.tolist(), setter.tolist())]
    noise = normals(rngs, P.values["stance_noise"], rs, orders, world.n)
    base = stance_scores(s, world, P, rs, motion)
    if motion.out_of_area:
        cost, reach = P.values["out_of_area_cost"][rs, None] * s.sovereignty[rs], 1.0 - s.sovereignty[rs]
    else:
        cost = reach = np.zeros((0, 0))
    return _ideals(base, noise, good, setter, club_shares(s, k, rs), deference_pull(s, P, k, rs), cost, reach,
                   _party(motion.favoured), _party(motion.disfavoured))


@njit(cache=True, nogil=True)
def _ideals(base, noise, good, setter, shares, pull, cost, reach, favoured, disfavoured):
    runs, n = base.shape
    ideals = np.empty((runs, n))
    setter_ideal = np.zeros(runs)
    pulled = np.empty(n)
    for j in range(runs):
        st = setter[j]
        if st >= 0:
            own = base[j, st] - cost[j, st] if cost.size else base[j, st]
            setter_ideal[j] = _party_ideal(st, min(max(own + noise[j, st], -1.0), 1.0), favoured, disfavoured)
        _deference(shares[j], st, pull[j], pulled)
        for i in range(n):
            if not good[j, i]:
                ideals[j, i] = np.nan
            elif i == st:
                ideals[j, i] = setter_ideal[j]
            else:
                if cost.size:
                    score = base[j, i] + pulled[i] * reach[j, i] * setter_ideal[j] - cost[j, i]
                else:
                    score = base[j, i] + pulled[i] * setter_ideal[j]
                ideals[j, i] = _party_ideal(i, min(max(score + noise[j, i], -1.0), 1.0), favoured, disfavoured)
    return ideals, setter_ideal


@njit(cache=True, nogil=True)
def _party_ideal(i, value, favoured, disfavoured):
    """The fixed ideals of the parties a motion favours (+1) or disfavours (-1)."""
    if i == disfavoured:
        return -1.0
    if i == favoured:
        return 1.0
    return value


@njit(cache=True, nogil=True)
def meets_quota(rule: np.ndarray, share: np.ndarray) -> np.ndarray:
    """Whether shares of the members in good standing carry a decision under each run's
    rule (1-D arrays of the same length; `rule`: indices into DECISION_RULES)."""
    out = np.empty(share.shape[0], dtype=np.bool_)
    for j in range(share.shape[0]):
        out[j] = _quota(rule[j], share[j])
    return out


@njit(cache=True, nogil=True)
def _quota(rule: int, share: float) -> bool:
    """All of them for consensus, two thirds for a qualified majority, more than half for
    a majority."""
    if rule == CONSENSUS:
        return share >= 1.0 - 1e-12
    if rule == QUALIFIED:
        return share >= 2.0 / 3.0 - 1e-12
    return share > 0.5


def adopt_texts(ideals: np.ndarray, setter_ideal: np.ndarray, rule: np.ndarray,
                grain: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Spatial veto-player bargaining over a draft (Tsebelis 2002), silence the status quo,
    in every run: (adopted texts (R,), blockers (R, N) mask).

    The texts that enough members accept under the run's rule form the win-set of
    silence; the agenda setter adopts the one closest to its own ideal (ties go to the
    weaker text), or silence when the win-set is empty. A member accepts a text it likes
    at least as much as silence, |text - ideal| <= |ideal|, so under consensus no adopted
    text is one a veto holder likes less than silence. Blockers are the members that
    reject the text the setter would have written alone, when it was not adopted.
    `ideals` are NaN for those with no say.
    """
    text = np.zeros(ideals.shape[0])
    blockers = np.zeros(ideals.shape, dtype=bool)
    for value in np.unique(grain):
        rows = np.flatnonzero(grain == value)
        _bargain(ideals, setter_ideal, rule, rows, text_scale(float(value)), text, blockers)
    return text, blockers


@njit(cache=True, error_model="numpy", nogil=True)
def _bargain(ideals, setter_ideal, rule, rows, texts, text, blockers):
    """`adopt_texts` for the runs `rows`, whose texts are on the scale `texts`."""
    for r in rows:
        holders = ~np.isnan(ideals[r])
        count = holders.sum()
        if count == 0:
            continue
        ideal = ideals[r]
        chosen, wanted = 0.0, 0.0
        chosen_loss, wanted_loss = np.inf, np.inf
        for t in texts:
            loss = abs(t - setter_ideal[r]) + 1e-9 * abs(t)
            if loss < wanted_loss:
                wanted, wanted_loss = t, loss
            if loss < chosen_loss:
                accepted = 0
                for i in range(ideal.shape[0]):
                    if holders[i] and abs(t - ideal[i]) <= abs(ideal[i]) + 1e-12:
                        accepted += 1
                if t == 0.0 or _quota(rule[r], accepted / count):
                    chosen, chosen_loss = t, loss
        text[r] = chosen
        if chosen != wanted:
            for i in range(ideal.shape[0]):
                blockers[r, i] = holders[i] and abs(wanted - ideal[i]) > abs(ideal[i]) + 1e-12


def willingness_to_lead(s: State, world: World, P: ParamColumns, rngs: Sequence[np.random.Generator], k: int,
                        rs: np.ndarray, candidates: Sequence[Sequence[int]], host: int,
                        magnitude: float, regime_threat: float) -> np.ndarray:
    """(len(rs), N) each candidate great power's will to lead an operation in `host`
    (NaN for the others): its power share in the club times its own regime-security stake
    in the host (how far the crisis threatens the host's government x its trust in that
    government x (1 + the host's security dependence on it)), less the cost of embroilment,
    which grows with the crisis's severity (article 'Responses to intrastate crises')."""
    values = P.values
    noise = normals(rngs, values["stance_noise"], rs, candidates, s.power.shape[1])
    is_candidate = np.zeros(noise.shape, dtype=bool)
    for row, order in zip(is_candidate, candidates):
        row[list(order)] = True
    return _willingness(is_candidate, s.trust, world.security_dependence, club_shares(s, k, rs), noise,
                        rs, host, values["embroilment_cost"], magnitude, regime_threat)


@njit(cache=True, nogil=True)
def _willingness(candidate, trust, dependence, shares, noise, rs, host, embroilment, magnitude, regime_threat):
    out = np.full(noise.shape, np.nan)
    for j in range(rs.shape[0]):
        r = rs[j]
        for g in range(noise.shape[1]):
            if candidate[j, g]:
                stake = regime_threat * trust[r, g, host] * (1.0 + dependence[host, g])
                out[j, g] = shares[j, g] * stake - embroilment[r] * magnitude + noise[j, g]
    return out


def consents(s: State, world: World, P: ParamColumns, rngs: Sequence[np.random.Generator], k: int,
             rs: np.ndarray, host: int, leader: np.ndarray) -> np.ndarray:
    """(len(rs), N) whether each member in good standing accepts a collective operation in
    `host` led by `leader` (-1: none). Solidarity with the host's regime and deference to
    the leader for; sovereignty, doubled by rivalry with the host and by distrust of the
    leader, against (article 'Responses to intrastate crises'). The host and the leader
    accept."""
    values, n = P.values, world.n
    good = standing(s.status[rs, k])[0]
    deciding = good.copy()
    deciding[:, host] = False
    j = np.arange(len(rs))
    deciding[j[leader >= 0], leader[leader >= 0]] = False
    noise = normals(rngs, values["stance_noise"], rs, [np.flatnonzero(row) for row in deciding], n)
    score = _consent_scores(s.trust, s.sovereignty, s.rivalry, rs, host, leader, club_shares(s, k, rs),
                            deference_pull(s, P, k, rs),
                            values["intervention_solidarity"], values["loyalty"], values["intervention_sovereignty"])
    return np.where(deciding, score + noise > 0.0, good)


@njit(cache=True, nogil=True)
def _consent_scores(trust, sovereignty, rivalry, rs, host, leader, shares, pull, solidarity, loyalty, cost):
    """`consents`' scores before noise, (len(rs), N)."""
    out = np.empty(shares.shape)
    pulled = np.empty(shares.shape[1])
    for j in range(rs.shape[0]):
        r, lead = rs[j], leader[j]
        _deference(shares[j], lead, pull[j], pulled)
        for i in range(shares.shape[1]):
            distrust = 1.0 - trust[r, i, lead] if lead >= 0 else 0.0
            out[j, i] = (solidarity[r] + 2.0 * loyalty[r] * (trust[r, i, host] - 0.5) + pulled[i]
                         - cost[r] * sovereignty[r, i] * (1.0 + rivalry[r, i, host] + distrust))
    return out


def accepts_proposal(s: State, world: World, P: ParamColumns, rngs: Sequence[np.random.Generator],
                     k: int, rs: np.ndarray, proposer: int, magnitude: float,
                     pooling: float) -> np.ndarray:
    """(len(rs), N) whether each member in good standing accepts a great-power proposal:
    its gains (dependence on the proposer) and trust against the sovereignty it pools and
    a rival great power's relative gains. The proposer accepts."""
    values, n = P.values, world.n
    good = standing(s.status[rs, k])[0]
    deciding = good.copy()
    deciding[:, proposer] = False
    noise = normals(rngs, values["stance_noise"], rs, [np.flatnonzero(row) for row in deciding], n)
    shares = club_shares(s, k, rs)
    gain = values["proposal_gain"][rs, None] * magnitude * (world.economic_dependence[:, proposer]
                                                            + world.security_dependence[:, proposer])
    rival_gain = world.great_power * np.maximum(0.0, shares[:, proposer][:, None] - shares)
    leader = np.full(len(rs), proposer)
    score = (gain + values["loyalty"][rs, None] * (s.trust[rs, :, proposer] - 0.5)
             + deference(s, P, k, rs, shares, leader)
             - s.sovereignty[rs] * pooling - values["relative_gain"][rs, None] * rival_gain)
    return np.where(deciding, score + noise > 0.0, good)


def recognition_scores(s: State, world: World, P: ParamColumns, rngs: Sequence[np.random.Generator],
                       deciding: np.ndarray, actor: int) -> np.ndarray:
    """(R, N) each deciding state's propensity to recognise a breakaway entity sponsored by
    `actor`: weak attachment to territorial integrity and trust in the actor for, its own
    separatism exposure against (article 'The separatist challenge')."""
    values, rs = P.values, np.arange(s.runs)
    noise = normals(rngs, values["stance_noise"], rs, [np.flatnonzero(deciding)] * s.runs, world.n)
    return ((1.0 - 2.0 * s.norms[:, :, world.territorial_integrity])
            + 2.0 * values["loyalty"][:, None] * (s.trust[:, :, actor] - 0.5)
            - s.separatism + noise)


def ties(s: State, world: World, P: ParamColumns, other: int) -> np.ndarray:
    """(R, N) each state's pull toward `other` in a public choice: trust above neutral plus
    security and economic dependence on it (article 'Theoretical context')."""
    values = P.values
    return (2.0 * values["loyalty"][:, None] * (s.trust[:, :, other] - 0.5)
            + values["vote_dependence"][:, None] * (world.security_dependence[:, other]
                                                    + world.economic_dependence[:, other]))


def votes(s: State, world: World, P: ParamColumns, rngs: Sequence[np.random.Generator],
          subject: int, violator: int | None, sponsor: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Every state's vote on a motion upholding `subject`'s territorial integrity: (choice
    (R, N) of 1 yes / 0 abstain / -1 no, net pull (R, N)).

    The pulls toward yes (attachment to territorial integrity, weighted by the state's
    own separatism exposure; ties to the subject and the sponsor) are summed against the
    pulls toward no (ties to the violator and fear of it above the rivalry baseline). A
    state whose two sides pull with comparable force, |yes - no| <= cross_pressure x
    min(yes, no), abstains (the cross-pressure hypothesis; the hedging of the article's
    'The separatist challenge'); so does one pulled hardly at all, |yes - no| <=
    vote_indifference. The subject and the sponsor vote yes, the violator no.
    """
    values, ti = P.values, world.territorial_integrity
    fixed = [x for x in (subject, sponsor, violator) if x is not None]
    deciding = world.is_state.copy()
    deciding[fixed] = False
    noise = normals(rngs, values["stance_noise"], np.arange(s.runs), [np.flatnonzero(deciding)] * s.runs,
                    world.n)
    pulls = [(2.0 * s.norms[:, :, ti] - 1.0) * (1.0 + s.separatism), ties(s, world, P, subject)]
    if sponsor is not None:
        pulls.append(ties(s, world, P, sponsor))
    if violator is not None:
        fear = s.threat[:, :, violator] - s.baseline_threat[:, :, violator]
        pulls.append(-ties(s, world, P, violator) - fear)
    pulls = np.stack(pulls, axis=2)
    yes = np.where(pulls > 0, pulls, 0.0).sum(axis=2)
    no = -np.where(pulls < 0, pulls, 0.0).sum(axis=2)
    net = yes - no + noise
    bar = np.maximum(values["cross_pressure"][:, None] * np.minimum(yes, no), values["vote_indifference"][:, None])
    choice = np.where(np.abs(net) <= bar, 0, np.sign(net)).astype(int)
    for party, vote, pull in ((violator, -1, -np.inf), (sponsor, 1, np.inf), (subject, 1, np.inf)):
        if party is not None:
            choice[:, party], net[:, party] = vote, pull
    return choice, net
