"""Each figure renders from a small ensemble with the content it promises."""

from __future__ import annotations

import matplotlib.dates
import matplotlib.font_manager
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import sim
from sim.app import plots
from sim.app.config import resolve
from sim.runs.ensemble import run_seeds


@pytest.fixture(scope="module")
def ensemble(spec):
    return run_seeds(spec.scenario, spec.params, [0, 1, 2, 3])


def _bands(ax) -> int:
    return sum(1 for c in ax.collections if c.__class__.__name__.endswith("PolyCollection"))


def _vertical_lines(ax) -> int:
    return sum(1 for line in ax.get_lines() if len(set(np.asarray(line.get_xdata()).tolist())) == 1)


def _strip_and_main(fig, column: int = 0, columns: int = 1):
    """The event strip and the time panel of a figure drawn with events."""
    return fig.axes[column], fig.axes[columns + column]


def test_cohesion_figure_has_medians_bands_and_event_markers(spec, ensemble):
    series, _ = ensemble
    markers = plots.event_markers(spec.scenario)
    fig = plots.cohesion_figure(series, ["SCO", "CSTO"], "Cohesion", markers)
    strip, ax = _strip_and_main(fig)
    medians = [line for line in ax.get_lines() if line.get_label().split(" ")[0] in ("SCO", "CSTO")]
    assert len(medians) == 2 and _bands(ax) == 4  # 50% and 90% band per institution
    assert _vertical_lines(ax) == len({date for date, *_ in markers}) >= 8
    labels = {t.get_text() for t in strip.texts}
    assert "Maidan / Crimea annexation" in labels and "CSTO revision" in labels   # capitals, codes as codes
    assert "India / Pakistan accession" in labels                               # a shared word once
    assert ax.get_xlabel() == "Date (quarter)" and "Cohesion" in ax.get_ylabel()
    legend = [t.get_text().split(" ")[0] for t in ax.get_legend().get_texts()]
    assert legend == ["SCO", "CSTO", "50%", "90%"]                            # the bands explained too
    assert round(ax.get_ylim()[0], 6) in [round(v, 6) for v in ax.get_yticks()]  # the axis starts at a tick
    plt.close(fig)


def test_event_labels_do_not_overlap(spec, ensemble):
    """Labels of nearby events (orange and tulip revolutions a quarter apart) go to
    different rows: no two label boxes intersect once drawn."""
    series, _ = ensemble
    fig = plots.cohesion_figure(series, ["SCO", "CSTO"], "Cohesion", plots.event_markers(spec.scenario))
    fig.draw_without_rendering()
    boxes = [text.get_window_extent() for text in fig.axes[0].texts]
    assert len(boxes) >= 8
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    rows = {text.get_text(): text.get_position()[1] for text in fig.axes[0].texts}
    assert rows["Orange revolution"] != rows["Tulip revolution"]
    plt.close(fig)


def test_no_event_label_runs_across_another_events_line(spec, ensemble):
    """Each label is placed above the events whose dates its text spans, so the dotted
    line of no other event passes through a label (Uzbekistan's CSTO accession spans the
    Georgia war; India and Pakistan's accession ends near the right edge)."""
    series, _ = ensemble
    fig = plots.cohesion_figure(series, ["SCO", "CSTO"], "Cohesion", plots.event_markers(spec.scenario))
    fig.draw_without_rendering()
    strip = fig.axes[0]
    stems = [line.get_window_extent(fig.canvas.get_renderer()) for line in strip.get_lines()]
    texts = strip.texts
    assert len(stems) == len(texts) >= 8
    for i, text in enumerate(texts):
        box = text.get_window_extent()
        for j, stem in enumerate(stems):
            if i != j:
                assert not (box.x0 < stem.x0 < box.x1 and stem.y1 > box.y0), (text.get_text(), texts[j].get_text())
    plt.close(fig)


def test_the_rows_hold_when_labels_span_each_others_dates():
    """Two labels that each span the other's date cannot both sit above the other: the
    rows then only keep the labels apart (and stop)."""
    assert plots._stacked_rows([(0.0, 5.0), (1.0, 6.0)], [0.0, 3.0]) == [1, 0]      # the first spans 3
    assert plots._stacked_rows([(0.0, 5.0), (-1.0, 4.0)], [0.0, 4.0]) == [0, 1]     # each spans the other
    assert plots._stacked_rows([(0.0, 1.0), (2.0, 3.0)], [0.0, 2.0]) == [0, 0]


def test_a_band_hidden_under_its_line_is_said_so(ensemble):
    """Runs that agree within a line's width leave no visible band: the legend says so for
    that institution only."""
    series, _ = ensemble
    spread = series.copy()
    noise = np.random.default_rng(1).normal(0, 0.05, len(spread))
    spread["value"] = np.where(spread["entity"] == "CSTO", spread["value"] + noise, spread["value"])
    fig = plots.cohesion_figure(spread, ["SCO", "CSTO"])
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels[0].startswith("SCO (90% of runs within 0.0") and labels[0].endswith("bands under the line)")
    assert labels[1] == "CSTO"
    plt.close(fig)


def _counterfactuals(spec, series):
    """The docs' counterfactual figure on a small ensemble (the same series for each scenario,
    the second lowered so the two differ), with each scenario's own events and titles."""
    names = ["history", "no_crimea", "sco_enlarge_tm_mn"]
    events = {name: plots.event_markers(resolve(sim.compose([f"scenario={name}"])).scenario) for name in names}
    runs = {"history": series, "no_crimea": series.assign(value=series["value"] * 0.97),
            "sco_enlarge_tm_mn": series}
    titles = {"history": "the history", "no_crimea": "History without Crimea",
              "sco_enlarge_tm_mn": "Turkmenistan and Mongolia join instead"}
    return plots.trajectories_figure(runs, ["SCO", "CSTO"], events=events, titles=titles), names


def test_counterfactual_rows_keep_the_reference_and_each_scenario_apart(spec, ensemble):
    """One row per counterfactual, one column per institution, one y-scale: each panel holds
    two ensembles only, the reference (wide black line, grey fills) under the
    counterfactual (narrower dashed line in its colour on top, hatched 50% band, outlined
    90% band), so no two translucent fills mix."""
    series, _ = ensemble
    fig, names = _counterfactuals(spec, series)
    assert len(fig.axes) == 4                                             # no label strip
    assert all(fig.axes[0].get_shared_y_axes().joined(fig.axes[0], ax) for ax in fig.axes)
    for ax in fig.axes:
        medians = [line for line in ax.get_lines() if line.get_label() in names]
        reference, other = medians
        assert reference.get_label() == "history" and reference.get_color() == "#000000"
        assert other.get_linestyle() == "--" and other.get_zorder() > reference.get_zorder()
        assert other.get_linewidth() < reference.get_linewidth() and other.get_color() != "#000000"
        fills = [c for c in ax.collections if c.__class__.__name__.endswith("PolyCollection")]
        translucent = [c for c in fills if c.get_facecolor().size and c.get_facecolor()[0][3] > 0]
        assert len(fills) == 3 and len(translucent) == 2                   # the counterfactual's band: hatched
        assert all(np.allclose(c.get_facecolor()[0][:3], matplotlib.colors.to_rgb("grey")) for c in translucent)
        assert [c.get_hatch() for c in fills if c not in translucent] == ["////"]
    handles = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "counterfactual: 50% of runs" in handles and "the history (reference): median" in handles
    plt.close(fig)


def test_counterfactual_labels_are_words_and_each_panel_marks_its_own_institutions_events(spec, ensemble):
    """Panels are titled by the scenarios' descriptions; only the events the two scenarios
    do not share, and that concern the panel's institution, are named, saying which
    scenario has them; no code identifier appears in any text."""
    series, _ = ensemble
    fig, names = _counterfactuals(spec, series)
    sco_crimea, csto_crimea, sco_enlarged, csto_enlarged = fig.axes
    assert sco_crimea.get_title() == "SCO: History without Crimea"
    assert [t.get_text() for t in sco_crimea.texts] == ["Crimea annexation (reference only) "]
    enlarged = {t.get_text().strip() for t in sco_enlarged.texts}
    assert enlarged == {"India accession (reference only)", "Pakistan accession (reference only)",
                        "Mongolia accession (this counterfactual only)",
                        "Turkmenistan accession (this counterfactual only)"}
    assert len(csto_enlarged.texts) == 0                            # the SCO's enlargement is not the CSTO's
    assert [t.get_text().strip() for t in csto_crimea.texts] == ["Crimea annexation (reference only)"]
    fig.draw_without_rendering()
    words = [t.get_text() for ax in fig.axes for t in [ax.title, *ax.texts]] + [fig.get_suptitle()]
    words += [t.get_text() for t in fig.legends[0].get_texts()]
    assert not any(name in text for text in words for name in names[1:]) and not any("_" in w for w in words)
    for ax in fig.axes:                                           # every label inside its panel
        frame = ax.get_window_extent()
        assert all(frame.x0 <= t.get_window_extent().x0 and t.get_window_extent().x1 <= frame.x1 for t in ax.texts)
    plt.close(fig)


def test_a_single_scenario_keeps_its_event_strip(spec, ensemble):
    series, _ = ensemble
    fig = plots.trajectories_figure({"history": series}, ["SCO", "CSTO"],
                                    events={"history": plots.event_markers(spec.scenario)})
    assert fig.axes[0].get_title() == "SCO cohesion (4 runs)"
    labels = {text.get_text() for text in fig.axes[0].texts}
    csto_labels = {text.get_text() for text in fig.axes[1].texts}
    assert "CSTO revision" in csto_labels and "CSTO revision" not in labels
    assert "India / Pakistan accession" in labels and not any("India" in label for label in csto_labels)
    plt.close(fig)


def test_components_small_multiples(ensemble):
    series, _ = ensemble
    fig = plots.components_figure(series, ["SCO", "CSTO"])
    assert len(fig.axes) == 8
    assert {ax.get_ylabel() for ax in fig.axes} == {f"{m} (0-1)" for m in plots.COMPONENTS}
    assert len({ax.get_ylim() for ax in fig.axes}) == 1 and fig.axes[0].get_ylim()[1] == 1.0   # one scale
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


def test_trust_network_keeps_places_draws_every_edge_and_keeps_labels_inside(ensemble):
    """Each state sits in one place at every date (a non-member hollow and grey); every two
    members are joined, wider and more opaque with more trust, grey below the threshold;
    the codes stay inside their panel."""
    series, _ = ensemble
    fig = plots.trust_network(series, "SCO", ["2007-10", "2018-10"], threshold=0.6)
    fig.draw_without_rendering()
    places = []
    for ax, members in zip(fig.axes, (6, 8)):
        nodes = {t.get_text(): t.get_position() for t in ax.texts}
        assert set(nodes) == {"CHN", "IND", "KAZ", "KGZ", "PAK", "RUS", "TJK", "UZB"}
        places.append(nodes)
        edges = ax.get_lines()
        assert len(edges) == members * (members - 1) // 2
        by_width = sorted(edges, key=lambda line: line.get_linewidth())
        assert by_width[0].get_alpha() < by_width[-1].get_alpha()
        assert {line.get_color() for line in edges} <= {plots.PALETTE[0], "grey"}
        frame = ax.get_window_extent()
        for text in ax.texts:
            box = text.get_window_extent()
            assert frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
    assert places[0] == places[1]
    greys = [t.get_text() for t in fig.axes[0].texts if t.get_color() == "grey"]
    assert greys == ["IND", "PAK"]                                          # not members in 2007
    plt.close(fig)


def test_membership_strips_show_the_share_of_runs_in_each_status(ensemble):
    """A quarter where runs differ is split by the share of runs in each status; the title
    says it is a share of all runs, not one run."""
    series, _ = ensemble
    mixed = series.copy()
    csto_uzb = (mixed["metric"] == "status.CSTO") & (mixed["entity"] == "UZB") & (mixed["run"] == 0)
    mixed.loc[csto_uzb, "value"] = 4.0                                       # run 0: withdrawn throughout
    shares = plots.status_shares(mixed, "CSTO")
    last = shares.loc["UZB"].iloc[-1]
    assert last[4] == 1.0 or (last[4] >= 0.25 and abs(last.sum() - 1) < 1e-12)
    first = shares.loc["UZB"].iloc[0]
    assert first[4] == 0.25 and first[0] == 0.75                             # 1 of 4 runs withdrawn
    assert "ARM" in shares.index.get_level_values("entity") and "CHN" not in shares.index.get_level_values("entity")
    fig = plots.membership_timeline(mixed, ["SCO", "CSTO"])
    sco, csto = fig.axes[0], fig.axes[1]
    assert len(sco.get_yticklabels()) == 10  # six members and four observers over time
    assert {t.get_text() for t in csto.get_yticklabels()} >= {"UZB", "KAZ", "ARM"}
    assert "share of the 4 runs in each status" in csto.get_title() and "one run" not in csto.get_title()
    assert "suspended" in {t.get_text() for t in fig.legends[0].get_texts()}
    withdrawn = [c for c in csto.collections
                 if np.allclose(c.get_facecolor()[0][:3], matplotlib.colors.to_rgb(plots.STATUS_COLOURS[4]))]
    vertices = withdrawn[0].get_paths()[0].vertices
    first_quarter = vertices[vertices[:, 0] == vertices[:, 0].min(), 1]
    assert np.isclose(np.ptp(first_quarter), 0.9 * 0.25)                    # a quarter of the row's height
    plt.close(fig)


def test_phase_diagram_cells_centred_on_sampled_values():
    """One cell per sampled pair, centred on a tick labelled with the sampled value (an
    uneven grid too), with its value written in it."""
    table = pd.DataFrame({"a": [0.5, 0.5, 3.0, 3.0, 1.5, 1.5] * 2, "b": [6.0, 14.0] * 6,
                          "SCO:cohesion@2018-10": np.arange(12.0)})
    fig = plots.phase_diagram(table, "a", "b", "SCO:cohesion@2018-10")
    ax = fig.axes[0]
    image = ax.images[0]
    assert image.get_array().shape == (2, 3)
    assert list(image.get_extent()) == [-0.5, 2.5, -0.5, 1.5]  # cells centred on 0, 1, 2 and 0, 1
    assert list(ax.get_xticks()) == [0, 1, 2] and list(ax.get_yticks()) == [0, 1]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.5", "1.5", "3"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["6", "14"]
    means = table.groupby(["b", "a"])["SCO:cohesion@2018-10"].mean().to_numpy().reshape(2, 3)
    assert np.allclose(image.get_array(), means)
    spread = table.groupby(["b", "a"])["SCO:cohesion@2018-10"].std().to_numpy().reshape(2, 3)
    assert {t.get_text() for t in ax.texts} == {f"{v:.3f}\n±{d:.3f}" for v, d in zip(means.ravel(), spread.ravel())}
    assert ax.get_xlabel() == "A" and "SCO cohesion, 2018Q4" in ax.get_title()
    assert "mean over 2 seeds" in fig.axes[1].get_ylabel() and "± standard deviation over 2 seeds" in ax.get_title()
    assert plots.parameter_axis_label("memory") == "Memory (quarters, half-life)"
    assert plots.parameter_axis_label("w_sovereignty") == "Sovereignty weight (w_sovereignty)"
    plt.close(fig)


def test_sensitivity_bars_readable_names_and_inert_parameters(tmp_path):
    table = pd.DataFrame({"output": ["UZB:engagement.CSTO@2014-01"] * 4,
                          "parameter": ["w_sovereignty", "trust_gain", "mandate_cost", "deference"],
                          "index": ["mu_star"] * 4, "value": [0.3, 0.1, 0.2, 1e-6],
                          "conf": [0.05, 0.01, 0.02, 1e-6], "sigma": [0.1] * 4, "seed_variance_share": [0.02] * 4})
    fig = plots.sensitivity_figure(table, "morris")
    ax = fig.axes[0]
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks == ["Deference", "Trust gain", "Mandate cost", "Sovereignty weight"]
    assert len(ax.patches) == 3  # no empty bar for the inert parameter
    assert [t.get_text().strip() for t in ax.texts] == ["inert (< 1% of the largest)"]
    assert ax.texts[0].get_position()[1] == 0  # on deference's row
    errorbars = [c for c in ax.containers if c.__class__.__name__ == "ErrorbarContainer"]
    assert len(errorbars) == 1 and len(errorbars[0].lines[2][0].get_segments()) == 3
    assert r"$\mu^*$" in ax.get_xlabel() and "output units" in ax.get_xlabel() and "2% of its variance" in ax.get_title()
    below = fig.axes[1]                         # mu*-sigma view: the three active parameters named
    assert below.get_ylabel().startswith(r"$\sigma$") and len(below.collections[0].get_offsets()) == 4
    assert sorted(t.get_text() for t in below.texts) == ["Mandate cost", "Sovereignty weight", "Trust gain"]
    assert plots._share_text(0.0013) == "0.13%" and plots._share_text(0.25) == "25%"
    assert sum(path.stat().st_size for path in plots.save_figure(fig, tmp_path / "sensitivity.png")
               if path.suffix == ".png") < 500_000
    assert ax.get_title().startswith("UZB engagement in CSTO, 2014Q1")
    assert "95%" in fig.get_suptitle()
    plt.close(fig)


def _comparison_table() -> pd.DataFrame:
    rows = [{"scenario": name, "reference": "history", "institution": "SCO", "metric": metric, "date": date,
             "difference": 0.01, "ci_low": 0.0, "ci_high": 0.02}
            for name in ("alt", "other") for metric in ("cohesion", "trust", "engagement")
            for date in ("2008-01", "2012-01", "2015-01", "2018-10")]
    return pd.DataFrame(rows)


def test_comparison_places_every_metric_on_a_time_axis(ensemble):
    series, _ = ensemble
    fig = plots.comparison_figure({"history": series, "alt": series, "other": series}, _comparison_table(), ["SCO"])
    top, *panels = fig.axes
    assert [ax.get_ylabel().split(":")[0] for ax in panels] == ["cohesion", "trust", "engagement"]
    assert all("from history" in ax.get_ylabel() for ax in panels)
    days = matplotlib.dates.date2num([pd.Timestamp(d) for d in ("2008-01-01", "2012-01-01", "2015-01-01", "2018-10-01")])
    for ax in panels:
        bars = [c for c in ax.containers if c.__class__.__name__ == "ErrorbarContainer"]
        assert [c.get_label() for c in bars] == ["alt - history", "other - history"]
        x = [np.asarray(matplotlib.dates.date2num(c.lines[0].get_xdata())) for c in bars]
        assert np.allclose((x[0] + x[1]) / 2, days)  # the two scenarios straddle each date
        assert np.all(x[0] < x[1])
    assert "95%" in panels[0].get_legend().get_title().get_text()
    assert isinstance(top.xaxis.get_major_formatter(), matplotlib.dates.AutoDateFormatter | matplotlib.dates.ConciseDateFormatter)
    plt.close(fig)
    assert "compared dates" in [t.get_text() for t in top.get_legend().get_texts()]   # the dashed lines explained
    assert all(not ax.yaxis.get_major_formatter().get_useOffset() for ax in panels)  # no 1e-5 offset
    assert all(line.get_linestyle() == "-" for ax in panels for c in ax.containers
               if c.__class__.__name__ == "ErrorbarContainer" for line in [c.lines[0]])    # dates joined
    both = plots.comparison_figure({"history": series, "alt": series, "other": series},
                                   pd.concat([_comparison_table(), _comparison_table().assign(institution="CSTO")]),
                                   ["SCO", "CSTO"])
    rows = [both.axes[i:i + 2] for i in range(0, len(both.axes), 2)]
    assert all(left.get_shared_y_axes().joined(left, right) for left, right in rows)   # one scale per row
    plt.close(both)


def test_heatmap_and_network_say_what_they_show(ensemble):
    series, _ = ensemble
    heat = plots.trust_heatmap(series, "SCO", ["2007-10"])
    assert "Mean trust over 4 runs" in heat.get_suptitle() and heat.axes[0].get_title() == "SCO trust, 2007Q4"
    assert np.isnan(np.diag(heat.axes[0].images[0].get_array().filled(np.nan))).all()
    network = plots.trust_network(series, "SCO", ["2007-10", "2018-10"], threshold=0.6)
    network.draw_without_rendering()
    page = network.bbox
    for ax in network.axes:   # every title is inside the figure
        title = ax.title.get_window_extent()
        assert page.x0 <= title.x0 and title.x1 <= page.x1 and page.y0 <= title.y0 and title.y1 <= page.y1
    legend = network.legends[0]
    assert legend.get_title().get_text().startswith("Edge: mutual trust, mean over 4 runs")
    assert [t.get_text() for t in legend.get_texts()][:4] == ["0.20 (grey: below 0.60)", "0.60", "0.80", "1.00"]
    widths = [line.get_linewidth() for line in legend.get_lines()[:4]]
    assert widths == sorted(widths) and widths[0] < widths[-1]
    plt.close(heat)
    plt.close(network)


def test_every_legend_uses_one_font_size(spec, ensemble):
    series, _ = ensemble
    figures = [plots.cohesion_figure(series, ["SCO", "CSTO"], "Cohesion", plots.event_markers(spec.scenario)),
               plots.trajectories_figure({"history": series, "alt": series}, ["SCO"]),
               plots.comparison_figure({"history": series, "alt": series}, _comparison_table(), ["SCO"]),
               plots.trust_network(series, "CSTO", ["2007-10"]),
               plots.membership_timeline(series, ["SCO"])]
    sizes = {text.get_fontsize() for fig in figures for ax in fig.axes if ax.get_legend()
             for text in ax.get_legend().get_texts()}
    sizes |= {text.get_fontsize() for fig in figures for legend in fig.legends for text in legend.get_texts()}
    assert sizes == {matplotlib.font_manager.FontProperties(size=plots.LEGEND_FONT).get_size_in_points()}
    for fig in figures:
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


def test_the_figure_registry_draws_what_its_inputs_allow_as_the_functions_do(spec, ensemble):
    """`draw_figures` draws every registered figure whose inputs are there (one per
    institution where it is per institution), and each is the figure its function draws."""
    series, _ = ensemble
    markers = plots.event_markers(spec.scenario)
    inputs = plots.FigureInputs(series, "history", ["SCO", "CSTO"], markers, dates=["2007-10"], swept=["a"])
    figures = plots.draw_figures(inputs)
    assert list(figures) == ["cohesion", "trajectories", "components", "membership_timeline", "trust_heatmap_SCO",
                             "trust_heatmap_CSTO", "trust_network_SCO", "trust_network_CSTO"]
    direct = plots.cohesion_figure(series, ["SCO", "CSTO"], "Cohesion, scenario 'history'", markers)
    assert plots.render(figures["cohesion"], "svg") == plots.render(direct, "svg")
    table = pd.DataFrame({"output": ["SCO:cohesion@2018-10"], "parameter": ["trust_gain"], "index": ["mu_star"],
                          "value": [0.3], "conf": [0.05], "sigma": [0.1], "seed_variance_share": [0.02]})
    assert list(plots.draw_figures(plots.FigureInputs(sensitivity=table, method="morris"))) == ["sensitivity"]
    assert plots.draw_figures(plots.FigureInputs(sensitivity=table)) == {}  # no method: not drawn
    plt.close("all")


def test_calibration_figures_show_every_parameter_by_name_under_500_kb(tmp_path):
    from sim.app import calibration_plots
    rng = np.random.default_rng(0)
    names = ["rally_gain", "memory", "betrayal_exposure", "deference", "w_legitimacy", "w_functional",
             "w_security", "w_sovereignty", "w_balance", "trust_gain", "threat_gain", "mandate_cost"]
    free = {name: (0.0, 10.0) for name in names}
    posterior = pd.DataFrame({name: rng.uniform(0, 10, 200) for name in names}).assign(weight=rng.random(200))
    pairs = calibration_plots.pairs_figure(posterior, free)
    shown = [ax for ax in pairs.axes if ax.get_visible()]
    assert len(shown) == 12 * 13 // 2                                   # every parameter, lower half
    assert [ax.get_xlabel() for ax in shown[-12:]] == [plots.parameter_label(n) for n in names]
    png = calibration_plots.save_figure(pairs, tmp_path / "pairs", colours=calibration_plots.PAIRS_COLOURS)[0]
    assert png.stat().st_size < 500_000
    marginals = calibration_plots.marginals_figure(posterior, free, {}, {name: 3.0 for name in names})
    assert marginals.axes[0].get_title() == "Rally gain"
    assert "default when run" in [t.get_text() for t in marginals.axes[0].get_legend().get_texts()]
    plt.close(marginals)


def test_every_docs_figure_is_under_500_kb():
    """The figures the README and docs show stay small enough for a repository and a journal."""
    from pathlib import Path
    figures = sorted((Path(__file__).resolve().parent.parent / "docs" / "figures").glob("*.png"))
    assert len(figures) >= 8
    assert {path.name: path.stat().st_size for path in figures if path.stat().st_size >= 500_000} == {}


def test_the_mu_sigma_labels_do_not_overlap_and_stay_in_their_panel():
    """Parameters with nearly the same mu* and sigma get labels moved apart (the words of
    no two overlap), and a label near the right edge ends at its point."""
    from matplotlib.text import Text
    names = ["trust_gain", "memory", "rally_gain", "w_legitimacy", "w_sovereignty", "mandate_cost"]
    table = pd.DataFrame({"output": ["SCO:cohesion@2018-10"] * 6, "parameter": names, "index": ["mu_star"] * 6,
                          "value": [0.0100, 0.0101, 0.0102, 0.0099, 0.0100, 0.05], "conf": [0.001] * 6,
                          "sigma": [0.0010, 0.0011, 0.0010, 0.0012, 0.0011, 0.04], "seed_variance_share": [0.01] * 6})
    fig = plots.sensitivity_figure(table, "morris")
    fig.draw_without_rendering()
    below = fig.axes[1]
    boxes = [Text.get_window_extent(text) for text in below.texts]
    assert len(boxes) == 6 and not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    frame = below.get_window_extent()
    assert all(frame.x0 <= box.x0 and box.x1 <= frame.x1 for box in boxes)
    plt.close(fig)
