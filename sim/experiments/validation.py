"""Validation against the article: its 12 patterns as targets that could fail.

Each target is a per-run claim with its threshold written next to it; a target PASSES
when the share of runs meeting it is at least `REQUIRED_SHARE`. A claim is either an exact
class (the SCO's text on Georgia is *neutral*, not "not endorse") or a contrast, on the
same seed, against a twin of the history without the shock (`twin_scenarios`), with a
size stated next to it (the size constants below). Pattern-oriented modelling (Grimm et
al. 2005): all patterns at once. `quiet_future` checks that nothing drifts without shocks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import yaml

from sim.experiments.ensemble import run_view
from sim.experiments.ensemble_view import EnsembleView
from sim.core.institutions import GOOD_STANDING
from sim.scenarios.cast import DATA_DIR, Cast
from sim.core.params import Params
from sim.scenarios.calendar import Calendar
from sim.scenarios.schema import Scenario

REQUIRED_SHARE = 0.9
#: The share of a robustness ensemble's runs (parameters or data perturbed) a target must
#: hold in: the second level of the acceptance, used by the ablation of mechanisms no target
#: needs at the default point.
ROBUST_SHARE = 0.7
SUBJECTS: dict[str, str] = yaml.safe_load((DATA_DIR / "targets.yaml").read_text())
PRESSURE_KINDS = ("colour_revolution", "normative_pressure")
#: Twin scenarios read from configs/scenario/ (counterfactuals users run too).
LOADED_TWINS = ("no_crimea", "no_bri", "no_sco_enlargement", "sco_enlarge_tm_mn", "no_csto_revision",
                "csto_requested_crisis")
#: Twin scenarios derived here from the history: name -> (event kinds dropped, event keys dropped).
DERIVED_TWINS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "calm": (PRESSURE_KINDS, ()),
    "no_georgia_war": ((), ("georgia_war",)),
}
ScenarioLoader = Callable[[str], Scenario]


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


@dataclass(frozen=True)
class Target:
    """One calibration target: a statistic per run and the threshold it must meet.

    `twins` are the twin scenarios its check reads besides the history; `period` is when
    the article's events it reads happened: "early" (2001-2010), "late" (2011-2018) or
    "span" (both; such a target sits on neither side of a time split).
    """

    number: int
    name: str
    statistic: str
    threshold: str
    check: Callable[[Views], tuple[np.ndarray, np.ndarray]]
    twins: tuple[str, ...] = ()
    period: str = "span"

    def scenarios(self) -> tuple[str, ...]:
        """The runs the check reads: the history and its twins."""
        return ("history", *self.twins)


def _members(view: EnsembleView, inst: str, date: str) -> list[str]:
    codes = view.entities(f"status.{inst}")
    return [c for c in codes
            if np.isin(view.at(c, f"status.{inst}", date), GOOD_STANDING).any()]


def _stance_is(view: EnsembleView, event: str, inst: str, topic: str, allowed: tuple[str, ...]) -> np.ndarray:
    outcomes = view.outcome_per_run(event=event, institution=inst, topic=topic)
    return np.isin(outcomes, allowed)


def _only_actor_recognises(view: EnsembleView, event: str) -> np.ndarray:
    rows = view.outcomes(event=event, kind="recognition")
    recognised = rows[rows["outcome"] == "recognise"]["run"].unique()
    return ~np.isin(np.arange(view.runs), recognised)


def _left(view: EnsembleView, inst: str) -> dict[str, np.ndarray]:
    """Per state, the runs in which it suspended or withdrew from `inst`."""
    rows = view.outcomes(institution=inst, kind="membership")
    rows = rows[rows["outcome"].isin(["suspended", "withdrawn"])]
    return {state: np.isin(np.arange(view.runs), group["run"].unique())
            for state, group in rows.groupby("state", observed=True)}


def t1_persistence(v: Views) -> tuple[np.ndarray, np.ndarray]:
    h = v.history
    ok = np.ones(h.runs, dtype=bool)
    for runs in _left(h, "SCO").values():
        ok &= ~runs
    for state, runs in _left(h, "CSTO").items():
        if state != SUBJECTS["revision_leaver"]:
            ok &= ~runs
    smallest = np.full(h.runs, np.inf)
    for inst, start in (("SCO", "2001-07"), ("CSTO", "2003-10")):
        good = h.values(inst, "n_active")[:, h.step(start):] + h.values(inst, "n_hedging")[:, h.step(start):]
        members = good + h.values(inst, "n_suspended")[:, h.step(start):]
        smallest = np.minimum(smallest, (good / members).min(axis=1))
    return ok & (smallest >= 2.0 / 3.0), smallest


def t2_low_output(v: Views) -> tuple[np.ndarray, np.ndarray]:
    h = v.history
    ok = np.ones(h.runs, dtype=bool)
    for event in ("sco_development_bank", "sco_military_staff"):
        ok &= h.outcome_per_run(event=event, kind="proposal") == "rejected"
    engaged = np.full(h.runs, np.inf)
    for inst, start in (("SCO", "2002-01"), ("CSTO", "2004-01")):
        engaged = np.minimum(engaged, h.mean_between(inst, "engagement", start, "2018-10"))
    return ok & (engaged > ENGAGED), engaged


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


def t3_rally(v: Views) -> tuple[np.ndarray, np.ndarray]:
    h, c = v.history, v["calm"]
    effects = [_common_trust(h, c, inst, date) - _common_trust(c, h, inst, date)
               for inst, date in (("SCO", "2006-01"), ("CSTO", "2006-01"), ("SCO", "2012-01"),
                                  ("CSTO", "2012-01"))]
    andijan = _stance_is(h, "andijan_crackdown", "SCO", "backing a member's crackdown", ("endorse",))
    smallest = np.min(effects, axis=0)
    return (smallest >= RALLY) & andijan, smallest


def _exposed(v: Views, date: str) -> list[str]:
    """Members of either organisation (not the custodian) exposed to separatism."""
    h = v.history
    members = set(_members(h, "SCO", date)) | set(_members(h, "CSTO", date))
    return sorted(s for s in members - {SUBJECTS["custodian"]}
                  if s in v.states_where("separatism_exposure", EXPOSED_MIN))


def t4_georgia(v: Views) -> tuple[np.ndarray, np.ndarray]:
    h, twin = v.history, v["no_georgia_war"]
    ok = _only_actor_recognises(h, "georgia_war")
    for inst, topic, stance in (("SCO", "support for the action", "neutral"),
                                ("SCO", "endorsing recognition", "neutral"),
                                ("CSTO", "support for the action", "endorse"),
                                ("CSTO", "endorsing recognition", "neutral")):
        ok &= _stance_is(h, "georgia_war", inst, topic, (stance,))
    trust_in = f"trust_in.{SUBJECTS['custodian']}"
    states = _exposed(v, "2008-07")
    drop = (np.mean([twin.at(s, trust_in, "2008-10") - h.at(s, trust_in, "2008-10") for s in states], axis=0)
            if states else np.full(h.runs, np.nan))
    return ok & (drop >= CLEAR_FALL), drop


def t5_xinjiang(v: Views) -> tuple[np.ndarray, np.ndarray]:
    rows = v.history.outcomes(event="xinjiang_unrest", institution="SCO")
    text = np.full(v.history.runs, np.nan)
    text[rows["run"].to_numpy()] = rows["score"].to_numpy()
    return text >= 1.0, text


def t6_kyrgyzstan(v: Views) -> tuple[np.ndarray, np.ndarray]:
    h, probe = v.history, v["csto_requested_crisis"]
    ok = np.ones(h.runs, dtype=bool)
    for event in ("kyrgyz_coup", "osh_violence"):
        for inst in ("SCO", "CSTO"):
            ok &= h.outcome_per_run(event=event, institution=inst, kind="intervention") == "no intervention"
    osh = h.outcomes(event="osh_violence", institution="CSTO", kind="intervention")
    reasons = osh["detail"].str.contains("no mandate") & osh["detail"].str.contains("no willing great power")
    ok &= np.isin(np.arange(h.runs), osh[reasons]["run"])
    possible = probe.outcome_per_run(event="tajik_insurgency", institution="CSTO", kind="intervention") == "intervene"
    return ok & possible, possible.astype(float)


def t7_uzbekistan(v: Views) -> tuple[np.ndarray, np.ndarray]:
    h, twin = v.history, v["no_csto_revision"]
    leaver = SUBJECTS["revision_leaver"]
    out = ~np.isin(h.values(leaver, "status.CSTO"), GOOD_STANDING)
    joined = h.step("2006-07")
    first_out = np.array([joined + np.argmax(row[joined:]) if row[joined:].any() else -1 for row in out])
    window = (first_out >= h.step("2011-01")) & (first_out <= h.step("2013-10"))
    stays_out = np.array([row[f:].all() if f >= 0 else False for row, f in zip(out, first_out)])
    stays_in = np.isin(twin.at(leaver, "status.CSTO", "2013-10"), GOOD_STANDING)
    year = np.where(first_out >= 0, Calendar.of_dates(h.dates).year_of(first_out), np.nan)
    return window & stays_out & stays_in, year


def t8_crimea(v: Views) -> tuple[np.ndarray, np.ndarray]:
    h, twin = v.history, v["no_crimea"]
    ok = _only_actor_recognises(h, "crimea_annexation")
    for inst in ("SCO", "CSTO"):
        for topic in ("support for the action", "endorsing recognition"):
            ok &= _stance_is(h, "crimea_annexation", inst, topic, ("neutral",))
    votes = h.outcomes(event="unga_68_262", kind="vote")
    for state in SUBJECTS["hedgers"]:
        abstained = votes[(votes["state"] == state) & (votes["outcome"] == "abstain")]["run"]
        ok &= np.isin(np.arange(h.runs), abstained)
    exposed, threat = SUBJECTS["compatriot_exposed"], f"threat_from.{SUBJECTS['custodian']}"
    ok &= h.at(exposed, threat, "2014-04") - twin.at(exposed, threat, "2014-04") >= CLEAR_FALL
    gap = np.full(h.runs, np.inf)
    for inst in ("SCO", "CSTO"):
        gap = np.minimum(gap, twin.at(inst, "cohesion", "2015-01") - h.at(inst, "cohesion", "2015-01"))
    return ok & (gap >= COHESION_FALL), gap


def t9_out_of_area(v: Views) -> tuple[np.ndarray, np.ndarray]:
    h = v.history
    ok = h.outcome_per_run(event="csto_terrorism_statement", kind="statement") == "endorse"
    for event in ("su24_turkey", "syria_peacekeepers"):
        ok &= h.outcome_per_run(event=event, kind="solidarity") == "neutral"
    return ok, ok.astype(float)


def t10_bri(v: Views) -> tuple[np.ndarray, np.ndarray]:
    h, twin = v.history, v["no_bri"]
    power = SUBJECTS["outside_channel_power"]
    fall = (twin.mean_between(power, "investment.SCO", "2016-01", "2018-10")
            - h.mean_between(power, "investment.SCO", "2016-01", "2018-10"))
    stagnates = (twin.mean_between("SCO", "functional_output", "2016-01", "2018-10")
                 > h.mean_between("SCO", "functional_output", "2016-01", "2018-10"))
    return (fall >= INVESTMENT_FALL) & stagnates, fall


def t11_enlargement(v: Views) -> tuple[np.ndarray, np.ndarray]:
    h, alt, base = v.history, v["sco_enlarge_tm_mn"], v["no_sco_enlargement"]
    effect = {m: base.at("SCO", m, "2018-10") - h.at("SCO", m, "2018-10")
              for m in ("congruence", "cohesion")}
    ok = (effect["congruence"] >= COHESION_FALL) & (effect["cohesion"] >= COHESION_FALL)
    ok &= h.outcome_per_run(event="sco_terrorist_listing", kind="designation") == "neutral"
    alt_effect = np.abs(base.at("SCO", "cohesion", "2018-10") - alt.at("SCO", "cohesion", "2018-10"))
    ok &= alt_effect < ABOUT_THE_SAME
    return ok, effect["cohesion"]


def _ideals(detail: pd.Series) -> pd.DataFrame:
    """Members' ideal texts from decision details ('CODE:+0.50;...'), one column per state."""
    return detail.str.extractall(r"(?P<state>\w+):(?P<ideal>[-+][\d.]+)").reset_index().pivot(
        index="level_0", columns="state", values="ideal").astype(float)


def t12_hierarchy(v: Views) -> tuple[np.ndarray, np.ndarray]:
    """On each draft put to both organisations, the states in both state ideal texts
    closer to the custodian's inside the CSTO than inside the SCO: mean |ideal - the
    custodian's ideal|, SCO minus CSTO (the same states on the same drafts)."""
    h, custodian = v.history, SUBJECTS["custodian"]
    rows = h.decisions[h.decisions["kind"].isin(TEXT_KINDS) & h.decisions["institution"].isin(["SCO", "CSTO"])]
    ideals = _ideals(rows["detail"]).set_index(rows.index)
    distance = ideals.sub(ideals[custodian], axis=0).abs().drop(columns=custodian)
    keyed = pd.concat([rows[["run", "event", "topic", "institution"]], distance], axis=1)
    wide = keyed.pivot_table(index=["run", "event", "topic"], columns="institution")
    gaps = []
    for state in distance.columns:
        if (state, "SCO") in wide and (state, "CSTO") in wide:
            gaps.append(wide[(state, "SCO")] - wide[(state, "CSTO")])
    gap = pd.concat(gaps).dropna().groupby(level="run").mean().reindex(range(h.runs)).to_numpy()
    return gap >= TRACKING_GAP, gap


#: The first and last dates the targets read: a validated scenario must span them.
TARGET_WINDOW = ("2001-07", "2018-10")
#: Sizes of the contrasts (on the model's 0-1 scales); each says what the article's
#: wording is taken to mean.
ENGAGED = 0.6           # "keep meeting": mean engagement of members in good standing
RALLY = 0.01            # "strengthen bonding": trust among common members, vs. the calm twin
CLEAR_FALL = 0.05       # "clearly": trust or threat, vs. the twin without the shock
COHESION_FALL = 0.01    # cohesion or congruence "falls", vs. the twin without the shock
INVESTMENT_FALL = 0.05  # "invests less", vs. the twin without the Belt and Road
ABOUT_THE_SAME = 0.02   # "about where it was": |cohesion difference| between the two enlargements
TRACKING_GAP = 0.1      # "track Russia's more closely": ideal-text distance, SCO minus CSTO
EXPOSED_MIN = 0.5
TEXT_KINDS = ("declaration", "statement", "solidarity", "designation")

TARGETS: tuple[Target, ...] = (
    Target(1, "Both persist; no SCO member leaves; Uzbekistan the only CSTO leaver; summits continue",
           "suspensions or withdrawals; lowest share of members in good standing",
           "none in the SCO, none but UZB in the CSTO; >= 2/3", t1_persistence,
           period="span"),
    Target(2, "Low output: the SCO's pooling proposals fail; members stay engaged",
           "development bank and military staff outcomes; lowest mean engagement of the two",
           "rejected (both); > 0.6", t2_low_output,
           period="span"),
    Target(3, "Rally effect of colour revolutions and the Arab Spring; Andijan backed",
           "trust among common members, history - calm twin: SCO, CSTO in 2006Q1 and 2012Q1; SCO stance on Andijan",
           ">= 0.01 (all four); endorse", t3_rally,
           twins=("calm",), period="span"),
    Target(4, "Georgia 2008: SCO neutral, CSTO backs the action and is silent on recognition, exposed trust in Russia falls",
           "SCO action and recognition texts; CSTO action and recognition texts; recognitions; exposed members' trust in Russia 2008Q4, twin without the war - history",
           "neutral, neutral; endorse, neutral; Russia only; >= 0.05", t4_georgia,
           twins=("no_georgia_war",), period="early"),
    Target(5, "Xinjiang 2009: the SCO backs China at once and unequivocally",
           "SCO text in the quarter of the unrest", "full endorsement (+1)", t5_xinjiang,
           period="early"),
    Target(6, "Kyrgyzstan 2010: no intervention (in June no mandate, no Russian will); one possible after the revision when asked",
           "coup and Osh outcomes in both; Osh reasons; CSTO outcome in the probe with a requested intervention in 2013",
           "no intervention (all four); 'no mandate', 'no willing great power'; intervene", t6_kyrgyzstan,
           twins=("csto_requested_crisis",), period="early"),
    Target(7, "Uzbekistan suspends CSTO membership after the revision and stays out; not without the revision",
           "first quarter not in good standing in the CSTO after joining; status to 2018; status in 2013Q4 in the twin without the revision",
           "2011Q1-2013Q4; out to the end; in good standing", t7_uzbekistan,
           twins=("no_csto_revision",), period="late"),
    Target(8, "Crimea 2014: silence in both, no recognitions, Kazakhstan and Kyrgyzstan hedge, Kazakh threat up, cohesion down",
           "SCO and CSTO texts; recognitions; KAZ and KGZ UN votes; KAZ threat from Russia 2014Q2 and cohesion 2015Q1, history vs twin without the annexation",
           "neutral (all four); Russia only; abstain; >= +0.05; >= 0.01 lower in both", t8_crimea,
           twins=("no_crimea",), period="late"),
    Target(9, "CSTO: terrorism statement yes, out-of-area solidarity met with silence",
           "stance on the 2015 terrorism statement; Turkey 2015 and Syria 2017 requests",
           "endorse; neutral (both)", t9_out_of_area,
           period="late"),
    Target(10, "After the Belt and Road China invests less in the SCO and its output stagnates",
           "China's mean SCO investment and SCO output 2016-18, twin without the Belt and Road - history",
           ">= 0.05; > 0", t10_bri,
           twins=("no_bri",), period="late"),
    Target(11, "India-Pakistan accession lowers congruence and cohesion and blocks designations; TM+MN would not",
           "SCO congruence and cohesion 2018Q4, twin without enlargement - history; designation; |cohesion, TM+MN - no enlargement|",
           ">= 0.01 both; neutral; < 0.02", t11_enlargement,
           twins=("sco_enlarge_tm_mn", "no_sco_enlargement"), period="late"),
    Target(12, "Inside the CSTO the same states track Russia's position more closely than inside the SCO",
           "on drafts put to both: mean |member's ideal text - Russia's|, SCO minus CSTO, states in both",
           ">= 0.1", t12_hierarchy,
           period="span"),
)


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
    return twins


def run_views(scenarios: dict[str, Scenario], params: Params, seeds: list[int],
              progress: bool = False) -> Views:
    """Run the history and its twins (from `twin_scenarios`) on the same seeds."""
    return run_pair_views(scenarios, [(params, seed) for seed in seeds], params, progress)


def run_pair_views(scenarios: dict[str, Scenario], runs: list[tuple[Params, int]], base: Params,
                   progress: bool = False) -> Views:
    """Run the same (parameters, seed) pairs in each scenario: run i of every view is pair i."""
    views = {name: run_view(s, runs, progress) for name, s in scenarios.items()}
    return Views(runs=views, params=base, cast=scenarios["history"].cast)


def evaluate(views: Views) -> pd.DataFrame:
    """One row per target: statistic, threshold, median value, share of runs, PASS/FAIL."""
    rows = []
    for target in TARGETS:
        ok, value = target.check(views)
        share = float(np.mean(ok))
        finite = value[np.isfinite(value)]
        rows.append({"target": target.number, "name": target.name, "statistic": target.statistic,
                     "threshold": target.threshold,
                     "value": float(np.median(finite)) if finite.size else float("nan"),
                     "share": share, "result": "PASS" if share >= REQUIRED_SHARE else "FAIL"})
    return pd.DataFrame(rows)


def target_shares(table: pd.DataFrame) -> dict[str, float]:
    """The share column of an `evaluate` table as {"target_<n>": share}: one row of a wide table."""
    return {f"target_{n}": float(share) for n, share in zip(table["target"], table["share"])}
