"""Outcome texts (`metric`, `ENTITY:metric`, `ENTITY:metric@YYYY-MM`) parse in one place
into a typed `Outcome`, and the sweep's metrics and the sensitivity outputs read it."""

from __future__ import annotations

import pytest

from sim.core.observables import groups_for
from sim.core.outcomes import Outcome
from sim.errors import InputError
from sim.analysis.sensitivity import parse_output
from sim.io.records import check_metrics

CASES = {
    "cohesion": ("", "cohesion", ""),
    "SCO:trust": ("SCO", "trust", ""),
    "UZB:engagement.CSTO": ("UZB", "engagement.CSTO", ""),
    "SCO:cohesion@2018-10": ("SCO", "cohesion", "2018-10"),
    "KAZ:threat_from.RUS@2014-01": ("KAZ", "threat_from.RUS", "2014-01"),
}


@pytest.mark.parametrize("text", sorted(CASES))
def test_an_outcome_parses_into_its_parts_and_writes_back_as_it_was(text):
    outcome = Outcome.parse(text)
    assert tuple(outcome) == CASES[text]
    assert str(outcome) == text
    assert outcome.series == text.partition("@")[0]


def test_a_family_metric_names_its_family():
    assert Outcome.parse("UZB:engagement.CSTO").family == "engagement"
    assert Outcome.parse("SCO:cohesion").family == "cohesion"


@pytest.mark.parametrize("text", ["", ":cohesion", "SCO:", "@2018-10", "SCO:cohesion@2018", "SCO:cohesion@18-10",
                                  "a:b:c", "SCO:cohesion@2018-10@2019-01", " SCO:cohesion"])
def test_other_texts_are_refused(text):
    with pytest.raises(ValueError, match="not an outcome"):
        Outcome.parse(text)


def test_sensitivity_outputs_need_an_entity_and_a_month():
    assert parse_output("SCO:cohesion@2018-10") == Outcome("SCO", "cohesion", "2018-10")
    for text in ("SCO:cohesion", "cohesion@2018-10", "SCO cohesion 2018"):
        with pytest.raises(InputError, match="ENTITY:metric@YYYY-MM"):
            parse_output(text)


def test_sweep_metrics_are_undated_and_name_known_series():
    codes, institutions, great_powers = ["CHN", "RUS", "UZB"], ["SCO", "CSTO"], ["CHN", "RUS"]
    check_metrics(["cohesion", "SCO:trust", "UZB:engagement.CSTO", "UZB:threat_from.RUS"], codes, institutions,
                  great_powers)
    for spec in ("SCO:cohesion@2018-10", "UZB:cohesion", "XYZ:trust", "SCO:", "a:b:c"):
        with pytest.raises(InputError, match="INSTITUTION:metric"):
            check_metrics([spec], codes, institutions, great_powers)
    assert groups_for(["SCO:cohesion", "UZB:engagement.CSTO", "RUS:insecurity"]) == ("institutions", "states",
                                                                                    "engagement")
