"""Each figure renders from a small ensemble with the content it promises."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from sim import plots
from sim.ensemble import run_seeds


@pytest.fixture(scope="module")
def ensemble(spec):
    return run_seeds(spec.scenario, spec.params, [0, 1, 2, 3])


def _bands(ax) -> int:
    return sum(1 for c in ax.collections if c.__class__.__name__.endswith("PolyCollection"))


def _vertical_lines(ax) -> int:
    return sum(1 for line in ax.get_lines() if len(set(np.asarray(line.get_xdata()).tolist())) == 1)


def test_cohesion_figure_has_medians_bands_and_event_markers(spec, ensemble):
    series, _ = ensemble
    markers = plots.event_markers(spec.scenario)
    fig = plots.cohesion_figure(series, ["SCO", "CSTO"], "Cohesion", markers)
    ax = fig.axes[0]
    medians = [line for line in ax.get_lines() if line.get_label() in ("SCO", "CSTO")]
    assert len(medians) == 2 and _bands(ax) == 4  # 50% and 90% band per institution
    assert _vertical_lines(ax) == len(markers) >= 8
    labels = {t.get_text() for t in ax.texts}
    assert any("crimea annexation" in label for label in labels)
    assert ax.get_xlabel() == "Date (quarter)" and "Cohesion" in ax.get_ylabel()
    plt.close(fig)


def test_trajectories_overlay_scenarios(spec, ensemble):
    series, _ = ensemble
    other = series.assign(value=series["value"] * 0.9)
    fig = plots.trajectories_figure({"history": series, "scaled": other}, ["SCO", "CSTO"])
    assert len(fig.axes) == 2
    for ax in fig.axes:
        assert _bands(ax) == 4 and len([l for l in ax.get_lines() if l.get_label() in ("history", "scaled")]) == 2
        assert "cohesion" in ax.get_title()
    plt.close(fig)


def test_components_small_multiples(ensemble):
    series, _ = ensemble
    fig = plots.components_figure(series, ["SCO", "CSTO"])
    assert len(fig.axes) == 8
    assert {ax.get_ylabel() for ax in fig.axes} == {f"{m} (0-1)" for m in plots.COMPONENTS}
    plt.close(fig)


def test_trust_heatmap_shows_members_at_each_date(ensemble):
    series, _ = ensemble
    fig = plots.trust_heatmap(series, "SCO", ["2007-10", "2018-10"])
    first, second = fig.axes[0], fig.axes[1]
    assert first.images[0].get_array().shape == (6, 6)      # the six founders
    assert second.images[0].get_array().shape == (8, 8)     # plus India and Pakistan
    assert [t.get_text() for t in second.get_xticklabels()].count("IND") == 1
    values = second.images[0].get_array()
    assert np.nanmin(values) >= 0 and np.nanmax(values) <= 1
    plt.close(fig)


def test_trust_network_draws_members_and_edges(ensemble):
    series, _ = ensemble
    fig = plots.trust_network(series, "CSTO", ["2007-10"], threshold=0.6)
    ax = fig.axes[0]
    assert {t.get_text() for t in ax.texts} == {"ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK", "UZB"}
    assert len(ax.get_lines()) >= 6
    plt.close(fig)


def test_engagement_timeline_has_one_strip_per_member(ensemble):
    series, _ = ensemble
    fig = plots.engagement_timeline(series, ["SCO", "CSTO"])
    sco, csto = fig.axes[0], fig.axes[1]
    assert sco.images[0].get_array().shape[0] == 10  # six members and four observers over time
    assert {t.get_text() for t in csto.get_yticklabels()} >= {"UZB", "KAZ", "ARM"}
    assert "suspended" in {t.get_text() for t in fig.legends[0].get_texts()}
    plt.close(fig)


def test_phase_diagram_grid():
    table = pd.DataFrame({"a": [1, 1, 2, 2] * 2, "b": [1, 2, 1, 2] * 2, "out": np.arange(8.0)})
    fig = plots.phase_diagram(table, "a", "b", "out")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "a" and ax.get_ylabel() == "b"
    assert np.allclose(np.sort(np.asarray(ax.collections[0].get_array()).ravel()), [2, 3, 4, 5])
    plt.close(fig)


def test_sensitivity_bars_with_intervals():
    table = pd.DataFrame({"output": ["o"] * 3, "parameter": ["x", "y", "z"], "index": ["mu_star"] * 3,
                          "value": [0.3, 0.1, 0.2], "conf": [0.05, 0.01, 0.02], "sigma": [0.1] * 3,
                          "seed_variance_share": [0.02] * 3})
    fig = plots.sensitivity_figure(table, "morris")
    ax = fig.axes[0]
    assert len(ax.patches) == 3 and "mu*" in ax.get_xlabel() and "2%" in ax.get_title()
    errorbars = [c for c in ax.containers if c.__class__.__name__ == "ErrorbarContainer"]
    assert len(errorbars) == 1 and len(errorbars[0].lines[2][0].get_segments()) == 3
    plt.close(fig)


def test_counterfactual_differences_with_intervals(ensemble):
    series, _ = ensemble
    table = pd.DataFrame({"scenario": ["alt"] * 2, "reference": ["history"] * 2, "institution": ["SCO"] * 2,
                          "metric": ["cohesion"] * 2, "date": ["2010-01", "2018-10"],
                          "difference": [0.01, 0.02], "ci_low": [0.0, 0.01], "ci_high": [0.02, 0.03]})
    fig = plots.comparison_figure({"history": series, "alt": series}, table, ["SCO"])
    bottom = fig.axes[1]
    assert "vs history" in bottom.get_ylabel()
    assert [t.get_text() for t in bottom.get_xticklabels()] == ["2010-01", "2018-10"]
    plt.close(fig)


def test_save_figure_writes_png_and_svg(tmp_path, ensemble):
    series, _ = ensemble
    written = plots.save_figure(plots.components_figure(series, ["SCO"]), tmp_path / "f.png")
    assert [p.suffix for p in written] == [".png", ".svg"]
    assert all(p.stat().st_size > 5_000 for p in written)


def test_saving_the_same_figure_twice_gives_identical_files(spec, ensemble, tmp_path):
    """Re-running a figure script leaves unchanged figures byte for byte (and untouched)."""
    series, _ = ensemble

    def save(folder):
        figure = plots.cohesion_figure(series, ["SCO", "CSTO"], "Cohesion", plots.event_markers(spec.scenario))
        return plots.save_figure(figure, tmp_path / folder / "cohesion.png")

    first, second = save("a"), save("b")
    assert [p.suffix for p in first] == [".png", ".svg"]
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]
    svg = first[1].read_text()
    assert "<dc:date>" not in svg and b"Software" not in first[0].read_bytes()
    stamps = [p.stat().st_mtime_ns for p in first]
    save("a")
    assert [p.stat().st_mtime_ns for p in first] == stamps
