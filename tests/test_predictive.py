"""The posterior predictive check (sim/analysis/predictive.py): per parameter draw, the
share of seeds meeting every chosen check at once; a draw counts when that share reaches
the validation's 90%."""

from __future__ import annotations

from dataclasses import replace

import pytest

from sim.core.params import NULL_MODEL, Params
from sim.analysis.predictive import predictive_share, predictive_table
from sim.analysis.validation import twin_scenarios
from tests.helpers import packaged_scenario

#: Checks the default point meets in every seed and the null model fails in most
#: (docs/VALIDATION.md: null shares 0 and 0).
CHOSEN = ["3.rally_colour", "4.csto_action_backed"]
SEEDS = [0, 1, 2]


@pytest.fixture(scope="module")
def table(spec):
    scenarios = twin_scenarios(spec.scenario, packaged_scenario)
    return predictive_table(scenarios, [Params(), replace(Params(), **NULL_MODEL)], SEEDS, checks=CHOSEN)


def test_the_default_meets_the_chosen_checks_together_and_the_null_model_does_not(table):
    assert table.loc[0, "all_checks"] == 1.0
    assert table.loc[1, "all_checks"] <= 1 / 3
    assert predictive_share(table) == 0.5


def test_meeting_every_check_at_once_is_rarer_than_meeting_each(table):
    for column in (f"check_{key}" for key in CHOSEN):
        assert (table["all_checks"] <= table[column]).all()
    assert list(table.columns) == ["draw", "all_checks", "every_check", *(f"check_{key}" for key in CHOSEN)]


def test_all_checks_asks_for_the_evidence_checks_and_every_check_for_the_consistency_ones_too(spec, table):
    """Adding a consistency check leaves `all_checks` (the evidence checks at once, the
    issue's predictive share) as it was and can only lower `every_check`."""
    scenarios = twin_scenarios(spec.scenario, packaged_scenario)
    draws = [Params(), replace(Params(), **NULL_MODEL)]
    wider = predictive_table(scenarios, draws, SEEDS, checks=[*CHOSEN, "4.csto_recognition_neutral"])
    assert wider["all_checks"].tolist() == table["all_checks"].tolist()
    assert (wider["every_check"] <= wider["all_checks"]).all()
    assert (wider["every_check"] <= wider["check_4.csto_recognition_neutral"]).all()
