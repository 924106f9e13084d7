"""Validation against the article: the 12 calibration targets of CONCEPT.md.

Each target is a per-run statistic with a threshold written next to it; a target PASSES
when the share of runs meeting it is at least `REQUIRED_SHARE`. Some targets compare the
history with a paired counterfactual run on the same seed (the rally effect against a
history without protest waves; the India-Pakistan accession against Turkmenistan and
Mongolia). Pattern-oriented modelling (Grimm et al. 2005): all patterns at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import yaml
from scipy.stats import qmc
from tqdm.auto import tqdm

from sim.ensemble import run_seeds
from sim.ensemble_view import EnsembleView
from sim.institutions import GOOD_STANDING
from sim.cast import DATA_DIR, Cast
from sim.params import BEHAVIOURAL, INTEGER_PARAMS, Params, spread_bounds
from sim.scenario import Scenario

REQUIRED_SHARE = 0.9
SUBJECTS: dict[str, str] = yaml.safe_load((DATA_DIR / "targets.yaml").read_text())
PRESSURE_KINDS = ("colour_revolution", "normative_pressure")
#: Twin scenarios read from configs/scenario/ (counterfactuals users run too).
LOADED_TWINS = ("no_crimea", "no_bri", "no_sco_enlargement", "sco_enlarge_tm_mn")
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
    """One calibration target: a statistic per run and the threshold it must meet."""

    number: int
    name: str
    statistic: str
    threshold: str
    check: Callable[[Views], tuple[np.ndarray, np.ndarray]]


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


def t1_persistence(v: Views) -> tuple[np.ndarray, np.ndarray]:
    h = v.history
    rows = h.outcomes(institution="SCO", kind="membership")
    left = rows[rows["outcome"].isin(["suspended", "withdrawn"])]["run"].unique()
    sco_stays = ~np.isin(np.arange(h.runs), left)
    quorum = np.ones(h.runs, dtype=bool)
    for inst, start in (("SCO", "2001-07"), ("CSTO", "2003-10")):
        active = h.values(inst, "n_active")[:, h.step(start):] + h.values(inst, "n_hedging")[:, h.step(start):]
        members = active + h.values(inst, "n_suspended")[:, h.step(start):]
        quorum &= (active >= 2.0 / 3.0 * members).all(axis=1)
    return sco_stays & quorum, sco_stays.astype(float) + quorum


def t2_low_output(v: Views) -> tuple[np.ndarray, np.ndarray]:
    h, p = v.history, v.params
    ok = np.ones(h.runs, dtype=bool)
    margin = np.full(h.runs, np.inf)
    for inst, start in (("SCO", "2002-01"), ("CSTO", "2004-01")):
        output = h.mean_between(inst, "functional_output", start, "2018-10")
        engaged = h.mean_between(inst, "engagement", start, "2018-10")
        ok &= (output < 0.25) & (engaged > 0.6)
        for state in _members(h, inst, "2012-01"):
            if state in v.states_where("illiberalism", ILLIBERAL_MIN):
                legit = p.w_legitimacy * h.mean_between(state, f"benefit.{inst}", start, "2018-10")
                func = p.w_functional * output
                ok &= legit > func
                margin = np.minimum(margin, legit - func)
    return ok, margin


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
        result[run] = np.mean([a.values(x, f"trust_in.{y}")[run, step] for x, y in pairs])
    return result


def t3_rally(v: Views) -> tuple[np.ndarray, np.ndarray]:
    h, c = v.history, v["calm"]
    effects = [_common_trust(h, c, inst, date) - _common_trust(c, h, inst, date)
               for inst, date in (("SCO", "2006-01"), ("CSTO", "2006-01"), ("SCO", "2012-01"),
                                  ("CSTO", "2012-01"))]
    andijan = _stance_is(h, "andijan_crackdown", "SCO", "backing a member's crackdown", ("endorse",))
    smallest = np.min(effects, axis=0)
    return (smallest > 0) & andijan, smallest


def t4_georgia(v: Views) -> tuple[np.ndarray, np.ndarray]:
    h = v.history
    sco_neutral = _stance_is(h, "georgia_war", "SCO", "support for the action", ("neutral",))
    no_rec = (~_stance_is(h, "georgia_war", "SCO", "endorsing recognition", ("endorse",))
              & ~_stance_is(h, "georgia_war", "CSTO", "endorsing recognition", ("endorse",)))
    csto_partial = _stance_is(h, "georgia_war", "CSTO", "support for the action", ("endorse",))
    exposed = [s for s in _members(h, "SCO", "2008-07") + _members(h, "CSTO", "2008-07")
               if s != SUBJECTS["custodian"] and s in v.states_where("separatism_exposure", EXPOSED_MIN)]
    falls = np.ones(h.runs, dtype=bool)
    drop = np.full(h.runs, np.inf)
    for state in set(exposed):
        trust_in = f"trust_in.{SUBJECTS['custodian']}"
        change = h.at(state, trust_in, "2008-07") - h.at(state, trust_in, "2008-04")
        falls &= change < 0
        drop = np.minimum(drop, -change)
    ok = sco_neutral & no_rec & csto_partial & _only_actor_recognises(h, "georgia_war") & falls
    return ok, drop


def t5_xinjiang(v: Views) -> tuple[np.ndarray, np.ndarray]:
    ok = _stance_is(v.history, "xinjiang_unrest", "SCO", "backing a member against separatism", ("endorse",))
    return ok, ok.astype(float)


def t6_kyrgyzstan(v: Views) -> tuple[np.ndarray, np.ndarray]:
    h = v.history
    ok = np.ones(h.runs, dtype=bool)
    for event in ("kyrgyz_coup", "osh_violence"):
        for inst in ("SCO", "CSTO"):
            ok &= h.outcome_per_run(event=event, institution=inst, kind="intervention") == "no intervention"
    return ok, ok.astype(float)


def t7_uzbekistan(v: Views) -> tuple[np.ndarray, np.ndarray]:
    h = v.history
    status = h.values(SUBJECTS["revision_leaver"], "status.CSTO")
    out = ~np.isin(status, GOOD_STANDING)
    joined = h.step("2006-07")
    first_out = np.array([joined + np.argmax(row[joined:]) if row[joined:].any() else -1 for row in out])
    window = (first_out >= h.step("2011-01")) & (first_out <= h.step("2013-10"))
    stays_out = np.array([row[f:].all() if f >= 0 else False for row, f in zip(out, first_out)])
    first_year, first_month = int(h.dates[0][:4]), int(h.dates[0][5:7])
    year = np.where(first_out >= 0, first_year + (first_month - 1) / 12 + first_out / 4.0, np.nan)
    return window & stays_out, year


def t8_crimea(v: Views) -> tuple[np.ndarray, np.ndarray]:
    h = v.history
    ok = _only_actor_recognises(h, "crimea_annexation")
    for inst in ("SCO", "CSTO"):
        for topic in ("support for the action", "endorsing recognition"):
            ok &= ~_stance_is(h, "crimea_annexation", inst, topic, ("endorse",))
    exposed, threat = SUBJECTS["compatriot_exposed"], f"threat_from.{SUBJECTS['custodian']}"
    ok &= h.at(exposed, threat, "2014-01") > h.at(exposed, threat, "2013-10")
    gap = np.full(h.runs, np.inf)
    for inst in ("SCO", "CSTO"):
        change = h.at(inst, "cohesion", "2015-01") - h.at(inst, "cohesion", "2007-10")
        ok &= change < 0
        gap = np.minimum(gap, -change)
    rows = h.outcomes(event="crimea_annexation", kind="recognition")
    members = set(_members(h, "SCO", "2014-01")) | set(_members(h, "CSTO", "2014-01"))
    rows = rows[rows["state"].isin(members)]
    top = rows.loc[rows.groupby("run")["score"].idxmax()].set_index("run")["state"]
    ok &= np.array([top.get(r, "") == SUBJECTS["self_determination_outlier"] for r in range(h.runs)])
    return ok, gap


def t9_out_of_area(v: Views) -> tuple[np.ndarray, np.ndarray]:
    h = v.history
    ok = h.outcome_per_run(event="csto_terrorism_statement", kind="statement") == "endorse"
    for event in ("su24_turkey", "syria_peacekeepers"):
        ok &= h.outcome_per_run(event=event, kind="solidarity") != "endorse"
    return ok, ok.astype(float)


def t10_bri(v: Views) -> tuple[np.ndarray, np.ndarray]:
    h = v.history
    power = SUBJECTS["outside_channel_power"]
    before = h.mean_between(power, "investment.SCO", "2010-01", "2012-10")
    after = h.mean_between(power, "investment.SCO", "2016-01", "2018-10")
    bank = h.outcome_per_run(event="sco_development_bank", kind="proposal") == "rejected"
    return (after < before - 0.05) & bank, before - after


def t11_enlargement(v: Views) -> tuple[np.ndarray, np.ndarray]:
    h, alt, base = v.history, v["sco_enlarge_tm_mn"], v["no_sco_enlargement"]
    effect = {m: base.at("SCO", m, "2018-10") - h.at("SCO", m, "2018-10")
              for m in ("congruence", "cohesion")}
    ok = (effect["congruence"] > 0) & (effect["cohesion"] > 0)
    ok &= h.outcome_per_run(event="sco_terrorist_listing", kind="designation") != "endorse"
    alt_effect = np.abs(base.at("SCO", "cohesion", "2018-10") - alt.at("SCO", "cohesion", "2018-10"))
    ok &= (alt_effect < ABOUT_THE_SAME) & (alt_effect < effect["cohesion"])
    return ok, effect["cohesion"]


def t12_hierarchy(v: Views) -> tuple[np.ndarray, np.ndarray]:
    h = v.history
    rows = h.decisions[h.decisions["kind"] == "declaration"]
    rows = rows[rows["institution"].isin(["SCO", "CSTO"])].copy()
    stance = {"endorse": 1, "neutral": 0, "oppose": -1}
    custodian = rows["detail"].str.extract(rf"{SUBJECTS['custodian']}:(\w+)")[0].map(stance)
    rows["distance"] = (rows["outcome"].map(stance) - custodian).abs()
    table = rows.pivot_table(index=["run", "event", "topic"], columns="institution",
                             values="distance", aggfunc="first").dropna()
    gap = (table["SCO"] - table["CSTO"]).groupby("run").sum()
    gap = np.array([gap.get(r, np.nan) for r in range(h.runs)])
    return gap > 0, gap


ABOUT_THE_SAME = 0.02
ILLIBERAL_MIN = 0.7
EXPOSED_MIN = 0.5

TARGETS: tuple[Target, ...] = (
    Target(1, "Both persist; no SCO member leaves; summits continue",
           "SCO suspensions+withdrawals; share of members in good standing each quarter",
           "none; >= 2/3 in both organisations", t1_persistence),
    Target(2, "Low output, engaged members, legitimation > function",
           "mean functional output and engagement; w_L*benefit - w_F*output for illiberal members",
           "output < 0.25, engagement > 0.6, margin > 0", t2_low_output),
    Target(3, "Rally effect of colour revolutions and the Arab Spring; Andijan backed",
           "trust among common members, history - no protest waves: SCO, CSTO in 2006Q1 and 2012Q1; SCO stance on Andijan",
           "> 0 (all four); endorse", t3_rally),
    Target(4, "Georgia 2008: SCO neutral, CSTO partial, no recognitions, exposed trust in Russia falls",
           "SCO action stance; CSTO action stance; recognition stances; recognitions; trust change",
           "neutral; endorse; not endorse; Russia only; < 0 for every exposed member", t4_georgia),
    Target(5, "Xinjiang 2009: the SCO backs China at once",
           "SCO stance in the quarter of the unrest", "endorse", t5_xinjiang),
    Target(6, "Kyrgyzstan 2010: no intervention", "intervention outcomes, coup and Osh, both organisations",
           "no intervention (all four)", t6_kyrgyzstan),
    Target(7, "Uzbekistan suspends CSTO membership after the revision and stays out",
           "first quarter not in good standing in the CSTO after joining; status to 2018",
           "2011Q1-2013Q4; suspended or withdrawn to the end", t7_uzbekistan),
    Target(8, "Crimea 2014: no recognitions, no endorsement, Kazakh threat up, cohesion below 2007, Armenia outlier",
           "recognitions; stances; KAZ threat from Russia 2014Q1 vs 2013Q4; cohesion 2015Q1 vs 2007Q4; top recognition score",
           "Russia only; not endorse; higher; lower for both; ARM", t8_crimea),
    Target(9, "CSTO: terrorism statement yes, out-of-area solidarity no",
           "stance on the 2015 terrorism statement; Turkey 2015 and Syria 2017 requests",
           "endorse; not endorse (both)", t9_out_of_area),
    Target(10, "After BRI China invests less in the SCO; the development bank fails",
           "China's mean SCO investment 2010-12 minus 2016-18; proposal outcome",
           "> 0.05; rejected", t10_bri),
    Target(11, "India-Pakistan accession lowers congruence and cohesion and blocks designations; TM+MN would not",
           "SCO congruence and cohesion 2018Q4, no enlargement minus history; designation; |effect| of TKM+MN",
           "> 0 both; not endorse; < 0.02 and smaller", t11_enlargement),
    Target(12, "CSTO positions track Russia's more closely than SCO positions",
           "on motions put to both: sum of |SCO text - Russia's stance| - |CSTO text - Russia's stance|",
           "> 0", t12_hierarchy),
)


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
    runs = {name: EnsembleView(*run_seeds(s, params, seeds, progress)) for name, s in scenarios.items()}
    return Views(runs=runs, params=params, cast=scenarios["history"].cast)


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


def perturbed_params(base: Params, points: int, spread: float, seed: int = 0) -> list[Params]:
    """Latin-hypercube perturbations of every behavioural parameter by +-`spread`.

    Each value is scaled by a factor in [1 - spread, 1 + spread] and clipped to the
    parameter's documented range (integers are rounded).
    """
    names = list(BEHAVIOURAL)
    bounds = {name: spread_bounds(base, name, spread) for name in names}
    unit_points = qmc.LatinHypercube(d=len(names), seed=seed).random(points)
    result = []
    for row in unit_points:
        values = dict(base.__dict__)
        for name, u in zip(names, row):
            value = float(np.clip(getattr(base, name) * (1.0 - spread + 2.0 * spread * u), *bounds[name]))
            values[name] = int(round(value)) if name in INTEGER_PARAMS else value
        result.append(Params(**values))
    return result


def robustness(scenarios: dict[str, Scenario], params: Params, points: int, seeds_per_point: int, spread: float,
               progress: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Share of (point, seed) runs meeting each target over a Latin hypercube of parameters.

    Returns the per-target summary and the per-point table (parameter values and the
    share of that point's seeds meeting each target), for finding sensitive parameters.
    """
    seeds = list(range(seeds_per_point))
    rows = []
    for number, point in enumerate(tqdm(perturbed_params(params, points, spread), desc="robustness",
                                        unit="point", disable=not progress)):
        met = target_shares(evaluate(run_views(scenarios, point, seeds)))
        rows.append({"point": number, **{n: getattr(point, n) for n in BEHAVIOURAL}, **met})
    per_point = pd.DataFrame(rows)
    summary = summarise_points(per_point)
    summary.attrs["parameters"] = list(BEHAVIOURAL)
    return summary, per_point


def target_shares(table: pd.DataFrame) -> dict[str, float]:
    """The share column of an `evaluate` table as {"target_<n>": share}: one row of a wide table."""
    return {f"target_{n}": float(share) for n, share in zip(table["target"], table["share"])}


def summarise_points(per_point: pd.DataFrame) -> pd.DataFrame:
    """Per target, over a table of points (`target_<n>` columns from `target_shares`): the
    share of (point, seed) runs meeting it and the share of points where at least
    REQUIRED_SHARE of the seeds do."""
    return pd.DataFrame([{"target": t.number, "name": t.name,
                          "share": float(per_point[f"target_{t.number}"].mean()),
                          "points_meeting_90pct": float((per_point[f"target_{t.number}"] >= REQUIRED_SHARE).mean())}
                         for t in TARGETS])
