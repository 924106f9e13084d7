"""Scenario discovery with PRIM: the box it reports, and the task on a sweep folder."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.analysis.discover import Condition, cases, default_level, discover
from tests.helpers import run_main
from tests.test_bad_input import _run_cli


def test_prim_finds_the_region_that_makes_the_outcome():
    """The outcome happens when a > 0.7 and b < 0.3: the box restricts a and b near those
    edges, leaves c alone, and keeps most of the cases at high density."""
    rng = np.random.default_rng(0)
    x = pd.DataFrame(rng.random((600, 3)), columns=["a", "b", "c"])
    y = ((x["a"] > 0.7) & (x["b"] < 0.3)).to_numpy()
    trajectory, box, step = discover(x, y, threshold=0.8, peel_alpha=0.05)
    limits = box.set_index("parameter")
    assert set(box.loc[box["restricted"], "parameter"]) == {"a", "b"}
    assert limits.loc["a", "lower"] == pytest.approx(0.7, abs=0.05)
    assert limits.loc["b", "upper"] == pytest.approx(0.3, abs=0.05)
    assert trajectory.loc[step, "density"] >= 0.8 and trajectory.loc[step, "coverage"] >= 0.8


def test_cases_keep_the_varied_parameters_and_apply_the_condition():
    runs = pd.DataFrame({"run": [0, 1, 2], "point": [0, 1, 2], "seed": [0, 0, 0], "rally_gain": [0.5, 1.0, 2.0],
                         "memory": [10.0, 10.0, 10.0]})
    x, y = cases(runs, pd.Series([0.7, 0.8, 0.9]), Condition("at_least", 0.8))
    assert list(x.columns) == ["rally_gain"] and list(y) == [False, True, True]


def test_the_default_level_splits_the_runs_most_evenly():
    values = np.array([0.3, 0.1, 0.4, 0.2, 0.5, 0.6])
    assert default_level(values, "below") == 0.4 and Condition("below", 0.4)(values).mean() == 0.5
    assert default_level(values, "at_least") == 0.4
    codes = np.array([4.0] * 13 + [3.0] * 5)          # Uzbekistan withdrawn in 13 runs, suspended in 5
    assert default_level(codes, "at_least") == 4.0 and default_level(codes, "below") == 4.0
    assert default_level(np.array([1.0, 1.0]), "below") == 1.0   # no split exists: the one value


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sweep") / "grid"
    with pytest.MonkeyPatch.context() as patch:
        assert run_main(patch, "task=sweep", f"sweep.dir={folder}", "sweep.seeds_per_point=2",
                        "sweep.backend=serial") == 0
    return folder


def test_discover_on_a_sweep_writes_the_box_and_figures(sweep, tmp_path, monkeypatch):
    summary = pd.read_parquet(sweep / "runs_summary.parquet")
    level = float(summary["SCO.cohesion"].median())
    out = tmp_path / "discover"
    assert run_main(monkeypatch, "task=discover", f"results={sweep}", "discover.when=above",
                    f"discover.level={level}", f"hydra.run.dir={out}") == 0
    box = pd.read_csv(out / "discover_box.csv")
    assert set(box["parameter"]) == {"rally_gain", "memory"}
    assert (out / "discover_tradeoff.png").exists() and (out / "discover_box.svg").exists()


@pytest.mark.parametrize("args, expected", [
    (["discover.when=sideways"], ["discover.when", "below, at_most, above, at_least"]),
    (["discover.level=-1"], ["discover.level", "between the outcome's values in this sweep", "or null"]),
    (["discover.outcome=SCO:cohesion@1990-01"], ["discover.outcome", "present in the results"]),
])
def test_bad_discovery_settings_are_refused_in_one_line(sweep, tmp_path, monkeypatch, capsys, args, expected):
    err = _run_cli(monkeypatch, capsys, ["task=discover", f"results={sweep}", *args], tmp_path / "out", expected)
    assert "discover" in err


def test_discover_needs_a_sweep_folder(tmp_path, monkeypatch, capsys):
    _run_cli(monkeypatch, capsys, ["task=discover", f"results={tmp_path}"], tmp_path / "out",
             ["results", "manifest.json"])


def test_the_discovery_figures_explain_every_colour():
    from sim.app.discover_plots import box_figure, tradeoff_figure
    trajectory = pd.DataFrame({"coverage": [1.0, 0.9, 0.7], "density": [0.5, 0.7, 1.0], "res_dim": [0, 1, 2]})
    fig = tradeoff_figure(trajectory, 2, "t")
    assert len(fig.axes) == 1                                   # a count gets a legend, not a colour bar
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["0 restricted parameters", "1 restricted parameter", "2 restricted parameters",
                      "reported box (step 2)"]
    box = pd.DataFrame({"parameter": ["rally_gain", "memory"], "lower": [0.5, 6.0], "upper": [1.0, 14.0],
                        "sampled_min": [0.5, 6.0], "sampled_max": [3.0, 14.0], "restricted": [True, False]})
    fig = box_figure(box, 0.67, 1.0, "t")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "box: restricted", "box: unrestricted (whole range)", "sampled range"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Rally gain", "Memory"]   # readable names


def test_feature_scores_rank_the_parameter_that_drives_the_outcome_first_and_repeat():
    """The outcome is 3a + 0.3b + noise and c does nothing: a scores highest, c lowest, the
    scores sum to 1, and a second call gives the same numbers (a fixed forest seed)."""
    from sim.analysis.discover import feature_scores
    rng = np.random.default_rng(1)
    x = pd.DataFrame(rng.random((300, 3)), columns=["a", "b", "c"])
    values = 3 * x["a"].to_numpy() + 0.3 * x["b"].to_numpy() + rng.normal(0, 0.05, 300)
    scores = feature_scores(x, values)
    assert list(scores["parameter"]) == ["a", "b", "c"] and scores["score"].sum() == pytest.approx(1.0)
    assert scores["score"].iloc[0] > 0.7
    pd.testing.assert_frame_equal(scores, feature_scores(x, values))
    with pytest.raises(Exception, match="varies across the sweep's runs"):
        feature_scores(x, np.ones(300))


def test_discover_scores_features_and_draws_an_envelope_on_a_sweep(sweep, tmp_path, monkeypatch, capsys):
    """`discover.analysis=features` writes each swept parameter's score (summing to 1) and
    a bar figure; `discover.analysis=envelope` writes the outcome's range, median and 90%
    band at every date and the Workbench's envelope figure, its lines within 100 columns."""
    out = tmp_path / "features"
    assert run_main(monkeypatch, "task=discover", f"results={sweep}", "discover.analysis=features",
                    f"hydra.run.dir={out}") == 0
    scores = pd.read_csv(out / "discover_features.csv")
    assert set(scores["parameter"]) == {"rally_gain", "memory"} and scores["score"].sum() == pytest.approx(1.0)
    assert (out / "discover_features.png").stat().st_size < 500_000
    out = tmp_path / "envelope"
    assert run_main(monkeypatch, "task=discover", f"results={sweep}", "discover.analysis=envelope",
                    "discover.outcome=UZB:engagement.CSTO@2012-01", f"hydra.run.dir={out}") == 0
    printed = capsys.readouterr().out
    assert "Envelope of UZB engagement in CSTO over 18 runs; at 2012Q1: min" in printed
    assert max(map(len, printed.splitlines())) <= 100
    bands = pd.read_csv(out / "discover_envelope.csv")
    assert list(bands.columns) == ["date", "min", "q05", "median", "q95", "max"] and len(bands) == 72
    assert (bands["min"] <= bands["median"]).all() and (bands["median"] <= bands["max"]).all()
    assert (out / "discover_envelope.png").stat().st_size < 500_000


def test_the_envelope_figure_says_what_it_shows():
    from sim.app.discover_plots import envelope_figure, features_figure
    dates = pd.date_range("2001-01-01", periods=8, freq="QS")
    table = pd.DataFrame(np.linspace(0, 1, 40).reshape(5, 8), columns=dates)
    fig = envelope_figure(table, "UZB", "engagement.CSTO", dates[4])
    ax = fig.axes[0]
    assert ax.get_ylabel() == "UZB engagement in CSTO" and ax.get_xlabel() == "Year"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "range of all 5 runs", "median", "5% and 95% of runs", "the outcome's date"]
    scores = pd.DataFrame({"parameter": ["w_legitimacy", "memory"], "score": [0.8, 0.2]})
    bars = features_figure(scores, "t").axes[0]
    top = max(bars.get_yticklabels(), key=lambda t: t.get_position()[1])
    assert top.get_text() == "Legitimation weight"                         # the highest score at the top
    assert {t.get_text() for t in bars.get_yticklabels()} == {"Memory", "Legitimation weight"}
