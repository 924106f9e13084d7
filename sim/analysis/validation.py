"""Validation against the article: its 12 patterns as targets that could fail.

Each target is a list of named checks, one per-run claim each with its threshold written
next to it; a run meets a target when it meets every evidence check, and a target PASSES
when the share of runs meeting it is at least `REQUIRED_SHARE`. A claim is either an exact
class (the SCO's text on Georgia is *neutral*, not "not endorse") or a contrast, on the
same seed, against a twin of the history without the shock (`twin_scenarios`), with a
size stated next to it (the size constants below). Which checks are evidence and which
only consistency is declared here and measured by `sim.analysis.references`.
Pattern-oriented modelling (Grimm et al. 2005): all patterns at once. `quiet_future`
checks that nothing drifts without shocks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import yaml

from sim.analysis.functional import RATIO_WINDOW, term_sums
from sim.runs.ensemble import run_view
from sim.runs.ensemble_view import EnsembleView
from sim.core.institutions import GOOD_STANDING
from sim.scenarios.cast import DATA_DIR, Cast
from sim.core.params import Params
from sim.scenarios.calendar import Calendar
from sim.scenarios.schema import Scenario, load_scenario

REQUIRED_SHARE = 0.9
#: The share of a robustness ensemble's runs (parameters or data perturbed) a target must
#: hold in: the second level of the acceptance, used by the ablation of mechanisms no target
#: needs at the default point.
ROBUST_SHARE = 0.7
SUBJECTS: dict[str, str] = yaml.safe_load((DATA_DIR / "targets.yaml").read_text())
PRESSURE_KINDS = ("colour_revolution", "normative_pressure")
#: Twin scenarios read from configs/scenario/ (counterfactuals users run too).
LOADED_TWINS = ("no_crimea", "no_bri", "no_sco_enlargement", "sco_enlarge_tm_mn", "no_csto_revision")
#: The probe of a requested intervention (scenario, event key) and where its family puts
#: it: every CSTO member but the custodian as host, at each of these quarters after the
#: revision (`probe_family`); a general claim holds in FAMILY_SHARE of a family's probes.
PROBE = ("csto_requested_crisis", "tajik_insurgency")
PROBE_DATES = ("2011-07", "2013-04", "2015-04", "2017-04")
FAMILY_SHARE = 0.8
#: The probe family's twins by name (`probe:HOST@YYYY-MM`): their host and date.
FAMILY: dict[str, tuple[str, str]] = {f"probe:{host}@{date}": (host, date)
                                      for host in SUBJECTS["probe_hosts"] for date in PROBE_DATES}
FAMILY_TWINS = tuple(FAMILY)
#: Target 5's general claim (a member's own action against separatists is backed at once)
#: as a family: the Xinjiang unrest repeated for every other SCO founding member
#: (`unrest_hosts` in targets.yaml), one host per quarter of UNREST_DATES in order, all in
#: one twin of the history (`unrest_family`), before the 2011 events so the target stays early.
UNREST = "xinjiang_unrest"
UNREST_DATES = ("2003-07", "2004-07", "2006-07", "2007-07", "2010-01")
UNREST_TWIN = "unrest_family"
UNREST_PROBES: dict[str, str] = dict(zip(SUBJECTS["unrest_hosts"], UNREST_DATES, strict=True))  # one date a host
#: Twin scenarios derived here from the history: name -> (event kinds dropped, event keys dropped).
DERIVED_TWINS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "calm": (PRESSURE_KINDS, ()),
    "no_georgia_war": ((), ("georgia_war",)),
}
ScenarioLoader = Callable[[str], Scenario]
#: Loads a scenario config by name against a given cast.
CastLoader = Callable[[str, Cast], Scenario]


@dataclass
class Views:
    """The ensembles a target may look at, paired by seed: the history and its twins."""

    runs: dict[str, EnsembleView]
    params: Params
    cast: Cast

    @property
    def history(self) -> EnsembleView:
        return self.runs["history"]

    def __getitem__(self, twin: str) -> EnsembleView:
        return self.runs[twin]

    def states_where(self, attribute: str, minimum: float) -> set[str]:
        """Codes of states whose attribute (from the states table) is at least `minimum`."""
        values = self.cast.attributes[attribute]
        return {c for c, v in zip(self.cast.codes, values) if v >= minimum}


#: Each check's result by key: per run, whether it holds and the statistic it reads.
Outcomes = dict[str, tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class Check:
    """One claim of a target, met or not in each run.

    `test` returns, per run, whether the claim holds and the statistic it reads (NaN
    where there is none). `evidence=False` declares a consistency check: a claim the
    references (`sim.analysis.references`) meet as often as the model does, so it
    counts toward no target; the references report says whether each declaration holds.
    """

    key: str
    claim: str
    threshold: str
    test: Callable[[Views], tuple[np.ndarray, np.ndarray]]
    evidence: bool = True


@dataclass(frozen=True)
class Target:
    """One calibration target: the article's pattern as a list of checks, one claim each.

    A run meets the target when it meets every evidence check. `twins` are the twin
    scenarios its checks read besides the history; `period` is when the article's events
    it reads happened: "early" (2001-2010), "late" (2011-2018) or "span" (both; such a
    target sits on neither side of a time split).
    """

    number: int
    name: str
    checks: tuple[Check, ...]
    twins: tuple[str, ...] = ()
    period: str = "span"

    def scenarios(self) -> tuple[str, ...]:
        """The runs the checks read: the history and its twins."""
        return ("history", *self.twins)

    @property
    def evidence(self) -> tuple[Check, ...]:
        """The checks that count toward the target (all of them when none is evidence: a
        target of consistency checks only, which the report marks as such)."""
        return tuple(c for c in self.checks if c.evidence) or self.checks

    @property
    def statistic(self) -> str:
        return "; ".join(c.claim for c in self.evidence)

    @property
    def threshold(self) -> str:
        return "; ".join(c.threshold for c in self.evidence)

    def check(self, views: Views) -> tuple[np.ndarray, np.ndarray]:
        """Per run: whether every evidence check holds, and the first evidence check's statistic."""
        return self.combine({c.key: c.test(views) for c in self.evidence})

    def combine(self, outcomes: Outcomes) -> tuple[np.ndarray, np.ndarray]:
        """`check` from checks already run (`check_outcomes`), so no check runs twice."""
        results = [outcomes[c.key] for c in self.evidence]
        ok = np.logical_and.reduce([np.asarray(r[0], dtype=bool) for r in results])
        return ok, np.asarray(results[0][1], dtype=float)


def _per_run(ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A class check's result: whether it holds, and the same as its statistic."""
    ok = np.asarray(ok, dtype=bool)
    return ok, ok.astype(float)


#: Per state, a boolean per run: whether the state belongs to a group in that run. Every
#: group a check forms is formed run by run, so a run's result never depends on the other
#: runs in its view (a calibration's batch mixes particles).
Membership = dict[str, np.ndarray]


def _members(view: EnsembleView, inst: str, date: str) -> Membership:
    """Per state, the runs in which it is in good standing in `inst` at `date`."""
    return {c: np.isin(view.at(c, f"status.{inst}", date), GOOD_STANDING) for c in view.entities(f"status.{inst}")}


def _either(*groups: Membership) -> Membership:
    """Per state, the runs in which it belongs to any of `groups`."""
    states = sorted(set().union(*groups))
    return {s: np.logical_or.reduce([g[s] for g in groups if s in g]) for s in states}


def _only(values: Mapping[str, np.ndarray], members: Membership) -> dict[str, np.ndarray]:
    """`values` of the states in `members`, NaN in the runs where a state is not a member."""
    return {s: np.where(runs, values[s], np.nan) for s, runs in members.items()}


def _row_mean(values: Sequence[np.ndarray], runs: int) -> np.ndarray:
    """Per run, the mean of the finite entries of `values` (one array per state, summed in
    the given order); NaN in a run where none is finite."""
    if not values:
        return np.full(runs, np.nan)
    stack = np.array(values, dtype=float)
    count = np.isfinite(stack).sum(axis=0)
    total = np.where(np.isfinite(stack), stack, 0.0).sum(axis=0)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _attribute(v: Views, name: str) -> dict[str, float]:
    """One attribute of the states table, by state code (the subjects' cast, `Views.cast`)."""
    return dict(zip(v.cast.codes, v.cast.attributes[name]))


def _usual_members(view: EnsembleView, inst: str, start: str, end: str) -> Membership:
    """Per state, the runs in which it is in good standing in `inst` in most quarters
    between `start` and `end`."""
    first, last = view.step(start), view.step(end) + 1
    return {c: np.isin(view.values(c, f"status.{inst}")[:, first:last], GOOD_STANDING).mean(axis=1) > 0.5
            for c in view.entities(f"status.{inst}")}


#: Fewest states a rank correlation is computed over.
RANK_STATES = 3


def _rank_correlation(x: dict[str, float], y: dict[str, np.ndarray]) -> np.ndarray:
    """Per run, Spearman's rank correlation across the states with a finite `y` in that
    run (NaN: not in the group) between an attribute `x` and the per-run statistic `y`;
    NaN when fewer than RANK_STATES states have one or either side does not vary."""
    from scipy.stats import spearmanr  # SciPy's stats only when a check runs (not for the main job)
    states = sorted(y)
    xs = np.array([x[s] for s in states])
    ys = np.array([y[s] for s in states], dtype=float)
    rho = np.full(ys.shape[1], np.nan)
    for run, column in enumerate(ys.T):
        here = np.isfinite(column)
        if here.sum() >= RANK_STATES and np.ptp(xs[here]) > 0 and np.ptp(column[here]) > 0:
            rho[run] = spearmanr(xs[here], column[here]).statistic
    return rho


def _stance_is(view: EnsembleView, event: str, inst: str, topic: str, allowed: tuple[str, ...]) -> np.ndarray:
    outcomes = view.outcome_per_run(event=event, institution=inst, topic=topic)
    return np.isin(outcomes, allowed)


def _stance(event: str, inst: str, topic: str, stance: str) -> Callable[[Views], tuple[np.ndarray, np.ndarray]]:
    """A check that `inst`'s text on `topic` at `event` is exactly `stance`."""
    return lambda v: _per_run(_stance_is(v.history, event, inst, topic, (stance,)))


def _only_actor_recognises(event: str) -> Callable[[Views], tuple[np.ndarray, np.ndarray]]:
    """A check that no state but the actor recognises what `event` created."""
    def test(v: Views) -> tuple[np.ndarray, np.ndarray]:
        rows = v.history.outcomes(event=event, kind="recognition")
        recognised = rows[rows["outcome"] == "recognise"]["run"].unique()
        return _per_run(~np.isin(np.arange(v.history.runs), recognised))
    return test


def _outcome(event: str, kind: str, wanted: str, **match: str) -> Callable[[Views], tuple[np.ndarray, np.ndarray]]:
    """A check that the decision of `kind` at `event` comes out `wanted`."""
    return lambda v: _per_run(v.history.outcome_per_run(event=event, kind=kind, **match) == wanted)


def _left(view: EnsembleView, inst: str) -> dict[str, np.ndarray]:
    """Per state, the runs in which it suspended or withdrew from `inst`."""
    rows = view.outcomes(institution=inst, kind="membership")
    rows = rows[rows["outcome"].isin(["suspended", "withdrawn"])]
    return {state: np.isin(np.arange(view.runs), group["run"].unique())
            for state, group in rows.groupby("state", observed=True)}


def _nobody_leaves(inst: str, but: str | None = None) -> Callable[[Views], tuple[np.ndarray, np.ndarray]]:
    """A check that no member of `inst` (other than `but`'s subject) suspends or withdraws."""
    def test(v: Views) -> tuple[np.ndarray, np.ndarray]:
        left = _left(v.history, inst)
        spared = SUBJECTS[but] if but else None
        ok = np.ones(v.history.runs, dtype=bool)
        for state, runs in left.items():
            if state != spared:
                ok &= ~runs
        return _per_run(ok)
    return test


def summits_continue(v: Views) -> tuple[np.ndarray, np.ndarray]:
    h = v.history
    smallest = np.full(h.runs, np.inf)
    for inst, start in (("SCO", "2001-07"), ("CSTO", "2003-10")):
        good = h.values(inst, "n_active")[:, h.step(start):] + h.values(inst, "n_hedging")[:, h.step(start):]
        members = good + h.values(inst, "n_suspended")[:, h.step(start):]
        smallest = np.minimum(smallest, (good / members).min(axis=1))
    return smallest >= 2.0 / 3.0, smallest


def stay_engaged(v: Views) -> tuple[np.ndarray, np.ndarray]:
    h = v.history
    engaged = np.full(h.runs, np.inf)
    for inst, start in (("SCO", "2002-01"), ("CSTO", "2004-01")):
        engaged = np.minimum(engaged, h.mean_between(inst, "engagement", start, "2018-10"))
    return engaged > ENGAGED, engaged


def _common_trust(a: EnsembleView, b: EnsembleView, inst: str, date: str) -> np.ndarray:
    """Per run, mean mutual trust among states in good standing in `inst` in both runs."""
    codes = a.entities(f"status.{inst}")
    step = a.step(date)
    result = np.zeros(a.runs)
    for run in range(a.runs):
        common = [c for c in codes
                  if a.values(c, f"status.{inst}")[run, step] in GOOD_STANDING
                  and b.values(c, f"status.{inst}")[run, step] in GOOD_STANDING]
        pairs = [(x, y) for x in common for y in common if x != y]
        result[run] = np.mean([a.values(x, f"trust_in.{y}")[run, step] for x, y in pairs]) if pairs else np.nan
    return result


def _rally(date: str) -> Callable[[Views], tuple[np.ndarray, np.ndarray]]:
    """A check that trust among common members at `date` is RALLY above the calm twin in both."""
    def test(v: Views) -> tuple[np.ndarray, np.ndarray]:
        h, c = v.history, v["calm"]
        smallest = np.min([_common_trust(h, c, inst, date) - _common_trust(c, h, inst, date)
                           for inst in ("SCO", "CSTO")], axis=0)
        return smallest >= RALLY, smallest
    return test


def _exposed(v: Views, date: str) -> Membership:
    """Per state exposed to separatism (not the custodian), the runs in which it is a member
    of either organisation at `date`."""
    members = _either(_members(v.history, "SCO", date), _members(v.history, "CSTO", date))
    exposed = v.states_where("separatism_exposure", EXPOSED_MIN) - {SUBJECTS["custodian"]}
    return {s: runs for s, runs in members.items() if s in exposed}


def _exposed_trust_drop(date: str) -> Callable[[Views], tuple[np.ndarray, np.ndarray]]:
    """A check that the mean trust in the custodian of the members exposed to separatism
    at the war (2008Q3) is CLEAR_FALL lower at `date` than in the twin without the war."""
    def test(v: Views) -> tuple[np.ndarray, np.ndarray]:
        h, twin = v.history, v["no_georgia_war"]
        trust_in = f"trust_in.{SUBJECTS['custodian']}"
        exposed = _exposed(v, "2008-07")
        drop = _only({s: twin.at(s, trust_in, date) - h.at(s, trust_in, date) for s in exposed}, exposed)
        drop = _row_mean(list(drop.values()), h.runs)
        return drop >= CLEAR_FALL, drop
    return test


def legitimation_outweighs(v: Views) -> tuple[np.ndarray, np.ndarray]:
    """The legitimation term of the members' engagement utility over its functional term,
    pooled over the member-quarters in good standing, 2002-2018 (`channel_ratio`'s window
    and pooling): the smaller of the SCO's and the CSTO's. The article holds that the clubs
    keep their illiberal members for the legitimation they lend, not for what they deliver
    ('Protective integration', 'Conclusion')."""
    h = v.history
    window = slice(h.step(RATIO_WINDOW[0]), h.step(RATIO_WINDOW[1]) + 1)
    ratios = []
    for inst in ("SCO", "CSTO"):
        legitimation, functional, _ = term_sums(lambda metric: h.values(inst, metric)[:, window])
        with np.errstate(divide="ignore", invalid="ignore"):
            ratios.append(legitimation / functional)
    smallest = np.min(ratios, axis=0)
    return smallest > OUTWEIGHS, smallest


def _exposed_lose_more(twin_name: str, before: str, after: str) -> Callable[[Views], tuple[np.ndarray, np.ndarray]]:
    """A check that support for separatism costs Russia more trust the more a member is
    exposed to separatism: Spearman's rank correlation, across the members of either
    organisation at `before` (not the custodian), between separatism exposure and the fall
    in trust in Russia at `after` (twin without the shock - history), at least SCALES_WITH.
    A rank statistic, not a split of members at an exposure cut: a member coded at the cut
    would move between groups with its coding's uncertainty."""
    def test(v: Views) -> tuple[np.ndarray, np.ndarray]:
        h, twin = v.history, v[twin_name]
        custodian = SUBJECTS["custodian"]
        members = _either(_members(h, "SCO", before), _members(h, "CSTO", before))
        members.pop(custodian, None)
        drop = {s: twin.at(s, f"trust_in.{custodian}", after) - h.at(s, f"trust_in.{custodian}", after)
                for s in members}
        rho = _rank_correlation(_attribute(v, "separatism_exposure"), _only(drop, members))
        return rho >= SCALES_WITH, rho
    return test


def _sco_text(view: EnsembleView, event: str) -> np.ndarray:
    """Per run, the score of the SCO's text on `event` (NaN where it adopted none)."""
    rows = view.outcomes(event=event, institution="SCO")
    text = np.full(view.runs, np.nan)
    text[rows["run"].to_numpy()] = rows["score"].to_numpy()
    return text


def xinjiang_backed(v: Views) -> tuple[np.ndarray, np.ndarray]:
    text = _sco_text(v.history, UNREST)
    return text >= 1.0, text


def members_backed(v: Views) -> tuple[np.ndarray, np.ndarray]:
    """Per run, the share of the unrest family's probes (`unrest_family`) on which the SCO's
    text fully endorses the host's action, among hosts in good standing at the time; the
    claim holds in FAMILY_SHARE of them."""
    twin = v[UNREST_TWIN]
    backed, asked = np.zeros(twin.runs), np.zeros(twin.runs)
    for host, date in UNREST_PROBES.items():
        eligible = np.isin(twin.at(host, "status.SCO", date), GOOD_STANDING)
        asked += eligible
        backed += eligible & (_sco_text(twin, _unrest_key(host)) >= 1.0)
    share = np.divide(backed, asked, out=np.full(backed.shape, np.nan), where=asked > 0)
    return share >= FAMILY_SHARE, share


def _unrest_key(host: str) -> str:
    return f"unrest_probe_{host}"


def _month_step(scenario: Scenario, month: str) -> int:
    """The step of a 'YYYY-MM' month in `scenario`'s horizon, where a probe is moved to."""
    step = scenario.calendar.month_step(month)
    if step is None:
        raise ValueError(f"probe month {month} is outside the horizon of '{scenario.name}'")
    return step


def unrest_family(history: Scenario) -> Scenario:
    """The history with the Xinjiang unrest repeated for each host of UNREST_PROBES at its
    quarter (the original stays)."""
    unrest = next(e for e in history.events if e.key == UNREST)
    probes = [replace(unrest, key=_unrest_key(host), state=host, date=f"{date}-01",
                      step=_month_step(history, date))
              for host, date in UNREST_PROBES.items()]
    return replace(history, name=UNREST_TWIN, events=sorted([*history.events, *probes], key=lambda e: e.step))


def _no_intervention(event: str) -> Callable[[Views], tuple[np.ndarray, np.ndarray]]:
    """A check that neither organisation intervenes at `event`."""
    def test(v: Views) -> tuple[np.ndarray, np.ndarray]:
        ok = np.ones(v.history.runs, dtype=bool)
        for inst in ("SCO", "CSTO"):
            ok &= v.history.outcome_per_run(event=event, institution=inst, kind="intervention") == "no intervention"
        return _per_run(ok)
    return test


def osh_reasons(v: Views) -> tuple[np.ndarray, np.ndarray]:
    h = v.history
    osh = h.outcomes(event="osh_violence", institution="CSTO", kind="intervention")
    reasons = osh["detail"].str.contains("no mandate") & osh["detail"].str.contains("no willing great power")
    return _per_run(np.isin(np.arange(h.runs), osh[reasons]["run"]))


def _group_mean(values: dict[str, float], group: set[str]) -> float:
    """The mean of `values` over `group`, summed in sorted order (a set's order, and so the
    last digits of its sum, would change with PYTHONHASHSEED)."""
    return float(np.mean([values[c] for c in sorted(group)]))


def _objection_gap(view: EnsembleView, sovereignty: dict[str, float], event: str) -> np.ndarray:
    """Per run, how far the members refusing an operation at `event` (the CSTO's
    `blocked_by`) are more sovereignty-minded than those consenting: the refusers' mean
    sensitivity minus the consenting members' (in good standing, neither the host nor the
    would-be leader). NaN when nobody or everybody refuses."""
    rows = view.outcomes(event=event, institution="CSTO", kind="intervention").set_index("run")
    status = {c: view.values(c, "status.CSTO") for c in view.entities("status.CSTO")}
    gap = np.full(view.runs, np.nan)
    for run, row in rows.iterrows():
        refusers = set(filter(None, row["blocked_by"].split(",")))
        deciding = {c for c, values in status.items()
                    if c not in (row["subject"], row["setter"]) and values[run, row["step"]] in GOOD_STANDING}
        consenting = deciding - refusers
        if refusers and consenting:
            gap[run] = _group_mean(sovereignty, refusers) - _group_mean(sovereignty, consenting)
    return gap


def sovereign_objectors(v: Views) -> tuple[np.ndarray, np.ndarray]:
    """In Osh (June 2010) some members, not all, refuse a CSTO operation, and the refusers
    are on average more sovereignty-minded than the members consenting (article 'Responses
    to intrastate crises': Uzbekistan, and Kazakhstan too, opposed a Russian-led operation).
    Means, not the strict ordering of every refuser above every consenting member: the
    codings' gaps at the top (0.1-0.15) are within their stated uncertainty (+-0.1)."""
    gap = _objection_gap(v.history, _attribute(v, "sovereignty_sensitivity"), "osh_violence")
    return gap > 0, gap  # NaN (nobody or everybody refused) is not > 0


def bank_blocked_by_custodian(v: Views) -> tuple[np.ndarray, np.ndarray]:
    """The SCO development bank is rejected, and the custodian (Russia, fearing China's
    larger share) is the only member refusing it (article 'Conclusion')."""
    rows = v.history.outcomes(event="sco_development_bank", kind="proposal")
    alone = rows[(rows["outcome"] == "rejected") & (rows["blocked_by"] == SUBJECTS["custodian"])]
    return _per_run(np.isin(np.arange(v.history.runs), alone["run"]))


def intervention_possible(v: Views) -> tuple[np.ndarray, np.ndarray]:
    """After the revision a requested intervention can happen, for any host and date: per
    run, the share of the probe family (`probe_family`) whose CSTO outcome is an
    intervention, among the probes whose host is a member in good standing when it asks."""
    done, asked = np.zeros(v.history.runs), np.zeros(v.history.runs)
    for name, (host, date) in FAMILY.items():
        probe = v[name]
        eligible = np.isin(probe.at(host, "status.CSTO", date), GOOD_STANDING)
        outcome = probe.outcome_per_run(event=PROBE[1], institution="CSTO", kind="intervention")
        asked += eligible
        done += eligible & (outcome == "intervene")
    share = np.divide(done, asked, out=np.full(done.shape, np.nan), where=asked > 0)
    return share >= FAMILY_SHARE, share


def probe_family(probe: Scenario) -> dict[str, Scenario]:
    """The requested-intervention probe moved to every host and date of FAMILY (the
    validation's probe hosts at each of PROBE_DATES): one twin per host and date."""
    crisis = next(e for e in probe.events if e.key == PROBE[1])
    family = {}
    for name, (host, date) in FAMILY.items():
        moved = replace(crisis, state=host, date=f"{date}-01",
                        step=_month_step(probe, date))
        events = sorted([e for e in probe.events if e is not crisis] + [moved], key=lambda e: e.step)
        family[name] = replace(probe, name=name, events=events)
    return family


def _first_out(v: Views) -> np.ndarray:
    """Per run, the first step the revision leaver is out of good standing in the CSTO after
    joining (-1: never)."""
    h = v.history
    out = ~np.isin(h.values(SUBJECTS["revision_leaver"], "status.CSTO"), GOOD_STANDING)
    joined = h.step("2006-07")
    return np.array([joined + np.argmax(row[joined:]) if row[joined:].any() else -1 for row in out])


def suspends_after_revision(v: Views) -> tuple[np.ndarray, np.ndarray]:
    h, first = v.history, _first_out(v)
    year = np.where(first >= 0, Calendar.of_dates(h.dates).year_of(first), np.nan)
    return (first >= h.step("2011-01")) & (first <= h.step("2013-10")), year


def stays_out(v: Views) -> tuple[np.ndarray, np.ndarray]:
    out = ~np.isin(v.history.values(SUBJECTS["revision_leaver"], "status.CSTO"), GOOD_STANDING)
    return _per_run([row[f:].all() if f >= 0 else False for row, f in zip(out, _first_out(v))])


def stays_without_revision(v: Views) -> tuple[np.ndarray, np.ndarray]:
    twin = v["no_csto_revision"]
    return _per_run(np.isin(twin.at(SUBJECTS["revision_leaver"], "status.CSTO", "2013-10"), GOOD_STANDING))


def revision_cost_follows_sovereignty(v: Views) -> tuple[np.ndarray, np.ndarray]:
    """The revision costs the more sovereignty-minded CSTO members more engagement: rank
    correlation across members (not the custodian) between sovereignty sensitivity and
    the fall in CSTO engagement 2011-12 (twin without the revision - history)."""
    h, twin = v.history, v["no_csto_revision"]
    members = _usual_members(twin, "CSTO", "2011-01", "2012-10")
    members.pop(SUBJECTS["custodian"], None)
    fall = {m: twin.mean_between(m, "engagement.CSTO", "2011-01", "2012-10")
            - h.mean_between(m, "engagement.CSTO", "2011-01", "2012-10") for m in members}
    rho = _rank_correlation(_attribute(v, "sovereignty_sensitivity"), _only(fall, members))
    return rho >= SCALES_WITH, rho


def hedgers_abstain(v: Views) -> tuple[np.ndarray, np.ndarray]:
    h = v.history
    votes = h.outcomes(event="unga_68_262", kind="vote")
    ok = np.ones(h.runs, dtype=bool)
    for state in SUBJECTS["hedgers"]:
        abstained = votes[(votes["state"] == state) & (votes["outcome"] == "abstain")]["run"]
        ok &= np.isin(np.arange(h.runs), abstained)
    return _per_run(ok)


def compatriot_threat_rises(v: Views) -> tuple[np.ndarray, np.ndarray]:
    h, twin = v.history, v["no_crimea"]
    exposed, threat = SUBJECTS["compatriot_exposed"], f"threat_from.{SUBJECTS['custodian']}"
    rise = h.at(exposed, threat, "2014-04") - twin.at(exposed, threat, "2014-04")
    return rise >= CLEAR_FALL, rise


def crimea_cohesion_falls(v: Views) -> tuple[np.ndarray, np.ndarray]:
    h, twin = v.history, v["no_crimea"]
    gap = np.full(h.runs, np.inf)
    for inst in ("SCO", "CSTO"):
        gap = np.minimum(gap, twin.at(inst, "cohesion", "2015-01") - h.at(inst, "cohesion", "2015-01"))
    return gap >= COHESION_FALL, gap


def sovereign_members_object(v: Views) -> tuple[np.ndarray, np.ndarray]:
    """The more sovereignty-minded a CSTO member, the less it wants out-of-area
    solidarity: rank correlation across members (not the requester) between sovereignty
    sensitivity and minus its ideal text, the lower of the two requests."""
    h = v.history
    sovereignty = _attribute(v, "sovereignty_sensitivity")
    rhos = []
    for event in ("su24_turkey", "syria_peacekeepers"):
        rows = h.outcomes(event=event, kind="solidarity", institution="CSTO")
        ideals = _ideals(rows["detail"]).set_index(rows["run"].to_numpy()).reindex(range(h.runs))
        states = [s for s in ideals.columns if s != SUBJECTS["custodian"]]
        rhos.append(_rank_correlation(sovereignty, {s: -ideals[s].to_numpy() for s in states}))
    smallest = np.min(rhos, axis=0)
    return smallest >= SCALES_WITH, smallest


def crimea_fraying_lasts(v: Views) -> tuple[np.ndarray, np.ndarray]:
    """The fall in cohesion after the annexation lasts to the end of the history: cohesion
    2018Q4, twin without the annexation - history, the lower of the SCO and the CSTO."""
    h, twin = v.history, v["no_crimea"]
    gap = np.min([twin.at(inst, "cohesion", "2018-10") - h.at(inst, "cohesion", "2018-10")
                  for inst in ("SCO", "CSTO")], axis=0)
    return gap >= COHESION_FALL, gap


def investment_falls(v: Views) -> tuple[np.ndarray, np.ndarray]:
    h, twin = v.history, v["no_bri"]
    power = SUBJECTS["outside_channel_power"]
    fall = (twin.mean_between(power, "investment.SCO", "2016-01", "2018-10")
            - h.mean_between(power, "investment.SCO", "2016-01", "2018-10"))
    return fall >= INVESTMENT_FALL, fall


def output_stagnates(v: Views) -> tuple[np.ndarray, np.ndarray]:
    h, twin = v.history, v["no_bri"]
    gap = (twin.mean_between("SCO", "functional_output", "2016-01", "2018-10")
           - h.mean_between("SCO", "functional_output", "2016-01", "2018-10"))
    return gap > 0, gap


BRI_WINDOW = ("2016-01", "2018-10")


def _bri_fall(v: Views, entity: str, metric: str) -> np.ndarray:
    """Per run, `entity`'s mean `metric` over BRI_WINDOW, twin without the Belt and Road -
    history."""
    return (v["no_bri"].mean_between(entity, metric, *BRI_WINDOW)
            - v.history.mean_between(entity, metric, *BRI_WINDOW))


def turns_away_but_stays(v: Views) -> tuple[np.ndarray, np.ndarray]:
    """The power with the outside channel turns away from the club it bypasses but stays in
    it: its SCO engagement over 2016-18 falls by CLEAR_FALL against the twin without the
    Belt and Road, and it is in good standing in 2018Q4 ('Conclusion': declining interest,
    a bypass, not an exit)."""
    power = SUBJECTS["outside_channel_power"]
    fall = _bri_fall(v, power, "engagement.SCO")
    stays = np.isin(v.history.at(power, "status.SCO", BRI_WINDOW[1]), GOOD_STANDING)
    return (fall >= CLEAR_FALL) & stays, fall


def bypass_weakens_sco(v: Views) -> tuple[np.ndarray, np.ndarray]:
    """The club weakens through the power that bypasses it, not through its smaller members:
    SCO cohesion over 2016-18 falls by COHESION_FALL against the twin without the Belt and
    Road while the mean SCO engagement of the members that are not great powers (members in
    2016Q1) falls by less than DIFFERENCE ('Conclusion': China relies on bilateral channels;
    the smaller regimes keep their reasons for the club)."""
    great = dict(zip(v.cast.codes, v.cast.great_power))
    smaller = {m: runs for m, runs in _members(v.history, "SCO", BRI_WINDOW[0]).items() if not great[m]}
    cohesion = _bri_fall(v, "SCO", "cohesion")
    falls = _only({m: _bri_fall(v, m, "engagement.SCO") for m in smaller}, smaller)
    members = _row_mean(list(falls.values()), v.history.runs)
    return (cohesion >= COHESION_FALL) & (members < DIFFERENCE), cohesion


def bri_weakens_sco(v: Views) -> tuple[np.ndarray, np.ndarray]:
    """SCO cohesion 2016-18, twin without the Belt and Road - history."""
    fall = _bri_fall(v, "SCO", "cohesion")
    return fall >= COHESION_FALL, fall


def _enlargement_effect(metric: str) -> Callable[[Views], tuple[np.ndarray, np.ndarray]]:
    """A check that the India-Pakistan accession lowers the SCO's `metric` in 2018Q4 by
    COHESION_FALL against the twin without enlargement."""
    def test(v: Views) -> tuple[np.ndarray, np.ndarray]:
        effect = v["no_sco_enlargement"].at("SCO", metric, "2018-10") - v.history.at("SCO", metric, "2018-10")
        return effect >= COHESION_FALL, effect
    return test


def other_enlargement_neutral(v: Views) -> tuple[np.ndarray, np.ndarray]:
    base, alt = v["no_sco_enlargement"], v["sco_enlarge_tm_mn"]
    effect = np.abs(base.at("SCO", "cohesion", "2018-10") - alt.at("SCO", "cohesion", "2018-10"))
    return effect < COHESION_FALL, effect


def _ideals(detail: pd.Series) -> pd.DataFrame:
    """Members' ideal texts from decision details ('CODE:+0.50;...'), one column per state,
    one row per row of `detail` (all NaN where a decision lists no ideal)."""
    found = detail.str.extractall(r"(?P<state>\w+):(?P<ideal>[-+][\d.]+)")
    wide = found.reset_index(level="match", drop=True).reset_index(names="row").pivot(
        index="row", columns="state", values="ideal").astype(float)
    return wide.reindex(detail.index)


def tracking_gap(v: Views) -> tuple[np.ndarray, np.ndarray]:
    """On each draft put to both organisations, the states in both state ideal texts
    closer to the custodian's inside the CSTO than inside the SCO: mean |ideal - the
    custodian's ideal|, SCO minus CSTO (the same states on the same drafts)."""
    h, custodian = v.history, SUBJECTS["custodian"]
    rows = h.decisions[h.decisions["kind"].isin(TEXT_KINDS) & h.decisions["institution"].isin(["SCO", "CSTO"])]
    ideals = _ideals(rows["detail"])
    distance = ideals.sub(ideals[custodian], axis=0).abs().drop(columns=custodian)
    keyed = pd.concat([rows[["run", "event", "topic", "institution"]], distance], axis=1)
    wide = keyed.pivot_table(index=["run", "event", "topic"], columns="institution")
    gaps = []
    for state in distance.columns:
        if (state, "SCO") in wide and (state, "CSTO") in wide:
            gaps.append(wide[(state, "SCO")] - wide[(state, "CSTO")])
    gap = pd.concat(gaps).dropna().groupby(level="run").mean().reindex(range(h.runs)).to_numpy()
    return gap >= TRACKING_GAP, gap


def outcomes_track_custodian(v: Views) -> tuple[np.ndarray, np.ndarray]:
    """On drafts put to both organisations, the text the CSTO adopts is closer to the
    custodian's ideal than the SCO's: mean |adopted text - custodian's ideal|, SCO minus
    CSTO (the adopted texts come out of the veto bargaining, not from a formula)."""
    h, custodian = v.history, SUBJECTS["custodian"]
    rows = h.decisions[h.decisions["kind"].isin(TEXT_KINDS) & h.decisions["institution"].isin(["SCO", "CSTO"])]
    ideal = _ideals(rows["detail"])[custodian]
    keyed = rows[["run", "event", "topic", "institution"]].assign(distance=(rows["score"] - ideal).abs())
    wide = keyed.pivot_table(index=["run", "event", "topic"], columns="institution", values="distance").dropna()
    gap = (wide["SCO"] - wide["CSTO"]).groupby(level="run").mean().reindex(range(h.runs)).to_numpy()
    return gap >= TRACKING_GAP, gap


#: The first and last dates the targets read: a validated scenario must span them.
TARGET_WINDOW = ("2001-07", "2018-10")
#: Sizes of the contrasts (on the model's 0-1 scales); each says what the article's
#: wording is taken to mean.
ENGAGED = 0.6           # "keep meeting": mean engagement of members in good standing
RALLY = 0.01            # "strengthen bonding": trust among common members, vs. the calm twin
CLEAR_FALL = 0.05       # "clearly": trust or threat, vs. the twin without the shock
COHESION_FALL = 0.01    # cohesion or congruence "falls", vs. the twin without the shock; a
                        # smaller |difference| is "about the same" (the two never overlap)
INVESTMENT_FALL = 0.05  # "invests less", vs. the twin without the Belt and Road
TRACKING_GAP = 0.1      # "track Russia's more closely": ideal-text distance, SCO minus CSTO
DIFFERENCE = 0.01       # "more engaged than": a difference between groups of members
OUTWEIGHS = 1.0         # "outweighs": the legitimation term over the functional term
SCALES_WITH = 0.5       # "the more ..., the more ...": Spearman rank correlation across members
                        # (a strong association by the usual convention; assumption)
EXPOSED_MIN = 0.5
TEXT_KINDS = ("declaration", "statement", "solidarity", "designation")

C = Check
TARGETS: tuple[Target, ...] = (
    Target(1, "Both persist; no SCO member leaves; Uzbekistan the only CSTO leaver; summits continue", (
        C("1.no_sco_leaver", "SCO members who suspend or withdraw", "none", _nobody_leaves("SCO")),
        C("1.one_csto_leaver", "CSTO members other than UZB who suspend or withdraw", "none",
          _nobody_leaves("CSTO", "revision_leaver")),
        C("1.summits_continue", "lowest share of members in good standing", ">= 2/3", summits_continue),
    ), period="span"),
    Target(2, "Low output: the SCO's pooling proposals fail; members stay engaged", (
        C("2.bank_rejected", "SCO development bank", "rejected",
          _outcome("sco_development_bank", "proposal", "rejected"), evidence=False),
        C("2.staff_rejected", "SCO military staff", "rejected",
          _outcome("sco_military_staff", "proposal", "rejected"), evidence=False),
        C("2.stay_engaged", "lowest mean engagement of the two, 2002/04-2018", "> 0.6", stay_engaged),
        C("2.bank_blocked_by_custodian", "members refusing the SCO development bank", "Russia alone",
          bank_blocked_by_custodian),
        C("2.legitimation_outweighs", "legitimation term of the members' utility / functional term, 2002-18 "
          "(lower of SCO, CSTO)", "> 1", legitimation_outweighs),
    ), period="span"),
    Target(3, "Rally effect of colour revolutions and the Arab Spring; Andijan backed", (
        C("3.rally_colour", "trust among common members 2006Q1, history - calm twin (lower of SCO, CSTO)",
          ">= 0.01", _rally("2006-01")),
        C("3.rally_arab_spring", "trust among common members 2012Q1, history - calm twin (lower of SCO, CSTO)",
          ">= 0.01", _rally("2012-01")),
        C("3.andijan_backed", "SCO stance on Andijan", "endorse",
          _stance("andijan_crackdown", "SCO", "backing a member's crackdown", "endorse")),
    ), twins=("calm",), period="span"),
    Target(4, "Georgia 2008: SCO neutral, CSTO backs the action and is silent on recognition, exposed trust in Russia falls", (
        C("4.sco_action_neutral", "SCO text on the action", "neutral",
          _stance("georgia_war", "SCO", "support for the action", "neutral"), evidence=False),
        C("4.sco_recognition_neutral", "SCO text on recognition", "neutral",
          _stance("georgia_war", "SCO", "endorsing recognition", "neutral"), evidence=False),
        C("4.csto_action_backed", "CSTO text on the action", "endorse",
          _stance("georgia_war", "CSTO", "support for the action", "endorse")),
        C("4.csto_recognition_neutral", "CSTO text on recognition", "neutral",
          _stance("georgia_war", "CSTO", "endorsing recognition", "neutral"), evidence=False),
        C("4.only_russia_recognises", "recognitions", "Russia only", _only_actor_recognises("georgia_war"), evidence=False),
        C("4.exposed_trust_falls", "exposed members' trust in Russia 2008Q4, twin without the war - history",
          ">= 0.05", _exposed_trust_drop("2008-10"), evidence=False),
        C("4.georgia_reverberates", "exposed members' trust in Russia 2013Q4, twin without the war - history",
          ">= 0.05", _exposed_trust_drop("2013-10"), evidence=False),
        C("4.exposed_lose_more", "rank correlation: separatism exposure vs fall in trust in Russia 2008Q4 (twin - history)",
          ">= 0.5", _exposed_lose_more("no_georgia_war", "2008-07", "2008-10")),
    ), twins=("no_georgia_war",), period="early"),
    Target(5, "Xinjiang 2009: the SCO backs China at once and unequivocally", (
        C("5.xinjiang_backed", "SCO text in the quarter of the unrest", "full endorsement (+1)", xinjiang_backed),
        C("5.members_backed", "share of probes (the unrest repeated for every other SCO founder, 2003-10) "
          "whose SCO text fully endorses the host", ">= 0.8", members_backed),
    ), twins=(UNREST_TWIN,), period="early"),
    Target(6, "Kyrgyzstan 2010: no intervention (in June no mandate, no Russian will); one possible after the revision when asked", (
        C("6.no_intervention_coup", "April coup, SCO and CSTO", "no intervention (both)",
          _no_intervention("kyrgyz_coup"), evidence=False),
        C("6.no_intervention_osh", "June violence in Osh, SCO and CSTO", "no intervention (both)",
          _no_intervention("osh_violence"), evidence=False),
        C("6.osh_reasons", "the CSTO's reasons in June", "'no mandate' and 'no willing great power'", osh_reasons, evidence=False),
        C("6.sovereign_objectors", "members refusing an operation in Osh: mean sovereignty sensitivity of "
          "the refusers - of the consenting members", "> 0 (some refuse, not all)", sovereign_objectors),
        C("6.intervention_possible", "share of probes (every CSTO host but Russia x 2011-17) in which a "
          "requested intervention happens", ">= 0.8", intervention_possible),
    ), twins=FAMILY_TWINS, period="early"),
    Target(7, "Uzbekistan suspends CSTO membership after the revision and stays out; not without the revision", (
        C("7.suspends_after_revision", "first quarter not in good standing in the CSTO after joining",
          "2011Q1-2013Q4", suspends_after_revision),
        C("7.stays_out", "status after leaving, to 2018", "out to the end", stays_out, evidence=False),
        C("7.stays_without_revision", "status in 2013Q4 in the twin without the revision", "in good standing",
          stays_without_revision, evidence=False),
        C("7.cost_follows_sovereignty", "rank correlation: sovereignty sensitivity vs fall in CSTO engagement "
          "2011-12 (twin - history)", ">= 0.5", revision_cost_follows_sovereignty),
    ), twins=("no_csto_revision",), period="late"),
    Target(8, "Crimea 2014: silence in both, no recognitions, Kazakhstan and Kyrgyzstan hedge, Kazakh threat up, cohesion down; "
           "the CSTO still adopts Russia's coordination plan", (
        C("8.sco_action_neutral", "SCO text on the action", "neutral",
          _stance("crimea_annexation", "SCO", "support for the action", "neutral"), evidence=False),
        C("8.sco_recognition_neutral", "SCO text on recognition", "neutral",
          _stance("crimea_annexation", "SCO", "endorsing recognition", "neutral"), evidence=False),
        C("8.csto_action_neutral", "CSTO text on the action", "neutral",
          _stance("crimea_annexation", "CSTO", "support for the action", "neutral"), evidence=False),
        C("8.csto_recognition_neutral", "CSTO text on recognition", "neutral",
          _stance("crimea_annexation", "CSTO", "endorsing recognition", "neutral"), evidence=False),
        C("8.only_russia_recognises", "recognitions", "Russia only", _only_actor_recognises("crimea_annexation"),
          evidence=False),
        C("8.hedgers_abstain", "KAZ and KGZ on the UN vote", "abstain (both)", hedgers_abstain, evidence=False),
        C("8.compatriot_threat_rises", "KAZ threat from Russia 2014Q2, history - twin without the annexation",
          ">= +0.05", compatriot_threat_rises, evidence=False),
        C("8.exposed_lose_more", "rank correlation: separatism exposure vs fall in trust in Russia 2014Q2 (twin - history)",
          ">= 0.5", _exposed_lose_more("no_crimea", "2014-01", "2014-04")),
        C("8.fraying_lasts", "cohesion 2018Q4, twin without the annexation - history (lower of SCO, CSTO)",
          ">= 0.01", crimea_fraying_lasts),
        C("8.cohesion_falls", "cohesion 2015Q1, twin without the annexation - history (lower of SCO, CSTO)",
          ">= 0.01", crimea_cohesion_falls, evidence=False),
        C("8.coordination_goes_on", "CSTO on Russia's plan of foreign-policy consultations, 2014Q2", "adopted",
          _outcome("csto_foreign_policy_plan", "proposal", "adopted", institution="CSTO")),
    ), twins=("no_crimea",), period="late"),
    Target(9, "CSTO: terrorism statement yes, out-of-area solidarity met with silence", (
        C("9.terrorism_statement", "stance on the 2015 terrorism statement", "endorse",
          _outcome("csto_terrorism_statement", "statement", "endorse")),
        C("9.no_solidarity_turkey", "Turkey 2015 request", "neutral", _outcome("su24_turkey", "solidarity", "neutral"), evidence=False),
        C("9.no_solidarity_syria", "Syria 2017 request", "neutral",
          _outcome("syria_peacekeepers", "solidarity", "neutral"), evidence=False),
        C("9.sovereign_members_object", "rank correlation: sovereignty sensitivity vs objection to out-of-area "
          "solidarity (lower of the two requests)", ">= 0.5", sovereign_members_object),
    ), period="late"),
    Target(10, "After the Belt and Road China invests less in the SCO and its output stagnates", (
        C("10.investment_falls", "China's mean SCO investment 2016-18, twin without the Belt and Road - history",
          ">= 0.05", investment_falls, evidence=False),
        C("10.output_stagnates", "SCO output 2016-18, twin without the Belt and Road - history", "> 0",
          output_stagnates, evidence=False),
        C("10.bri_weakens_sco", "SCO cohesion 2016-18, twin without the Belt and Road - history", ">= 0.01",
          bri_weakens_sco, evidence=False),
        C("10.turns_away_but_stays", f"{SUBJECTS['outside_channel_power']}'s SCO engagement 2016-18, twin without "
          f"the Belt and Road - history; {SUBJECTS['outside_channel_power']} in good standing 2018Q4",
          ">= 0.05 and stays", turns_away_but_stays),
        C("10.bypass_weakens_sco", "SCO cohesion 2016-18 (twin - history); the smaller members' SCO engagement "
          "(twin - history)", ">= 0.01; < 0.01", bypass_weakens_sco),
    ), twins=("no_bri",), period="late"),
    Target(11, "India-Pakistan accession lowers congruence and cohesion and blocks designations; TM+MN would not", (
        C("11.congruence_falls", "SCO congruence 2018Q4, twin without enlargement - history", ">= 0.01",
          _enlargement_effect("congruence")),
        C("11.cohesion_falls", "SCO cohesion 2018Q4, twin without enlargement - history", ">= 0.01",
          _enlargement_effect("cohesion")),
        C("11.designation_blocked", "terrorist designation", "neutral",
          _outcome("sco_terrorist_listing", "designation", "neutral"), evidence=False),
        C("11.other_enlargement_neutral", "|SCO cohesion 2018Q4, TM+MN - no enlargement|", "< 0.01 (not a fall)",
          other_enlargement_neutral),
    ), twins=("sco_enlarge_tm_mn", "no_sco_enlargement"), period="late"),
    Target(12, "Inside the CSTO the same states track Russia's position more closely than inside the SCO", (
        C("12.tracking_gap", "on drafts put to both: mean |member's ideal text - Russia's|, SCO minus CSTO",
          ">= 0.1", tracking_gap),
        C("12.outcomes_track_russia", "on drafts put to both: mean |adopted text - Russia's ideal|, SCO minus CSTO",
          ">= 0.1", outcomes_track_custodian),
    ), period="span"),
)
CHECKS: tuple[Check, ...] = tuple(c for t in TARGETS for c in t.checks)


QUIET_SCENARIO = "quiet_future"
#: The quiet future's claims: no member hedges, suspends or withdraws after the history
#: ends in at least QUIET_SHARE of seeds, and each organisation's final cohesion stays
#: within QUIET_DRIFT of its value at the end of the history.
QUIET_SHARE, QUIET_DRIFT = 0.9, 0.05
MOVES_AWAY = ("hedging", "suspended", "withdrawn")


def quiet_future(view: EnsembleView, history_end: str) -> pd.DataFrame:
    """Stability when nothing happens: per organisation, the share of seeds in which no
    member hedges, suspends or withdraws after `history_end`, and the share whose
    last-quarter cohesion stays within QUIET_DRIFT of its value at `history_end`."""
    rows = view.outcomes(kind="membership")
    rows = rows[rows["outcome"].isin(MOVES_AWAY) & (rows["step"] > view.step(history_end))]
    report = []
    for inst in view.entities("cohesion"):
        moved = np.isin(np.arange(view.runs), rows[rows["institution"] == inst]["run"].unique())
        drift = view.values(inst, "cohesion")[:, -1] - view.at(inst, "cohesion", history_end)
        report.append({"institution": inst, "no_member_moves_away": float(np.mean(~moved)),
                       "cohesion_end": float(np.median(view.at(inst, "cohesion", history_end))),
                       "cohesion_last": float(np.median(view.values(inst, "cohesion")[:, -1])),
                       "within_drift": float(np.mean(np.abs(drift) <= QUIET_DRIFT))})
    table = pd.DataFrame(report)
    table["result"] = np.where(quiet_shares(table) >= QUIET_SHARE, "PASS", "FAIL")
    return table


def quiet_shares(table: pd.DataFrame) -> pd.Series:
    """Per organisation of a `quiet_future` table, the smaller of its two shares."""
    return table[["no_member_moves_away", "within_drift"]].min(axis=1)


def drop_events(scenario: Scenario, name: str, kinds: tuple[str, ...] = (),
                keys: tuple[str, ...] = ()) -> Scenario:
    """The same scenario without the events of the given kinds or keys."""
    events = [e for e in scenario.events if e.kind not in kinds and e.key not in keys]
    return replace(scenario, name=name, events=events)


def twin_scenarios(history: Scenario, load: ScenarioLoader) -> dict[str, Scenario]:
    """The history and every twin the targets compare it with, by name."""
    twins = {"history": history}
    twins.update({name: load(name) for name in LOADED_TWINS})
    twins.update({name: drop_events(history, name, kinds, keys)
                  for name, (kinds, keys) in DERIVED_TWINS.items()})
    twins.update(probe_family(load(PROBE[0])))
    twins[UNREST_TWIN] = unrest_family(history)
    return twins


def scenarios_on(cast: Cast, history_raw: Mapping, load: CastLoader) -> dict[str, Scenario]:
    """The history (`history_raw`, a scenario config) and its twins, each loaded anew
    against `cast` (a perturbed or flattened cast)."""
    history = load_scenario(history_raw, cast, source="history")
    return twin_scenarios(history, lambda name: load(name, cast))


def run_views(scenarios: dict[str, Scenario], params: Params, seeds: list[int],
              progress: bool = False) -> Views:
    """Run the history and its twins (from `twin_scenarios`) on the same seeds."""
    return run_pair_views(scenarios, [(params, seed) for seed in seeds], params, progress)


def run_pair_views(scenarios: dict[str, Scenario], runs: list[tuple[Params, int]], base: Params,
                   progress: bool = False) -> Views:
    """Run the same (parameters, seed) pairs in each scenario: run i of every view is pair i."""
    views = {name: run_view(s, runs, progress) for name, s in scenarios.items()}
    return Views(runs=views, params=base, cast=scenarios["history"].cast)


def met_per_point(views: Views, keys: Sequence[str], points: int, per: int) -> dict[str, np.ndarray]:
    """Per check of `keys` (each run once), whether each run meets it, as (points, per):
    point i holds runs i*per .. i*per + per - 1 of `views`."""
    by_key = {c.key: c for c in CHECKS}
    return {key: np.asarray(by_key[key].test(views)[0], dtype=bool).reshape(points, per) for key in keys}


def met_shares(views: Views, keys: Sequence[str], points: int, per: int) -> np.ndarray:
    """(points, 1 + len(keys)): for each point (runs i*per .. i*per + per - 1 of `views`),
    the share of its runs meeting every check of `keys` at once, then the share meeting
    each (the calibration's `checks` statistics)."""
    met = list(met_per_point(views, keys, points, per).values())
    every = np.logical_and.reduce(met)
    return np.column_stack([every.mean(axis=1), *(m.mean(axis=1) for m in met)])


def check_outcomes(views: Views) -> Outcomes:
    """Every check (evidence and consistency alike) run once on `views`."""
    return {c.key: c.test(views) for c in CHECKS}


def _median(value: np.ndarray) -> float:
    finite = np.asarray(value, dtype=float)
    finite = finite[np.isfinite(finite)]
    return float(np.median(finite)) if finite.size else float("nan")


def evaluate(outcomes: Outcomes) -> pd.DataFrame:
    """One row per target (from `check_outcomes`): statistic, threshold, median value,
    share of runs, PASS/FAIL."""
    rows = []
    for target in TARGETS:
        ok, value = target.combine(outcomes)
        share = float(np.mean(ok))
        rows.append({"target": target.number, "name": target.name,
                     "evidence_checks": sum(c.evidence for c in target.checks), "statistic": target.statistic,
                     "threshold": target.threshold, "value": _median(value),
                     "share": share, "result": "PASS" if share >= REQUIRED_SHARE else "FAIL"})
    return pd.DataFrame(rows)


def evaluate_checks(outcomes: Outcomes) -> pd.DataFrame:
    """One row per check (from `check_outcomes`): its target, claim, threshold, kind
    (evidence or consistency), median statistic and share of runs meeting it."""
    return pd.DataFrame([{"target": target.number, "check": check.key, "claim": check.claim,
                          "threshold": check.threshold, "kind": "evidence" if check.evidence else "consistency",
                          "value": _median(outcomes[check.key][1]), "share": float(np.mean(outcomes[check.key][0]))}
                         for target in TARGETS for check in target.checks])


def check_shares(outcomes: Outcomes) -> dict[str, float]:
    """The share of runs meeting each check, by key."""
    return {key: float(np.mean(ok)) for key, (ok, _) in outcomes.items()}


def target_shares(table: pd.DataFrame) -> dict[str, float]:
    """The share column of an `evaluate` table as {"target_<n>": share}: one row of a wide table."""
    return {f"target_{n}": float(share) for n, share in zip(table["target"], table["share"])}
