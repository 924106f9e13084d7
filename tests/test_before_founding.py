"""An institution's metrics are missing (NaN), not zero, before it is founded, and every
consumer of the tables copes: plots, comparisons, sensitivity outputs, scoring."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import sim
from sim.app import plots
from sim.analysis.compare import differences
from sim.app.config import resolve
from sim.runs.ensemble import run_seeds
from sim.runs.ensemble_view import EnsembleView
from sim.errors import InputError
from sim.core.observables import INSTITUTION_METRICS
from sim.app.tasks import check_inputs


@pytest.fixture(scope="module")
def history(spec):
    return run_seeds(spec.scenario, spec.params, [0, 1])


def test_csto_metrics_are_nan_before_founding_and_finite_from_its_quarter(spec, history):
    view = EnsembleView(*history)
    founded = spec.scenario.founding_step("CSTO")
    assert spec.scenario.dates[founded] == "2003-07-01"
    for metric in INSTITUTION_METRICS:
        values = view.values("CSTO", metric)
        assert np.isnan(values[:, :founded]).all(), metric
        assert np.isfinite(values[:, founded:]).all(), metric
    assert np.isnan(view.at("CSTO", "cohesion", "2002-01")).all()
    assert np.isfinite(view.at("SCO", "cohesion", "2002-01")).all()


def test_rows_before_founding_are_kept(spec, history):
    series, _ = history
    rows = series[(series["entity"] == "CSTO") & (series["metric"] == "cohesion")]
    assert len(rows) == 2 * len(spec.scenario.dates)


def test_cohesion_lines_start_at_founding(spec, history):
    fig = plots.cohesion_figure(history[0], ["SCO", "CSTO"])
    line = next(line for line in fig.axes[0].get_lines() if line.get_label().partition(" ")[0] == "CSTO")  # + band note
    first = pd.Timestamp(np.asarray(line.get_xdata())[0])
    assert first == pd.Timestamp(spec.scenario.dates[spec.scenario.founding_step("CSTO")])
    assert np.isfinite(np.asarray(line.get_ydata(), dtype=float)).all()
    plt.close(fig)


def test_quantiles_ignore_missing_values():
    assert plots.quantiles(np.array([np.nan, 0.5, 0.5])) == (0.5, 0.5, 0.5)
    assert all(np.isnan(plots.quantiles(np.array([np.nan, np.nan]))))


def test_a_comparison_before_founding_is_nan_not_zero(history):
    views = {"a": EnsembleView(*history), "b": EnsembleView(*history)}
    table = differences("a", views, ["SCO", "CSTO"], ["2002-01"], ["cohesion"], 200).set_index("institution")
    assert np.isnan(table.loc["CSTO", ["difference", "ci_low", "ci_high", "share_positive"]].astype(float)).all()
    assert table.loc["CSTO", "runs"] == 0
    assert table.loc["SCO", "difference"] == 0.0 and table.loc["SCO", "runs"] == 2


def test_a_sensitivity_output_before_founding_is_refused():
    spec = resolve(sim.compose(["task=sensitivity", "sensitivity.outputs=[CSTO:cohesion@2002-01]"]))
    with pytest.raises(InputError, match="founding"):
        check_inputs(spec, lambda name, cast=None: spec.scenario)
