"""The fast ensemble view (built from the runs' arrays) holds what the long tables hold."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.runs.ensemble import run_seeds, run_view
from sim.runs.ensemble_view import EnsembleView
from tests.helpers import packaged_scenario


def test_view_from_models_equals_view_from_tables(spec):
    scenario = packaged_scenario("history")
    seeds = [3, 8, 11]
    from_tables = EnsembleView(*run_seeds(scenario, spec.params, seeds))
    fast = run_view(scenario, [(spec.params, seed) for seed in seeds])
    assert (fast.runs, fast.steps, fast.dates) == (from_tables.runs, from_tables.steps, from_tables.dates)
    assert set(fast._values) == set(from_tables._values)
    for key, values in from_tables._values.items():
        assert np.array_equal(fast.values(*key), values, equal_nan=True), key
    pd.testing.assert_frame_equal(fast.decisions.reset_index(drop=True),
                                  from_tables.decisions.reset_index(drop=True))


def test_concatenated_views_number_runs_in_order(spec):
    scenario = packaged_scenario("no_crimea")
    runs = [(spec.params, seed) for seed in (1, 2, 5)]
    whole = run_view(scenario, runs)
    parts = EnsembleView.concat([run_view(scenario, runs[:1]), run_view(scenario, runs[1:])])
    assert np.array_equal(parts.values("SCO", "cohesion"), whole.values("SCO", "cohesion"), equal_nan=True)
    pd.testing.assert_frame_equal(parts.decisions, whole.decisions)


def test_a_lean_view_holds_the_institutions_series_and_their_long_rows(spec):
    """A view of runs that recorded the institutions only (as `task=compare` runs them) has
    exactly the institutions' series of the long table, and `series_table` gives back
    their rows as the long table has them."""
    scenario = packaged_scenario("history")
    seeds = [2, 7]
    series, _ = run_seeds(scenario, spec.params, seeds)
    lean = run_view(scenario, [(spec.params, seed) for seed in seeds], groups=("institutions",), decisions=False)
    assert set(lean._values) == {(str(e), str(m)) for e, m in
                                 series.loc[series["entity"].isin(["SCO", "CSTO"]), ["entity", "metric"]].drop_duplicates()
                                 .itertuples(index=False)}
    assert lean.decisions.empty
    rows = lean.series_table([("CSTO", "cohesion"), ("SCO", "trust")])
    for entity, metric in (("CSTO", "cohesion"), ("SCO", "trust")):
        expected = series[(series["entity"] == entity) & (series["metric"] == metric)]
        got = rows[(rows["entity"] == entity) & (rows["metric"] == metric)]
        assert np.array_equal(got[["run", "step"]].to_numpy(), expected[["run", "step"]].to_numpy())
        assert np.array_equal(got["date"].to_numpy(), expected["date"].to_numpy())
        assert np.array_equal(got["value"].to_numpy(), expected["value"].to_numpy(), equal_nan=True)
