"""The operations events may call: the one way an event changes the state of the runs.

An effect (`sim.core.effects`, triggered by an event kind) turns an event's fields into
calls on `Operations`: admit a state, put a draft to a club, ask for an operation, back
separatists, hold a vote ... Each call
acts on every run at once (or on the runs it is given), lets the state agents decide
through `sim.core.decisions`, changes the state and records each decision in the runs'
decision logs. Events never touch the arrays themselves.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from sim.core import decisions
from sim.core.decisions import Motion
from sim.core.processes import refresh_trust, welcome
from sim.core.state import ParamColumns, State, World
from sim.core.institutions import (ACTIVE, NONE, OBSERVER, STANCE_NAMES, STATUS_NAMES, SUSPENDED,
                              VALID_TRANSITIONS, WITHDRAWN, DECISION_RULES, standing, stance_of)

#: The columns of a decision row, in the order `DecisionLog` stores them.
DECISION_FIELDS = ("step", "date", "event", "institution", "state", "kind", "subject", "topic",
                   "outcome", "blocked_by", "setter", "score", "detail")
ATTRIBUTE_ARRAYS = {"illiberalism": "illiberalism", "insecurity": "base_insecurity",
                    "sovereignty_sensitivity": "sovereignty", "separatism_exposure": "separatism",
                    "power": "power"}


class DecisionLog:
    """Every run's decisions, a list of rows (tuples in DECISION_FIELDS order) per run.

    A disabled log (`enabled=False`: a sweep keeps no decisions) records nothing, and the
    operations skip composing its rows; the decisions themselves are unchanged."""

    def __init__(self, runs: int, enabled: bool = True) -> None:
        self.rows: list[list[tuple]] = [[] for _ in range(runs)]
        self.enabled = enabled
        self.step, self.date, self.event = 0, "", ""

    def add(self, r: int, institution: str, state: str, kind: str, outcome: str, subject: str = "",
            topic: str = "", blocked_by: str = "", setter: str = "", score: float = float("nan"),
            detail: str = "") -> None:
        """Append one decision row to run r's log (nothing when the log is disabled)."""
        if not self.enabled:
            return
        self.rows[r].append((self.step, self.date, self.event, institution, state, kind, subject, topic,
                             outcome, blocked_by, setter, score, detail))


class Operations:
    """The operations on R runs of one scenario (built by the engine)."""

    def __init__(self, state: State, world: World, columns: ParamColumns,
                 rngs: Sequence[np.random.Generator], log: DecisionLog) -> None:
        self.s, self.world, self.P, self.rngs, self.log = state, world, columns, rngs, log
        self.all_runs = np.arange(state.runs)

    # -- what events may ask --------------------------------------------------------
    def index(self, code: str) -> int:
        """Position of a state code in the cast."""
        return self.world.codes.index(code)

    def institution(self, code: str) -> int:
        """Position of an institution code in the scenario."""
        return self.world.institutions.index(code)

    def norm(self, name: str) -> int:
        """Position of a norm in the cast's norm dimensions."""
        return self.world.norm_names.index(name)

    def in_good_standing(self, k: int, i: int) -> np.ndarray:
        """(R,) whether state i is active or hedging in institution k."""
        return standing(self.s.status[:, k, i])[0]

    def is_member(self, k: int, i: int) -> np.ndarray:
        """(R,) whether state i is a member of institution k (suspended members included)."""
        return standing(self.s.status[:, k, i])[1]

    def has_status(self, k: int, i: int, statuses: Sequence[int]) -> np.ndarray:
        """(R,) whether state i's status in institution k is one of `statuses`."""
        return np.isin(self.s.status[:, k, i], list(statuses))

    def split_by_parameter(self, runs: np.ndarray, name: str | None) -> list[tuple[float, np.ndarray]]:
        """The runs grouped by their value of parameter `name` (in order of first use), for
        an event whose content depends on it; (1.0, runs) when `name` is None."""
        if name is None:
            return [(1.0, runs)]
        values = self.P.values[name][runs]
        return [(float(v), runs[values == v]) for v in dict.fromkeys(values.tolist())]

    def clubs_of(self, i: int) -> list[tuple[int, np.ndarray]]:
        """The founded institutions where state i is in good standing: (k, runs) pairs."""
        good = standing(self.s.status[:, :, i])[0] & self.s.founded
        return [(k, np.flatnonzero(good[:, k])) for k in range(good.shape[1]) if good[:, k].any()]

    def _runs(self, runs: np.ndarray | None) -> np.ndarray:
        if runs is None:
            return self.all_runs
        return np.flatnonzero(runs) if runs.dtype == bool else runs

    # -- membership ------------------------------------------------------------------
    def change_status(self, r: int, k: int, i: int, new: int, reason: str) -> None:
        """Move state i to a new status in institution k in run r, recording the move."""
        s = self.s
        old = int(s.status[r, k, i])
        if (old, new) not in VALID_TRANSITIONS:
            raise RuntimeError(f"invalid transition {STATUS_NAMES[old]} -> {STATUS_NAMES[new]}")
        s.status[r, k, i] = new
        if new == SUSPENDED:
            s.suspended_for[r, k, i] = 0
        if new == ACTIVE and old in (NONE, OBSERVER, WITHDRAWN):
            s.engagement[r, k, i] = self.P.values["joining_engagement"][r]
        code = self.world.codes[i]
        self.log.add(r, self.world.institutions[k], code, "membership", STATUS_NAMES[new], subject=code,
                     detail=f"{STATUS_NAMES[old]} -> {STATUS_NAMES[new]} ({reason})")

    def set_status(self, k: int, i: int, new: int, reason: str, runs: np.ndarray | None = None) -> None:
        """Move state i to a new status in institution k in the given runs (default all)."""
        for r in self._runs(runs):
            self.change_status(int(r), k, i, new, reason)

    def found(self, k: int, members: list[int], observers: list[int]) -> None:
        """Create institution k with its founding members and observers."""
        self.s.founded[:, k] = True
        for i in members:
            self.set_status(k, i, ACTIVE, "founding")
        for i in observers:
            self.set_status(k, i, OBSERVER, "founding")

    def admit(self, k: int, i: int, as_observer: bool, runs: np.ndarray | None = None) -> None:
        """Accession of a member or an observer; admission by consensus bonds a new member
        with the members close to it in norms (`processes.welcome`)."""
        rs = self._runs(runs)
        self.set_status(k, i, OBSERVER if as_observer else ACTIVE, "accession", rs)
        if not as_observer:
            welcome(self.s, self.P, k, i, rs)

    def revise_charter(self, k: int, changes: dict[str, object]) -> None:
        """Set institution k's mandates or rules (in every run), recording it."""
        for name, value in changes.items():
            array = getattr(self.s, "rule" if name == "decision_rule" else name)
            array[:, k] = DECISION_RULES.index(value) if name.endswith("_rule") else value
        detail = ", ".join(f"{name}={value}" for name, value in changes.items())
        for r in self.all_runs:
            self.log.add(int(r), self.world.institutions[k], "", "charter_revision", "adopted", detail=detail)

    def not_applicable(self, k: int, i: int, runs: np.ndarray, detail: str) -> None:
        """Record, in the given runs, that an event did not apply to state i in institution k."""
        code = self.world.codes[i]
        for r in self._runs(runs):
            self.log.add(int(r), self.world.institutions[k], code, "membership", "not applicable",
                         subject=code, detail=detail)

    # -- collective decisions (process 5) --------------------------------------------
    def declare(self, k: int, motion: Motion, proposer: int | None = None, kind: str = "declaration",
                runs: np.ndarray | None = None) -> None:
        """Put a draft to institution k: its members in good standing bargain over the text
        (`decisions.adopt_texts`), and an endorsement legitimates the favoured party."""
        rs = self._runs(runs)
        if rs.size == 0:
            return
        s, world, values = self.s, self.world, self.P.values
        setter = decisions.agenda_setters(s, world, k, rs, proposer)
        ideals, setter_ideal = decisions.ideal_texts(s, world, self.P, self.rngs, k, rs, motion, setter)
        text, blockers = decisions.adopt_texts(ideals, setter_ideal, s.rule[rs, k], values["text_grain"][rs])
        f = motion.favoured
        if f is not None:
            up = text > 0
            gap = 1.0 - s.legitimacy[rs[up], f]
            s.legitimacy[rs[up], f] += values["legitimacy_rate"][rs[up]] * motion.magnitude * text[up] * gap
        if not self.log.enabled:
            return
        codes = world.codes
        subject = codes[f] if f is not None else motion.topic
        for r, row, blocked, adopted, drafter in zip(rs.tolist(), ideals.tolist(), blockers.tolist(),
                                                      text.tolist(), setter.tolist()):
            self.log.add(r, world.institutions[k], "", kind, STANCE_NAMES[stance_of(adopted)],
                         subject=subject, topic=motion.topic,
                         blocked_by=",".join(code for code, no in zip(codes, blocked) if no),
                         detail=";".join(f"{code}:{value:+.2f}" for code, value in zip(codes, row) if not math.isnan(value)),
                         score=adopted, setter=codes[drafter] if drafter >= 0 else "")

    def _codes(self, mask: np.ndarray) -> str:
        return ",".join(self.world.codes[i] for i in np.flatnonzero(mask))

    def _passes(self, k: int, rs: np.ndarray, answers: np.ndarray,
                rule: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Whether yes/no answers of the members in good standing carry the decision under
        each run's `rule` (default: the institution's decision rule), and who said no."""
        good = standing(self.s.status[rs, k])[0]
        refusers = good & ~answers
        holders = good.sum(axis=1)
        share = 1 - refusers.sum(axis=1) / np.maximum(holders, 1)
        rule = self.s.rule[rs, k] if rule is None else rule
        return decisions.meets_quota(rule, share) & (holders > 0), refusers

    def intervene(self, k: int, host: int, magnitude: float, consent: bool, crisis: str,
                  regime_threat: float, needs: str = "intrastate", runs: np.ndarray | None = None) -> None:
        """An operation in `host` needs its consent, a mandate, consensus and a willing
        great power to lead it (article 'Responses to intrastate crises')."""
        rs = self._runs(runs)
        if rs.size == 0:
            return
        s, world, values = self.s, self.world, self.P.values
        good = standing(s.status[rs, k])[0]
        candidates = [[g for g in world.setter_order[k] if good[j, g] and g != host] for j in range(len(rs))]
        willing = decisions.willingness_to_lead(s, world, self.P, self.rngs, k, rs, candidates, host,
                                                magnitude, regime_threat)
        leader = np.array([max(c, key=lambda g: willing[j, g]) if c else -1 for j, c in enumerate(candidates)])
        answers = decisions.consents(s, world, self.P, self.rngs, k, rs, host, leader)
        passed, refusers = self._passes(k, rs, answers, s.operation_rule[rs, k])
        mandate = (s.intrastate_mandate if needs == "intrastate" else s.collective_defence)[rs, k]
        for j, r in enumerate(rs):
            reasons = [reason for reason, failed in (
                ("no host consent", not consent), ("no mandate", not mandate[j]),
                ("no consensus", not passed[j]),
                ("no willing great power", leader[j] < 0 or willing[j, leader[j]] < values["willingness_threshold"][r]))
                if failed]
            self.log.add(int(r), world.institutions[k], "", "intervention",
                         "intervene" if not reasons else "no intervention", subject=world.codes[host],
                         topic=crisis, blocked_by=self._codes(refusers[j]),
                         detail="; ".join(reasons) or "all conditions met",
                         setter=world.codes[leader[j]] if leader[j] >= 0 else "")
            if not reasons:
                s.positive[r, host, leader[j]] += values["trust_gain"][r] * magnitude
                refresh_trust(s, int(r))

    def propose(self, k: int, proposer: int, topic: str, magnitude: float, pooling: float,
                runs: np.ndarray | None = None) -> None:
        """A great-power proposal passes by the institution's rule; adopted ones add output."""
        rs = self._runs(runs)
        if rs.size == 0:
            return
        s, values = self.s, self.P.values
        answers = decisions.accepts_proposal(s, self.world, self.P, self.rngs, k, rs, proposer, magnitude, pooling)
        passed, refusers = self._passes(k, rs, answers)
        s.projects[rs[passed], k] += values["project_output"][rs[passed]] * magnitude
        if not self.log.enabled:
            return
        code = self.world.codes[proposer]
        for j, r in enumerate(rs):
            self.log.add(int(r), self.world.institutions[k], code, "proposal",
                         "adopted" if passed[j] else "rejected", subject=code, topic=topic,
                         blocked_by=self._codes(refusers[j]))

    # -- sovereign acts ----------------------------------------------------------------
    def betray(self, actor: int, target: int, magnitude: float, formal: bool, compatriot_claim: bool) -> None:
        """Support for separatism: a negative experience of the actor for every observer,
        larger for the exposed and for the target, and threat from the actor for the
        exposed (and for those exposed to its compatriot claims, when it invokes them).

        The penalty grows with the observer's separatism exposure and its attachment to
        territorial integrity (article 'The separatist challenge')."""
        s, world, v = self.s, self.world, self.P.values
        factor = magnitude * np.where(formal, v["recognition_factor"], 1.0)[:, None]
        ti = s.norms[:, :, world.territorial_integrity]
        penalty = factor * (v["betrayal_base"][:, None] + v["betrayal_exposure"][:, None] * s.separatism) * ti
        penalty[:, target] += factor[:, 0] * v["betrayal_exposure"]
        observers = world.is_state & (np.arange(world.n) != actor)
        s.negative[:, observers, actor] += penalty[:, observers]
        s.grievance[:, observers, actor] += penalty[:, observers]
        exposure = v["separatism_threat"][:, None] * s.separatism + (world.compatriots[:, actor] if compatriot_claim else 0.0)
        s.threat[:, observers, actor] += v["threat_gain"][:, None] * factor * exposure[:, observers]
        np.clip(s.threat, 0.0, 1.0, out=s.threat)
        refresh_trust(s)

    def clash(self, a: int, b: int, magnitude: float) -> None:
        """An armed clash: mutual negative experience and threat."""
        s, v = self.s, self.P.values
        hit = magnitude * (v["betrayal_base"] + v["betrayal_exposure"])
        for i, j in ((a, b), (b, a)):
            s.negative[:, i, j] += hit
            s.grievance[:, i, j] += hit
        s.threat[:, a, b] += v["threat_gain"] * magnitude
        s.threat[:, b, a] += v["threat_gain"] * magnitude
        np.clip(s.threat, 0.0, 1.0, out=s.threat)
        refresh_trust(s)

    def recognitions(self, actor: int, target: int, act: str) -> None:
        """Every state but the actor and the target decides whether to recognise."""
        world = self.world
        deciding = world.is_state.copy()
        deciding[[actor, target]] = False
        scores = decisions.recognition_scores(self.s, world, self.P, self.rngs, deciding, actor)
        if not self.log.enabled:
            return
        who = np.flatnonzero(deciding)
        codes, subject = [world.codes[i] for i in who], world.codes[target]
        for r, (row, threshold) in enumerate(zip(scores[:, who].tolist(),
                                                 self.P.values["recognition_threshold"].tolist())):
            for code, score in zip(codes, row):
                self.log.add(r, "", code, "recognition", "recognise" if score > threshold else "not recognise",
                             subject=subject, topic=act, score=score)

    def vote(self, subject: int, violator: int | None, sponsor: int | None) -> None:
        """Every state votes yes / abstain / no on upholding `subject`'s territorial integrity."""
        world = self.world
        choice, net = decisions.votes(self.s, world, self.P, self.rngs, subject, violator, sponsor)
        if not self.log.enabled:
            return
        names = {1: "yes", 0: "abstain", -1: "no"}
        states = np.flatnonzero(world.is_state)
        codes, subject_code = [world.codes[i] for i in states], world.codes[subject]
        for r, (row, pulls) in enumerate(zip(choice[:, states].tolist(), net[:, states].tolist())):
            for code, vote, pull in zip(codes, row, pulls):
                self.log.add(r, "", code, "vote", names[vote], subject=subject_code, topic="territorial integrity",
                             score=pull)

    # -- pressure and change of government ---------------------------------------------
    def pressure(self, magnitude: float, centre: int | None = None, targets: Sequence[int] = (),
                 scale: str | None = None) -> None:
        """Pressure on illiberal regimes (x illiberalism): full on the targets or in the
        centre's region, `region_spillover` of it elsewhere; `scale` names a parameter
        that multiplies the magnitude."""
        s, world, v = self.s, self.world, self.P.values
        amount = v[scale] * magnitude if scale else np.full(s.runs, magnitude)
        spill = v["region_spillover"][:, None]
        if targets:
            near = np.isin(np.arange(world.n), list(targets))
        elif centre is not None:
            near = world.region == world.region[centre]
        else:
            near = np.ones(world.n, dtype=bool)
        reach = np.where(near, 1.0, spill)
        states = world.is_state
        s.pressure[:, states] += (amount[:, None] * s.illiberalism[:, states]) * reach[:, states]

    def regime_pressure(self, i: int, magnitude: float) -> None:
        """Domestic pressure on one regime (a crackdown, separatist violence)."""
        self.s.pressure[:, i] += self.P.values["domestic_pressure"] * magnitude

    def set_attributes(self, i: int, values: dict[str, float]) -> None:
        """New attribute values for state i (a new government) in every run."""
        for name, value in values.items():
            getattr(self.s, ATTRIBUTE_ARRAYS[name])[:, i] = value

    def set_norms(self, i: int, values: dict[str, float]) -> None:
        """New norm positions for state i in every run."""
        for name, value in values.items():
            self.s.norms[:, i, self.norm(name)] = value

    def set_rivalry(self, i: int, values: dict[str, int | float]) -> None:
        """New rivalry levels between state i and others (symmetric) in every run."""
        for other, value in values.items():
            j = self.index(other)
            self.s.rivalry[:, i, j] = self.s.rivalry[:, j, i] = value

    def open_channel(self, i: int, magnitude: float) -> None:
        """A great power's outside channel (e.g. the Belt and Road) gains value."""
        self.s.outside[:, i] += magnitude
