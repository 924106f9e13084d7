"""Property tests: random valid scenarios run without error and keep every invariant, and
text bargaining keeps its guarantees for any ideals, rule and grain."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from omegaconf import OmegaConf

import sim
from sim.scenarios.cast import NORMS
from sim.errors import InputError
from sim.model import run_one
from sim.core.decisions import adopt_texts, meets_quota
from sim.core.institutions import DECISION_RULES, STATUS_NAMES, VALID_TRANSITIONS, text_scale
from sim.core.params import Params
from sim.io.records import decisions_frame, timeseries_frame
from sim.scenarios.schema import load_scenario

BASE = OmegaConf.to_container(sim.compose([]).scenario, resolve=True)
CODES = ["CHN", "RUS", "KAZ", "KGZ", "TJK", "UZB", "BLR", "ARM", "IND", "PAK", "TKM", "MNG",
         "IRN", "TUR", "AFG", "GEO", "UKR", "WEST"]
STATES = [c for c in CODES if c != "WEST"]
UNIT_METRICS = ("cohesion", "trust", "congruence", "engagement", "functional_output",
                "legitimacy_delivered", "hierarchy", "legitimacy", "insecurity")
UNIT_PREFIXES = ("trust_in.", "threat_from.", "engagement.", "benefit.", "investment.")

dates = st.builds(lambda y, m: f"{y}-{m:02d}", st.integers(2004, 2018), st.integers(1, 12))
unit = st.floats(0.0, 1.0, allow_nan=False)
state = st.sampled_from(STATES)
inst = st.sampled_from(["SCO", "CSTO"])

EVENT = st.one_of(
    st.fixed_dictionaries({"kind": st.just("colour_revolution"), "date": dates, "state": state,
                           "magnitude": unit, "regime_change": st.booleans()}),
    st.fixed_dictionaries({"kind": st.just("normative_pressure"), "date": dates,
                           "source": st.just("WEST"), "magnitude": unit}),
    st.fixed_dictionaries({"kind": st.just("crackdown"), "date": dates, "state": state,
                           "magnitude": unit, "criticised_by": st.just("WEST")}),
    st.fixed_dictionaries({"kind": st.just("separatist_unrest"), "date": dates, "state": state,
                           "magnitude": unit}),
    st.fixed_dictionaries({"kind": st.just("separatism_support"), "date": dates, "actor": state,
                           "target": state, "magnitude": unit, "recognition": st.booleans(),
                           "annexation": st.booleans(), "compatriot_claim": st.booleans()}),
    st.fixed_dictionaries({"kind": st.just("intrastate_crisis"), "date": dates, "state": state,
                           "magnitude": unit, "crisis": st.sampled_from(["coup", "ethnic_violence"]),
                           "request_help": st.booleans()}),
    st.fixed_dictionaries({"kind": st.just("armed_clash"), "date": dates, "state": state,
                           "other": state, "magnitude": unit}),
    st.fixed_dictionaries({"kind": st.just("external_attack"), "date": dates, "attacker": state,
                           "target": state, "magnitude": unit}),
    st.fixed_dictionaries({"kind": st.just("outside_channel"), "date": dates, "actor": state,
                           "magnitude": unit}),
    st.fixed_dictionaries({"kind": st.just("vote"), "date": dates, "subject": state,
                           "violator": state}),
    st.fixed_dictionaries({"kind": st.just("statement"), "date": dates, "institution": inst,
                           "theme": st.sampled_from(NORMS)}),
    st.fixed_dictionaries({"kind": st.just("charter_revision"), "date": dates, "institution": inst,
                           "intrastate_mandate": st.booleans(),
                           "decision_rule": st.sampled_from(["consensus", "majority",
                                                             "qualified_majority"])}),
    st.fixed_dictionaries({"kind": st.just("accession"), "date": dates, "institution": inst,
                           "state": state}),
    st.fixed_dictionaries({"kind": st.just("leadership_change"), "date": dates, "state": state,
                           "attributes": st.fixed_dictionaries({"illiberalism": unit,
                                                                "sovereignty_sensitivity": unit})}),
)


def check_invariants(model) -> None:
    series = timeseries_frame(model)
    steps = {inst.code: model.scenario.founding_step(inst.code) for inst in model.institutions}
    founded = {code: float("inf") if step is None else step for code, step in steps.items()}
    before = series["step"] < series["entity"].astype(str).map(founded).astype(float).fillna(-1)
    assert series.loc[before, "value"].isna().all()       # missing before an institution's founding
    assert not series.loc[~before, "value"].isna().any()  # and nowhere else
    metric = series["metric"].astype(str)
    bounded = (metric.isin(UNIT_METRICS) | metric.str.startswith(UNIT_PREFIXES)) & ~before
    values = series.loc[bounded, "value"]
    assert values.between(0.0, 1.0).all(), series.loc[bounded & ~series["value"].between(0, 1)]
    moves = decisions_frame(model)
    moves = moves[moves["kind"] == "membership"]
    for detail in moves["detail"]:
        if "->" not in detail:
            continue
        old, new = (part.strip().split(" ")[0] for part in detail.split("->"))
        assert (STATUS_NAMES.index(old), STATUS_NAMES.index(new)) in VALID_TRANSITIONS


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=st.dictionaries(st.text("abcdefgh", min_size=3, max_size=8), EVENT, max_size=12),
       seed=st.integers(0, 2**31 - 1))
def test_random_valid_scenarios_keep_invariants(spec, events, seed):
    raw = dict(BASE, events={**BASE["events"], **{f"x_{k}": v for k, v in events.items()}})
    try:
        scenario = load_scenario(raw, spec.scenario.cast, source="generated")
    except InputError:
        assume(False)
    model = run_one(scenario, Params(), seed)
    assert model.steps == scenario.n_steps
    check_invariants(model)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31 - 1), trust_gain=st.floats(0.0, 5.0), memory=st.floats(1.0, 200.0),
       rally=st.floats(0.0, 10.0), deference=st.floats(0.0, 10.0))
def test_history_keeps_invariants_across_parameters(spec, seed, trust_gain, memory, rally, deference):
    params = Params(trust_gain=trust_gain, memory=memory, rally_gain=rally, deference=deference)
    check_invariants(run_one(spec.scenario, params, seed))


# -- text bargaining (sim.core.decisions.adopt_texts) ------------------------------------
GRAINS = (0.1, 0.25, 0.5, 1.0)
#: Ideals from anywhere in [-1, 1], with the scale's own points (ties, exact half-steps)
#: drawn often, as that is where the acceptance boundary |text - ideal| = |ideal| lies.
ideal = st.one_of(st.floats(-1.0, 1.0, allow_nan=False),
                  st.sampled_from([-1.0, -0.75, -0.5, -0.25, -0.125, 0.0, 0.125, 0.25, 0.5, 0.75, 1.0]))
ideals_of = st.dictionaries(st.integers(0, 40), ideal, min_size=1, max_size=9)


def adopt_text(ideals: dict[int, float], setter_ideal: float, rule: str, grain: float) -> float:
    """The engine's bargaining for one run whose members in good standing state `ideals`."""
    row = np.full((1, max(ideals) + 1), np.nan)
    row[0, list(ideals)] = list(ideals.values())
    text, _ = adopt_texts(row, np.array([setter_ideal]), np.array([DECISION_RULES.index(rule)]),
                          np.array([grain]))
    return float(text[0])


def quota(rule: str, share: float) -> bool:
    return bool(meets_quota(np.array([DECISION_RULES.index(rule)]), np.array([share]))[0])


@settings(max_examples=400, deadline=None)
@given(ideals=ideals_of, setter_ideal=ideal, rule=st.sampled_from(DECISION_RULES),
       grain=st.sampled_from(GRAINS))
def test_adopted_text_is_in_the_win_set_of_silence(ideals: dict[int, float], setter_ideal: float,
                                                   rule: str, grain: float) -> None:
    """The adopted text is a point of the graded scale that enough members prefer to
    silence under the rule (every member under consensus), and the setter never adopts a
    text it likes less than silence; with no one wanting anything, silence."""
    text = adopt_text(ideals, setter_ideal, rule, grain)
    assert np.any(text_scale(grain) == text)
    accepting = [abs(text - value) <= abs(value) + 1e-12 for value in ideals.values()]
    if rule == "consensus":
        assert all(abs(text - value) <= abs(value) + 1e-9 for value in ideals.values())
    if text != 0.0:
        assert quota(rule, float(np.mean(accepting)))
    if all(value == 0.0 for value in ideals.values()):
        assert text == 0.0
    assert abs(text - setter_ideal) <= abs(setter_ideal) + 1e-9


@settings(max_examples=200, deadline=None)
@given(others=ideals_of, setter_ideal=ideal, grain=st.sampled_from(GRAINS))
def test_a_favoured_member_is_never_condemned_under_consensus(others: dict[int, float],
                                                              setter_ideal: float,
                                                              grain: float) -> None:
    """A favoured party that is a member in good standing wants full endorsement (+1) and
    holds a veto, so a consensus text is never a condemnation of it."""
    favoured = max(others) + 1
    text = adopt_text({**others, favoured: 1.0}, setter_ideal, "consensus", grain)
    assert text >= 0.0
