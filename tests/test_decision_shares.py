"""The table of every decision (docs/DECISIONS.md): complete, shares that add up, spread that
comes from the model's noise, targets that match what the validation reads."""

from __future__ import annotations

import ast
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.app.config import resolve
from sim.analysis import validation
from sim.analysis.decision_shares import KEY, READS, decision_shares, membership_moves
from sim.runs.ensemble import run_view
from sim.core.params import CONSTANTS

SEEDS = 6


def table(*overrides: str) -> pd.DataFrame:
    """The decision table of the history on SEEDS seeds at one parameter set (seed-only)."""
    spec = resolve(sim.compose([f"seeds={SEEDS}", "posterior=none", *overrides]))
    return decision_shares(run_view(spec.scenario, spec.runs()), CONSTANTS["text_grain"].value)


@pytest.fixture(scope="module")
def default() -> pd.DataFrame:
    return table()


def test_each_decision_shares_sum_to_one_over_all_seeds(default):
    sums = default.groupby(list(KEY), observed=True)["share"].sum()
    assert sums.round(9).eq(1.0).all()
    assert default["seeds"].eq(SEEDS).all()


def test_every_vote_and_text_of_the_scenario_appears(spec, default):
    """Each vote of the history has a row per state of the cast (not the external actors), and each organisation's
    texts a row per member in good standing (its ideal) besides the collective outcome."""
    votes = [e.key for e in spec.scenario.events if e.kind == "vote"]
    assert votes
    for key in votes:
        rows = default[(default["event"] == key) & (default["kind"] == "vote")]
        cast = spec.scenario.cast
        assert set(rows["state"]) == {c for c, kind in zip(cast.codes, cast.kinds) if kind == "state"}
    andijan = default[default["event"] == "andijan_crackdown"]
    assert set(andijan[andijan["who"] == "member"]["state"]) == {"CHN", "RUS", "KAZ", "KGZ", "TJK", "UZB"}
    assert (andijan["who"] == "collective").any()


def test_the_spread_over_seeds_comes_from_the_noise():
    """With both noise scales at 0 and the suspension hazard at 1 (so no uniform draw
    decides when Uzbekistan leaves the CSTO) the model is deterministic, so every decision
    has one outcome; with the default noise some have several."""
    mixed = lambda t: int((t.groupby(list(KEY), observed=True)["share"].max() < 1).sum())  # noqa: E731
    assert mixed(table("params.stance_noise=0", "params.experience_noise=0",
                       "params.suspend_hazard=1")) == 0
    assert mixed(table()) >= 5


def test_members_stances_in_the_csto_follow_deference(default):
    """Without deference to the agenda setter the CSTO members' stances move: on at least
    five of them the outcome shares differ by half the seeds or more."""
    other = table("params.deference=0")
    key = [*KEY, "outcome"]
    members = lambda t: t[(t["who"] == "member") & (t["institution"] == "CSTO")].set_index(key)["share"]  # noqa: E731
    change = members(default).subtract(members(other), fill_value=0).abs().groupby(level=list(KEY)).sum() / 2
    assert (change >= 0.5).sum() >= 5


def test_reads_name_the_events_the_validation_names(spec):
    """READS mirrors validation.py by hand: the history events it names are the string
    literals of validation.py that are history events (a check reading a new event, or no
    longer reading one, makes this fail until READS follows)."""
    source = Path(validation.__file__).read_text()
    literals = {n.value for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    events = {e.key for e in spec.scenario.events}
    assert {r.event for r in READS if r.event} == literals & events


def test_read_by_marks_the_hedgers_votes_only(default):
    votes = default[default["kind"] == "vote"].drop_duplicates("state").set_index("state")["read_by"]
    for state in validation.SUBJECTS["hedgers"]:
        assert votes[state] == "8"
    assert (votes.drop(validation.SUBJECTS["hedgers"]) == "").all()


def test_hierarchy_target_reads_states_in_both_organisations(default):
    """Target 12 reads the ideals of states with a stance in both organisations on the
    same draft: not China's (SCO only) nor Belarus's (CSTO only)."""
    georgia = default[(default["event"] == "georgia_war") & (default["who"] == "member")]
    marked = set(georgia[georgia["read_by"].str.contains("12")]["state"])
    assert {"RUS", "KAZ", "KGZ", "TJK"} <= marked
    assert not marked & {"CHN", "BLR", "ARM"}


def test_membership_moves_give_shares_and_quarters(spec):
    view = run_view(spec.scenario, [(spec.params, seed) for seed in range(SEEDS)])
    moves = membership_moves(view)
    assert moves["share"].between(0, 1).all() and (moves["share"] > 0).all()
    assert (moves["earliest"] <= moves["median"]).all() and (moves["median"] <= moves["latest"]).all()
    assert set(moves["move"]) <= {"active", "hedging", "suspended", "withdrawn"}
