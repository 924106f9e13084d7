"""The terminal summary of the main job: quarters, ordered membership changes, blockers,
no repeated subjects, a legend."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from sim.runs.ensemble import run_seeds
from sim.app.tasks import SUMMARY_LEGEND, quarter_label, summary


@pytest.fixture(scope="module")
def text(spec):
    series, decisions = run_seeds(spec.scenario, spec.params, [0, 1])
    return summary(series, decisions, ["SCO", "CSTO"], spec)


def test_dates_are_quarters(text):
    assert "2001Q1 to 2018Q4" in text and "2014Q1 SCO" in text
    assert not re.search(r"\b\d{4}-\d{2}\b", text)
    assert quarter_label("2014-10-01") == "2014Q4"


def test_membership_changes_are_ordered_by_date(text):
    section = text.split("Membership changes")[1].splitlines()[1:]
    quarters = [line.split()[0] for line in section if line.strip()]
    assert len(quarters) >= 3 and quarters == sorted(quarters)
    assert any(re.match(r"^  20\d\dQ\d CSTO  UZB hedging -> suspended +\d+%$", line) for line in section)
    assert all(" -> " in line for line in section if line.strip())   # each says which status it leaves


def test_a_blocked_text_names_its_blocker(text):
    assert max(map(len, text.splitlines())) <= 100
    text = re.sub(r"\n {10}", " ", text)          # a long line continues, indented, on the next
    line = next(line for line in text.splitlines()
                if line.startswith("  2008Q3 SCO   declaration  support for the action"))
    assert re.search(r": neutral \(\d+%\); blocked by [A-Z,]*CHN[A-Z,]* \(\d+%\)$", line)
    unblocked = next(line for line in text.splitlines()
                     if line.startswith("  2008Q3 CSTO  declaration  support for the action"))
    assert "blocked" not in unblocked


def test_a_subject_equal_to_the_topic_is_not_repeated(text):
    assert "[anti_extremism]" not in text and "statement    anti_extremism: endorse" in text


def test_the_legend_explains_scales_stances_and_statuses(text):
    assert all(line in text for line in SUMMARY_LEGEND) and len(SUMMARY_LEGEND) == 2
    for word in ("cohesion 0-1", "trust", "congruence", "engagement", "endorse / neutral (silence) / oppose",
                 "active / hedging / suspended / withdrawn"):
        assert word in text


def test_the_most_common_blocker_is_shown(spec):
    series = pd.DataFrame({"run": [0, 1, 2], "step": 0, "entity": "SCO", "metric": "cohesion", "value": 0.8})
    decisions = pd.DataFrame({
        "run": [0, 1, 2], "date": pd.Timestamp("2010-04-01"), "institution": "SCO", "kind": "declaration",
        "state": "", "topic": "t", "subject": "RUS", "outcome": "neutral", "blocked_by": ["KAZ", "CHN", "CHN"],
        "detail": ""})
    assert "2010Q2 SCO   declaration  t [RUS]: neutral (100%); blocked by CHN (67%)" in summary(
        series, decisions, ["SCO"], spec)
