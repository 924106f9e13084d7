"""Figures, in one style: a colour-blind-safe palette, labelled axes and dates, PNG and SVG.

Every function takes the project's tables (the long time series, decision rows, comparison
or sensitivity tables, a sweep's runs) and returns a matplotlib `Figure`; `save_figure`
writes it as PNG and SVG, the same bytes each time the same figure is saved. Ensemble bands
are quantiles over runs: the median line, a 50% band and a 90% band. Time axes carry the
events in a strip above the panel, in rows so no two labels overlap; every legend uses
`LEGEND_FONT`.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from pathlib import Path

import matplotlib
import matplotlib.dates
import matplotlib.patches
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text
from matplotlib.textpath import TextPath
from matplotlib.ticker import MaxNLocator

from sim.core.institutions import GOOD_STANDING, STATUS_NAMES
from sim.analysis.sensitivity import output_values, parse_output
from sim.io.store import write_if_changed
from sim.core.observables import COMPONENTS
from sim.core.params import Params

#: Okabe-Ito colour-blind-safe palette.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
#: Colours of membership statuses: none, active, hedging, suspended, withdrawn, observer.
STATUS_COLOURS = ("#FFFFFF", "#009E73", "#F0E442", "#E69F00", "#D55E00", "#56B4E9")
#: Fixed salt of the ids matplotlib gives SVG elements (random by default).
SVG_HASHSALT = "protective-integration"
#: Stamps left out of saved files: SVG's creation date, PNG's software version.
NO_STAMPS = {"png": {"Software": None}, "svg": {"Date": None}}
MARKED_KINDS = ("separatism_support", "normative_pressure", "charter_revision", "outside_channel",
                "accession", "colour_revolution")
#: Font size of every legend.
LEGEND_FONT = "small"
#: Font size (points) of event labels.
EVENT_FONT = 7.0
#: Line styles of the scenarios compared with a reference (drawn as a wide black line).
DASHES = ("--", "-.", ":", (0, (6, 2, 1, 2)), (0, (1, 1)), (0, (8, 3)))
REFERENCE_WIDTH = 3.5
#: A parameter whose index (with its interval) stays below this share of the largest is inert.
INERT_SHARE = 0.01
#: A band narrower than this share of its axis' range hides under its median line.
HIDDEN_BAND = 0.012
#: Edge width of a trust-network edge at no trust and at full trust.
EDGE_WIDTHS = (1.0, 7.0)

#: An event to mark: date, label and the institution it concerns ("" for an event of every institution).
Marker = tuple[pd.Timestamp, str, str]
#: An event as drawn: date, label, a note on which scenarios have it ("" if all), colour, institution.
EventMark = tuple[pd.Timestamp, str, str, str, str]


def quarter_label(date) -> str:
    """A date as its quarter, e.g. `2014Q1`."""
    stamp = pd.Timestamp(date)
    return f"{stamp.year}Q{stamp.quarter}"


def quarter_start(month: str) -> pd.Timestamp:
    """The first day of the quarter holding a month written YYYY-MM (where its values are)."""
    return pd.Period(month, "Q").start_time


def output_label(text: str) -> str:
    """An output written ENTITY:metric@YYYY-MM in words: `SCO cohesion, 2018Q4`,
    `UZB engagement in CSTO, 2014Q1`, `KAZ threat from RUS, 2014Q1`."""
    entity, metric, month = parse_output(text)
    return f"{entity} {metric_label(metric)}, {quarter_label(quarter_start(month))}"


def metric_label(metric: str) -> str:
    """A metric name in words: `engagement.CSTO` -> `engagement in CSTO`, `trust_in.KAZ` -> `trust in KAZ`."""
    name, _, target = metric.partition(".")
    words = name.replace("_", " ")
    if not target:
        return words
    return f"{words} {target}" if words.endswith((" in", " from")) else f"{words} in {target}"


#: The parameters' fields (their metadata: range, source), by name.
PARAM_FIELDS = {f.name: f for f in dataclass_fields(Params)}


#: Parameters whose code name is not the project's word for them (the README's glossary).
PARAMETER_WORDS = {"w_legitimacy": "legitimation weight"}


def parameter_label(name: str) -> str:
    """A parameter's code name in words: `w_sovereignty` -> `Sovereignty weight`, `trust_gain` -> `Trust gain`,
    `w_legitimacy` -> `Legitimation weight` (`PARAMETER_WORDS`)."""
    words = (name.removeprefix("w_") + " weight" if name.startswith("w_") else name).replace("_", " ")
    words = PARAMETER_WORDS.get(name, words)
    return words[:1].upper() + words[1:]


def new_figure(rows: int = 1, cols: int = 1, size: tuple[float, float] = (8, 4.5),
               **kwargs) -> tuple[Figure, list[list]]:
    """A figure in the project's style with a 2-D list of axes."""
    fig, axes = plt.subplots(rows, cols, figsize=size, layout="constrained", squeeze=False, **kwargs)
    for ax in axes.ravel():
        ax.grid(alpha=0.3)
    return fig, [list(row) for row in axes]


def save_figure(fig: Figure, path: str | Path, colours: int | None = None) -> list[Path]:
    """Write a figure as PNG and SVG next to each other and close it; with `colours`, the
    PNG keeps a palette of that many colours (a figure of thousands of antialiased points
    is several times smaller so, and looks the same).

    The bytes depend on the figure alone (see `render`); a file that already holds them is
    left untouched, any other is replaced atomically.
    """
    base = Path(path).with_suffix("")
    png = render(fig, "png")
    if colours is not None:
        from PIL import Image
        buffer = io.BytesIO()
        Image.open(io.BytesIO(png)).convert("RGB").quantize(colours).save(buffer, format="png", optimize=True)
        png = buffer.getvalue()
    written = [write_if_changed(base.with_suffix(".png"), png), write_if_changed(base.with_suffix(".svg"), render(fig, "svg"))]
    plt.close(fig)
    return written


def render(fig: Figure, fmt: str) -> bytes:
    """A figure as PNG or SVG bytes, deterministic: SVG ids from a fixed salt, no date or
    software stamp."""
    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": SVG_HASHSALT}):
        fig.savefig(buffer, format=fmt, dpi=150, metadata=NO_STAMPS[fmt])
    return buffer.getvalue()


def ensemble_band(series: pd.DataFrame, entity: str, metric: str,
                  quantiles: tuple[float, float] = (0.05, 0.95)) -> pd.DataFrame:
    """Median and a quantile band over runs of one (entity, metric), by date; missing
    values (an institution before its founding) are skipped, and a date where every run
    is missing has NaN."""
    rows = series[(series["entity"] == entity) & (series["metric"] == metric)]
    grouped = rows.groupby("date", observed=True)["value"]
    return pd.DataFrame({"median": grouped.median(), "low": grouped.quantile(quantiles[0]),
                         "high": grouped.quantile(quantiles[1])})


def _bands(ax: Axes, series: pd.DataFrame, entity: str, metric: str, colour: str, label: str,
           outline: bool = False, line_colour: str | None = None, **line) -> float:
    """Median line with 50% and 90% bands from the first date with a value (an
    institution's founding): translucent fills, or with `outline` a hatched 50% band and
    an outlined 90% band (so they stay apart from another ensemble's fills beneath);
    `line_colour` (default `colour`) and `line` style the median. Returns the lowest
    plotted value."""
    wide = ensemble_band(series, entity, metric)
    inner = ensemble_band(series, entity, metric, (0.25, 0.75))
    keep = wide["median"].notna()
    wide, inner = wide[keep], inner[keep]
    if wide.empty:
        return 1.0
    if outline:
        ax.fill_between(inner.index, inner["low"], inner["high"], facecolor="none", edgecolor=colour,
                        hatch="////", linewidth=0, zorder=2.7)
        for edge in ("low", "high"):
            ax.plot(wide.index, wide[edge], color=colour, linewidth=0.7, zorder=2.7)
    else:
        ax.fill_between(wide.index, wide["low"], wide["high"], color=colour, alpha=0.18, linewidth=0)
        ax.fill_between(inner.index, inner["low"], inner["high"], color=colour, alpha=0.35, linewidth=0)
    ax.plot(wide.index, wide["median"], color=line_colour or colour, label=label, **{"linewidth": 2, **line})
    return float(wide["low"].min())


def event_markers(scenario) -> list[Marker]:
    """(date, label, institution) of each event worth marking on a time axis: shocks,
    revisions and accessions (not as an observer), in the scenario's order; the institution
    is the one an accession or a revision concerns, "" for a shock every panel shows."""
    codes = {*scenario.cast.codes, *(spec.code for spec in scenario.institutions)}
    return [(pd.Timestamp(scenario.dates[event.step]), event_label(event.key, codes),
             str(getattr(event, "institution", "") or ""))
            for event in scenario.events
            if event.kind in MARKED_KINDS and not getattr(event, "as_observer", False)]


def event_label(key: str, codes: set[str]) -> str:
    """An event's key as a label: words, state and institution codes in capitals, the
    first word capitalised (`csto_revision` -> `CSTO revision`, `maidan` -> `Maidan`)."""
    words = [word.upper() if word.upper() in codes else word for word in key.split("_")]
    return " ".join([words[0][:1].upper() + words[0][1:], *words[1:]])


def axis_floor(low: float, step: float = 0.05) -> float:
    """The lower end of a 0-1 axis: a little below `low`, on a multiple of `step` (so the
    axis starts at a labelled tick), never below 0."""
    return max(0.0, float(np.floor((low - 0.02) / step) * step))


def band_handles() -> list[matplotlib.patches.Patch]:
    """Legend entries for the shaded bands (50% and 90% of runs), beside the median lines."""
    return [matplotlib.patches.Patch(color="grey", alpha=0.53, label="50% of runs"),
            matplotlib.patches.Patch(color="grey", alpha=0.18, label="90% of runs")]


def scenario_markers(markers: dict[str, list[Marker]]) -> list[EventMark]:
    """The markers of several scenarios, each event once: one every scenario has is grey
    with no note; one only some have is noted relative to the first scenario (the
    reference), `(not in b, c)` if the reference has it, else `(only in a)`, and takes the
    colour of its scenario if only one has it."""
    names = list(markers)
    colours = scenario_colours(names)
    owners: dict[Marker, list[str]] = {}
    for name, events in markers.items():
        for marker in events:
            owners.setdefault(marker, []).append(name)
    drawn = []
    for (date, label, institution), have in owners.items():
        missing = [name for name in names if name not in have]
        note = "" if not missing else (f"(not in {', '.join(missing)})" if names[0] in have
                                       else f"(only in {', '.join(have)})")
        drawn.append((date, label, note, colours[have[0]] if len(have) == 1 < len(names) else "dimgrey", institution))
    return drawn


def scenario_colours(names: list[str]) -> dict[str, str]:
    """The colour of each scenario: black for the first (the reference), then the palette."""
    return {name: "#000000" if i == 0 else PALETTE[(i - 1) % (len(PALETTE) - 1)] for i, name in enumerate(names)}


def _timeline_figure(cols: int, size: tuple[float, float], strip: bool) -> tuple[Figure, list[Axes], list[Axes]]:
    """A figure of `cols` time panels (sharing y) with, if `strip`, an event strip above each."""
    rows = 2 if strip else 1
    fig, axes = plt.subplots(rows, cols, figsize=size, layout="constrained", squeeze=False,
                             sharex="col", **({"height_ratios": (1, 5)} if strip else {}))
    mains = list(axes[-1])
    for ax in mains:
        ax.grid(alpha=0.3)
    for ax in mains[1:]:
        ax.sharey(mains[0])
    for ax in axes[0] if strip else []:
        ax.set_axis_off()
    return fig, list(axes[0]) if strip else [], mains


def _label_width(text: str) -> float:
    """Width in points of an event label."""
    return TextPath((0, 0), text, size=EVENT_FONT).get_extents().width + 2 * EVENT_FONT / 3


def _label_rows(fig: Figure, strip: Axes, labels: list[tuple[float, str, str]]) -> list[tuple[float, str, str, int, str]]:
    """Place labels (x, text, colour) in rows: each starts at its date, or ends there when
    it would run past the axis or across the date of a label that ends there; no two in a
    row overlap, and a label sits above every other event whose date its text spans, so
    no label runs across another event's line."""
    fig.draw_without_rendering()
    left, right = strip.get_xlim()
    per_point = (right - left) / (strip.get_window_extent().width * 72 / fig.dpi)
    pad = EVENT_FONT * per_point / 2
    ordered = sorted(labels)
    anchors = [x for x, _, _ in ordered]
    widths = [_label_width(text) * per_point for _, text, _ in ordered]
    ending = [x + width > right for x, width in zip(anchors, widths)]
    spans = _spans(anchors, widths, ending, pad)
    for i in range(len(ordered) - 1, -1, -1):   # from the right: a flip can make one to its left flip too
        crosses = any(ending[j] and spans[i][0] < anchors[j] <= spans[i][1] for j in range(len(ordered)))
        if not ending[i] and crosses and anchors[i] - widths[i] >= left:
            ending[i] = True
            spans = _spans(anchors, widths, ending, pad)
    rows = _stacked_rows(spans, anchors)
    return [(x, text, colour, row, "right" if end else "left")
            for (x, text, colour), row, end in zip(ordered, rows, ending)]


def _spans(anchors: list[float], widths: list[float], ending: list[bool], pad: float) -> list[tuple[float, float]]:
    """The x-range of each label, with `pad` either side: ending at its anchor or starting there."""
    return [(x - width - pad, x + pad) if end else (x - pad, x + width + pad)
            for x, width, end in zip(anchors, widths, ending)]


def _stacked_rows(spans: list[tuple[float, float]], anchors: list[float]) -> list[int]:
    """Rows of labels: each label's row is above the row of every other label whose anchor
    lies within its span, and labels sharing a row do not overlap; repeated until nothing
    moves. If two labels span each other's anchors (which cannot both hold), the rows only
    keep the labels apart."""
    rows = [0] * len(spans)
    for _ in range(len(spans) + 1):
        moved = False
        for i, (start, end) in enumerate(spans):
            under = [rows[j] for j, x in enumerate(anchors) if j != i and start <= x <= end]
            row = _free_row(spans, rows, i, 1 + max(under, default=-1))
            moved |= row != rows[i]
            rows[i] = row
        if not moved:
            return rows
    rows = [-1] * len(spans)
    for i in range(len(spans)):
        rows[i] = _free_row(spans, rows, i, 0)
    return rows


def _free_row(spans: list[tuple[float, float]], rows: list[int], i: int, row: int) -> int:
    """The lowest row from `row` up in which label `i` overlaps no other label."""
    start, end = spans[i]
    while any(rows[j] == row and spans[j][0] < end and start < spans[j][1] for j in range(len(spans)) if j != i):
        row += 1
    return row


def _by_date(events: list[EventMark]) -> list[tuple[float, str, str]]:
    """(x, text, colour) labels: the events of one date with the same note and colour
    joined into one label (`joined_labels`) (x as a matplotlib date number), the note at its end."""
    joined: dict[tuple[pd.Timestamp, str, str], list[str]] = {}
    for date, label, note, colour, _ in events:
        joined.setdefault((date, note, colour), []).append(label)
    return [(float(matplotlib.dates.date2num(date)), " ".join(filter(None, [joined_labels(labels), note])), colour)
            for (date, note, colour), labels in sorted(joined.items())]


def joined_labels(labels: list[str]) -> str:
    """Labels of one date as one: `India accession`, `Pakistan accession` ->
    `India / Pakistan accession` (a shared last word once), else joined with ` / `."""
    tails = {label.rpartition(" ")[2] for label in labels}
    if len(labels) > 1 and len(tails) == 1 and all(" " in label for label in labels):
        return " / ".join(label.rpartition(" ")[0] for label in labels) + " " + tails.pop()
    return " / ".join(labels)


def _mark_events(fig: Figure, strips: list[Axes], mains: list[Axes], events: list[EventMark],
                 institutions: list[str] | None = None) -> None:
    """A dotted line at each event date on every panel, and its label in the strip above,
    in as many rows as the labels need to stay apart; with `institutions` (one per panel),
    an event of one institution (an accession, a revision) only on that one's panel."""
    shown = [[e for e in events if not institutions or e[4] in ("", institutions[i])] for i in range(len(strips))]
    placements = [_label_rows(fig, strip, _by_date(mine)) for strip, mine in zip(strips, shown)]
    rows = max((row + 1 for placed in placements for *_, row, _ in placed), default=1)
    for strip, main, placed in zip(strips, mains, placements):
        for x, text, colour, row, align in placed:
            main.axvline(x, color=colour, linewidth=0.8, linestyle=":")
            strip.plot([x, x], [-0.6, row], color=colour, linewidth=0.8, linestyle=":")
            strip.text(x, row, text, fontsize=EVENT_FONT, color=colour, ha=align, va="center", in_layout=False,
                       bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5})
        strip.set_ylim(-0.6, rows - 0.4)
    height = fig.get_figheight()
    line = 1.9 * EVENT_FONT / 72
    strips[0].get_gridspec().set_height_ratios((rows * line, height - rows * line))


def _scenario_lines(ax: Axes, series: dict[str, pd.DataFrame], entity: str, metric: str) -> float:
    """Each scenario's median and bands; with several, the first (the reference) a wide
    black line under the others, each other a narrower dashed coloured line on top, so
    coinciding lines stay visible. Returns the lowest plotted value."""
    colours = scenario_colours(list(series))
    low = 1.0
    for i, (name, frame) in enumerate(series.items()):
        if len(series) == 1:
            style, label = {}, name
        elif i == 0:
            style, label = {"linewidth": REFERENCE_WIDTH, "zorder": 2.5}, f"{name} (reference)"
        else:
            style = {"linewidth": 1.6, "zorder": 3, "linestyle": DASHES[(i - 1) % len(DASHES)]}
            label = name
        low = min(low, _bands(ax, frame, entity, metric, colours[name], label, **style))
    return low


def trajectories_figure(series: dict[str, pd.DataFrame], institutions: list[str],
                        metric: str = "cohesion", title: str = "",
                        events: dict[str, list[Marker]] | None = None,
                        titles: dict[str, str] | None = None) -> Figure:
    """A scenario's metric, one panel per institution (median with 50% and 90% bands,
    events in a strip above); with several scenarios the first is the reference and each
    other gets a row of panels of its own against it (`counterfactual_rows`). `events`
    holds each scenario's own markers (`event_markers`); `titles` names the scenarios in
    words (default: their names)."""
    if len(series) > 1:
        return counterfactual_rows(series, institutions, metric, events or {}, titles or {})
    fig, strips, mains = _timeline_figure(len(institutions), (6.5 * len(institutions), 5.2), bool(events))
    runs = next(iter(series.values()))["run"].nunique()
    low = min([_scenario_lines(ax, series, inst, metric) for ax, inst in zip(mains, institutions)] + [1.0])
    mains[0].set_ylim(axis_floor(low), 1.0)
    for ax, top, inst in zip(mains, strips or mains, institutions):
        top.set_title(f"{inst} {metric}{' - ' + title if title else ''} ({runs} runs)")
        ax.set_xlabel("Date (quarter)")
        ax.set_ylabel(f"{metric.capitalize()} (0-1; median, 50% and 90% bands)")
    mains[0].legend(loc="upper left", fontsize=LEGEND_FONT)
    if events:
        _mark_events(fig, strips, mains, scenario_markers(events), institutions)
    return fig


def counterfactual_rows(series: dict[str, pd.DataFrame], institutions: list[str], metric: str,
                        events: dict[str, list[Marker]], titles: dict[str, str]) -> Figure:
    """One row per counterfactual, one column per institution, all on one y-scale. Each
    panel holds two ensembles only: the reference (black median, grey bands) under the
    counterfactual (its row's colour: a dashed median on top, the 50% band hatched, the
    90% band outlined), so bands never mix into one colour. The events the two do not
    share and that concern the panel's institution are marked and named in the panel; the
    shared ones are faint unnamed lines (the history figure names them)."""
    names = list(series)
    reference, others = names[0], names[1:]
    colours = scenario_colours(names)
    fig, axes = new_figure(len(others), len(institutions), size=(6.5 * len(institutions), 0.9 + 3.1 * len(others)),
                           sharex=True, sharey=True)
    low = 1.0
    for row, name in enumerate(others):
        for col, inst in enumerate(institutions):
            ax = axes[row][col]
            low = min(low, _bands(ax, series[reference], inst, metric, "grey", reference,
                                  line_colour="#000000", linewidth=REFERENCE_WIDTH - 1, zorder=2.5),
                      _bands(ax, series[name], inst, metric, colours[name], name, outline=True,
                             linewidth=1.6, linestyle="--", zorder=3))
            ax.set_title(f"{inst}: {titles.get(name, name)}", fontsize="medium", wrap=True)
            _pair_events(ax, events.get(reference, []), events.get(name, []), inst, colours[name])
        axes[row][0].set_ylabel(f"{metric.capitalize()} (0-1)")
    for ax in axes[-1]:
        ax.set_xlabel("Date (quarter)")
    axes[0][0].set_ylim(axis_floor(low), 1.0)
    runs = series[reference]["run"].nunique()
    fig.suptitle(f"{metric.capitalize()}: each counterfactual against {titles.get(reference, reference)} "
                 f"({runs} runs each)", fontsize="large")
    fig.legend(handles=_pair_handles(titles.get(reference, reference)), loc="outside lower center", ncols=3,
               fontsize=LEGEND_FONT)
    return fig


def _pair_handles(reference: str) -> list:
    """Legend entries of `counterfactual_rows`: the reference's line and bands, and the
    counterfactual's (drawn in dark grey; each row uses its own colour)."""
    dark = "#444444"
    return [Line2D([], [], color="#000000", linewidth=REFERENCE_WIDTH - 1, label=f"{reference} (reference): median"),
            matplotlib.patches.Patch(color="grey", alpha=0.53, label="reference: 50% of runs"),
            matplotlib.patches.Patch(color="grey", alpha=0.18, label="reference: 90% of runs"),
            Line2D([], [], color=dark, linewidth=1.6, linestyle="--", label="counterfactual (row colour): median"),
            matplotlib.patches.Patch(facecolor="none", edgecolor=dark, hatch="////", label="counterfactual: 50% of runs"),
            matplotlib.patches.Patch(facecolor="none", edgecolor=dark, label="counterfactual: 90% of runs")]


def _pair_events(ax: Axes, reference: list[Marker], other: list[Marker], institution: str, colour: str) -> None:
    """Events of the panel's institution (or of all): a faint line where both scenarios
    have one, a line and a label where only one does, the label saying which."""
    mine = [set(m for m in markers if m[2] in ("", institution)) for markers in (reference, other)]
    for date in sorted({m[0] for m in mine[0] & mine[1]}):
        ax.axvline(date, color="lightgrey", linewidth=0.8, linestyle=":", zorder=1)
    only = [(m, "reference only", "#000000") for m in sorted(mine[0] - mine[1])]
    only += [(m, "this counterfactual only", colour) for m in sorted(mine[1] - mine[0])]
    for line, ((date, label, _), note, tint) in enumerate(only):
        ax.axvline(date, color=tint, linewidth=1.0, linestyle=":", zorder=1)
        right = matplotlib.dates.date2num(date) > np.mean(ax.get_xlim())
        ax.text(date, 0.96 - 0.09 * line, f"{label} ({note}) ", transform=ax.get_xaxis_transform(),
                ha="right" if right else "left", va="top", fontsize=EVENT_FONT + 0.5, color=tint,
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 0.5})


def cohesion_figure(series: pd.DataFrame, institutions: list[str], title: str = "Cohesion",
                    events: list[Marker] | None = None) -> Figure:
    """The main job's figure: all institutions' cohesion in one panel, events marked; an
    institution whose runs agree so closely that its bands hide under its line says so in
    the legend (`hidden_band_note`)."""
    fig, strips, mains = _timeline_figure(1, (9, 5.6), bool(events))
    ax = mains[0]
    low = min([_bands(ax, series, code, "cohesion", colour, code)
               for colour, code in zip(PALETTE, institutions)] + [1.0])
    ax.set_ylim(axis_floor(low), 1.0)
    for line, code in zip(ax.get_lines(), institutions):
        line.set_label(code + hidden_band_note(series, code, "cohesion", 1.0 - axis_floor(low)))
    ax.set_xlabel("Date (quarter)")
    ax.set_ylabel("Cohesion index (0-1)")
    (strips or mains)[0].set_title(f"{title} ({series['run'].nunique()} runs; median, 50% and 90% bands)")
    lines, _ = ax.get_legend_handles_labels()
    notes = any(" " in line.get_label() for line in lines)
    ax.legend(handles=[*lines, *band_handles()], loc="upper left", ncols=2 if notes else len(institutions) + 2,
              fontsize=LEGEND_FONT)
    if events:
        _mark_events(fig, strips, mains, [(date, label, "", "dimgrey", inst) for date, label, inst in events])
    return fig


def hidden_band_note(series: pd.DataFrame, entity: str, metric: str, span: float) -> str:
    """` (all runs within 0.002: bands under the line)` when the 90% band is never wider
    than `HIDDEN_BAND` of the axis' `span` (about a median line's width), else ``."""
    band = ensemble_band(series, entity, metric)
    width = float((band["high"] - band["low"]).max())
    return f" (90% of runs within {width:.3f}: bands under the line)" if width < HIDDEN_BAND * span else ""


def components_figure(series: pd.DataFrame, institutions: list[str]) -> Figure:
    """Small multiples: cohesion and its components (rows) for each institution (columns),
    all on one y-scale (from just below the lowest band to 1)."""
    fig, axes = new_figure(len(COMPONENTS), len(institutions),
                           size=(5.5 * len(institutions), 2.4 * len(COMPONENTS)), sharex=True, sharey=True)
    low = 1.0
    for col, inst in enumerate(institutions):
        for row, metric in enumerate(COMPONENTS):
            ax = axes[row][col]
            low = min(low, _bands(ax, series, inst, metric, PALETTE[row], metric))
            ax.set_ylabel(f"{metric} (0-1)")
            if row == 0:
                ax.set_title(f"{inst} ({series['run'].nunique()} runs; median, 50% and 90% bands)")
            if row == len(COMPONENTS) - 1:
                ax.set_xlabel("Date (quarter)")
    axes[0][0].set_ylim(axis_floor(low), 1.0)   # one scale for all: a small move looks small
    return fig


def _members(series: pd.DataFrame, institution: str, date: pd.Timestamp) -> list[str]:
    rows = series[(series["metric"] == f"status.{institution}") & (series["date"] == date)]
    good = rows[rows["value"].isin(GOOD_STANDING)]
    return sorted(good["entity"].astype(str).unique())


def _trust_matrix(series: pd.DataFrame, members: list[str], date: pd.Timestamp) -> np.ndarray:
    """Mean trust over runs of each member (row) in each other member (column); the
    diagonal (a state's trust in itself) is missing."""
    rows = series[(series["date"] == date) & series["metric"].astype(str).str.startswith("trust_in.")]
    mean = rows.groupby(["entity", "metric"], observed=True)["value"].mean()
    return np.array([[mean.get((a, f"trust_in.{b}"), np.nan) if a != b else np.nan for b in members]
                     for a in members], dtype=float).reshape(len(members), len(members))


def trust_heatmap(series: pd.DataFrame, institution: str, dates: list[str]) -> Figure:
    """Mean trust (over runs) among an institution's members at chosen dates."""
    fig, axes = new_figure(1, len(dates), size=(4.6 * len(dates), 4.7))
    cmap = matplotlib.colormaps["viridis"].with_extremes(bad="#DDDDDD")
    image = None
    for ax, text in zip(axes[0], dates):
        date = quarter_start(text)
        members = _members(series, institution, date)
        image = ax.imshow(_trust_matrix(series, members, date), vmin=0, vmax=1, cmap=cmap)
        ax.set_xticks(range(len(members)), members, rotation=90)
        ax.set_yticks(range(len(members)), members)
        ax.set_xlabel("Trusted state")
        ax.set_ylabel("Trusting state")
        ax.set_title(f"{institution} trust, {quarter_label(date)}")
        ax.grid(False)
    if image is not None:
        fig.colorbar(image, ax=axes[0], label="Trust (0-1)", shrink=0.8)
    fig.suptitle(f"Mean trust over {series['run'].nunique()} runs among members in good standing "
                 "(row: trusting state; grey diagonal: none)")
    return fig


def _edge_width(mutual: float) -> float:
    thin, thick = EDGE_WIDTHS
    return thin + (thick - thin) * mutual


def _edge_alpha(mutual: float) -> float:
    return 0.25 + 0.65 * mutual


def _circle(states: list[str]) -> dict[str, tuple[float, float]]:
    """Fixed places of states on the unit circle, in the given order from the top, clockwise."""
    angle = np.pi / 2 - np.linspace(0, 2 * np.pi, len(states), endpoint=False)
    return {state: (float(np.cos(a)), float(np.sin(a))) for state, a in zip(states, angle)}


def trust_network(series: pd.DataFrame, institution: str, dates: list[str], threshold: float = 0.6) -> Figure:
    """Members on a circle, each state in the same place at every date (a state that is not
    a member in good standing at a date is a hollow grey node); an edge between every two
    members, its width and opacity growing with their mutual trust (mean of both
    directions, mean over runs), blue at or above `threshold` and grey below (legend)."""
    fig, axes = new_figure(1, len(dates), size=(4.6 * len(dates), 5.4))
    days = [quarter_start(text) for text in dates]
    members = [_members(series, institution, date) for date in days]
    places = _circle(sorted(set().union(*members)))
    for ax, date, present in zip(axes[0], days, members):
        matrix = _trust_matrix(series, present, date)
        for i, a in enumerate(present):
            for j in range(i + 1, len(present)):
                mutual = float(np.nanmean([matrix[i, j], matrix[j, i]]))
                (x0, y0), (x1, y1) = places[a], places[present[j]]
                ax.plot([x0, x1], [y0, y1], color=PALETTE[0] if mutual >= threshold else "grey",
                        linewidth=_edge_width(mutual), alpha=_edge_alpha(mutual), solid_capstyle="round")
        _network_nodes(ax, places, set(present))
        ax.set_title(f"{institution} trust network, {quarter_label(date)}")
        ax.set_axis_off()
        ax.set_xlim(-1.5, 1.5)
        ax.set_ylim(-1.45, 1.45)
        ax.set_aspect("equal")
    fig.legend(handles=_network_handles(threshold), loc="outside lower center", ncols=3, fontsize=LEGEND_FONT,
               title_fontsize=LEGEND_FONT,
               title=f"Edge: mutual trust, mean over {series['run'].nunique()} runs (wider and darker: more trust)")
    return fig


def _network_nodes(ax: Axes, places: dict[str, tuple[float, float]], present: set[str]) -> None:
    """Every state's node in its fixed place (filled if a member at the panel's date, hollow
    and grey if not) and its code just outside the circle."""
    for state, (x, y) in places.items():
        member = state in present
        ax.scatter([x], [y], s=110, zorder=3, facecolor=PALETTE[4] if member else "white",
                   edgecolor="black" if member else "grey", linewidth=0.8)
        ax.text(1.2 * x, 1.2 * y, state, ha="center", va="center", fontsize=8, zorder=4,
                color="black" if member else "grey")


def _network_handles(threshold: float) -> list:
    """Legend entries: edges at a few trust levels, and the nodes."""
    levels = [0.2, threshold, 0.8, 1.0] if threshold > 0.2 else [threshold, 0.6, 1.0]
    return [*(Line2D([], [], color=PALETTE[0] if v >= threshold else "grey", alpha=_edge_alpha(v),
                     linewidth=_edge_width(v), label=f"{v:.2f}" + (f" (grey: below {threshold:.2f})" if v < threshold else ""))
              for v in levels),
            Line2D([], [], linestyle="none", marker="o", markerfacecolor=PALETTE[4], markeredgecolor="black",
                   label="member in good standing"),
            Line2D([], [], linestyle="none", marker="o", markerfacecolor="white", markeredgecolor="grey",
                   label="not a member at this date")]


def status_shares(series: pd.DataFrame, institution: str) -> pd.DataFrame:
    """The share of runs in each membership status (columns: the status codes, in
    `STATUS_NAMES` order), by state and date (rows); states never anything but `none`
    in any run are left out."""
    rows = series[series["metric"] == f"status.{institution}"]
    counts = (rows.assign(value=rows["value"].astype(int))
              .groupby(["entity", "date", "value"], observed=True).size().unstack("value", fill_value=0)
              .reindex(columns=range(len(STATUS_NAMES)), fill_value=0))
    shares = counts.div(counts.sum(axis=1), axis=0)
    ever = shares.drop(columns=0).sum(axis=1).groupby(level="entity", observed=True).sum()
    return shares[shares.index.get_level_values("entity").isin(ever[ever > 0].index)]


def membership_timeline(series: pd.DataFrame, institutions: list[str]) -> Figure:
    """Membership status of every state over time, one strip chart per institution: each
    state's row is split, quarter by quarter, in proportion to the share of runs in each
    status (a row of one colour: every run agrees)."""
    fig, axes = new_figure(len(institutions), 1, size=(10, 3.4 * len(institutions)), sharex=True)
    runs = series["run"].nunique()
    for ax, inst in zip([row[0] for row in axes], institutions):
        shares = status_shares(series, inst)
        states = sorted(shares.index.get_level_values("entity").unique())
        for row, state in enumerate(states):
            _share_row(ax, shares.loc[state], row)
        ax.set_yticks(range(len(states)), states)
        ax.set_ylim(len(states) - 0.5, -0.5)
        ax.set_ylabel("State")
        ax.set_title(f"{inst} membership status: share of the {runs} runs in each status, by state and quarter")
        ax.grid(False)
        ax.xaxis_date()
    axes[-1][0].set_xlabel("Date (quarter)")
    handles = [matplotlib.patches.Patch(facecolor=c, edgecolor="grey" if i == 0 else c,
                                        label="not a member" if i == 0 else n)
               for i, (c, n) in enumerate(zip(STATUS_COLOURS, STATUS_NAMES))]
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize=LEGEND_FONT)
    return fig


def _share_row(ax: Axes, shares: pd.DataFrame, row: int) -> None:
    """One state's row: per quarter, a stack of the statuses' shares of runs (0.9 high in
    all), each status in its colour; `none` left white."""
    days = matplotlib.dates.date2num(shares.index)
    step = float(np.median(np.diff(days))) if len(days) > 1 else 91.0
    edges = np.append(days, days[-1] + step) - step / 2
    bottom = np.full(len(days), row - 0.45)
    for code in range(1, len(STATUS_NAMES)):
        top = bottom + 0.9 * shares[code].to_numpy()
        if shares[code].any():
            ax.fill_between(edges, np.append(bottom, bottom[-1]), np.append(top, top[-1]), step="post",
                            color=STATUS_COLOURS[code], linewidth=0)
        bottom = top


def _number(value: float) -> str:
    return f"{value:g}"


def phase_diagram(outcomes: pd.DataFrame, x: str, y: str, outcome: str) -> Figure:
    """An outcome (mean over seeds) over two swept parameters: on a grid, one cell centred on
    each sampled pair, ticks at the sampled values and each cell's mean written in it with
    its spread over seeds (standard deviation); a sampled design (not a grid) as coloured
    points."""
    fig, axes = new_figure(size=(6.5, 5.2))
    ax = axes[0][0]
    groups = outcomes.groupby([x, y])[outcome]
    means, spread = groups.mean().reset_index(), groups.std().reset_index()
    seeds = int(outcomes.groupby([x, y]).size().max())
    if means[x].nunique() * means[y].nunique() == len(means):
        grid = means.pivot(index=y, columns=x, values=outcome)
        image = ax.imshow(grid.to_numpy(), origin="lower", aspect="auto", cmap="viridis")
        ax.set_xticks(range(grid.shape[1]), [_number(v) for v in grid.columns])
        ax.set_yticks(range(grid.shape[0]), [_number(v) for v in grid.index])
        ax.grid(False)
        if grid.size <= 64:
            deviations = spread.pivot(index=y, columns=x, values=outcome).to_numpy() if seeds > 1 else None
            _write_cells(ax, grid.to_numpy(), image, deviations)
    else:
        image = ax.scatter(means[x], means[y], c=means[outcome], cmap="viridis", s=40)
    label = output_label(outcome)
    fig.colorbar(image, ax=ax, label=f"{label} (mean over {seeds} seeds)")
    ax.set_xlabel(parameter_axis_label(x))
    ax.set_ylabel(parameter_axis_label(y))
    spread_note = f"\n(cells: mean ± standard deviation over {seeds} seeds)" if seeds > 1 and ax.texts else ""
    ax.set_title(f"{label}, by {parameter_label(x).lower()} and {parameter_label(y).lower()}{spread_note}")
    return fig


def parameter_axis_label(name: str) -> str:
    """A parameter's axis label: its name in words, with its code name when the words do
    not spell it (`Sovereignty weight (w_sovereignty)`, but `Memory`) and its unit when its
    source states one (`Memory (quarters, half-life)`)."""
    words = parameter_label(name)
    source = str(PARAM_FIELDS[name].metadata.get("source", "")).lower() if name in PARAM_FIELDS else ""
    notes = [] if words.lower().replace(" ", "_") == name else [name]
    if "half-life" in source and "quarters" in source:
        notes.append("quarters, half-life")
    return f"{words} ({'; '.join(notes)})" if notes else words


def _write_cells(ax: Axes, values: np.ndarray, image, deviations: np.ndarray | None = None) -> None:
    """Each cell's value written in it (with its standard deviation over seeds below it,
    when given), dark on light cells and light on dark ones."""
    for (row, col), value in np.ndenumerate(values):
        light = sum(image.cmap(image.norm(value))[:3]) > 1.5
        text = f"{value:.3f}" if deviations is None else f"{value:.3f}\n±{deviations[row, col]:.3f}"
        ax.text(col, row, text, ha="center", va="center", fontsize=8,
                color="black" if light else "white")


def sensitivity_figure(table: pd.DataFrame, method: str) -> Figure:
    """Bar charts of sensitivity indices with their 95% intervals, one panel per output;
    a parameter whose index and interval stay below `INERT_SHARE` of the panel's largest
    is written as inert instead of drawn as an empty bar."""
    outputs = list(dict.fromkeys(table["output"]))
    morris = method == "morris"
    fig, axes = new_figure(2 if morris else 1, len(outputs), size=(4.8 * len(outputs), 9.0 if morris else 4.8))
    index = "mu_star" if morris else "ST"
    for column, text in enumerate(outputs):
        ax = axes[0][column]
        rows = table[(table["output"] == text) & (table["index"] == index)].sort_values("value")
        _sensitivity_panel(ax, rows)
        share = rows["seed_variance_share"].iloc[0] if len(rows) else float("nan")
        ax.set_title(f"{output_label(text)}\n(seeds alone: {_share_text(share)} of its variance)")
        ax.set_xlabel("Morris $\\mu^*$: mean |elementary effect|\n(output units)" if morris
                      else r"Sobol total-order index $S_T$ (share of variance)")
        ax.set_ylabel("Parameter")
        ax.xaxis.set_major_locator(MaxNLocator(4))
        if morris:
            _mu_sigma_panel(axes[1][column], rows)
    for ax in (axes[1] if morris else []):
        _spread_labels(ax)
    fig.suptitle("Bars: index; whiskers: 95% bootstrap interval" +
                 (r"; below: $\sigma$ against $\mu^*$ (high $\sigma$: non-linear or interacting)" if morris else ""))
    return fig


def _share_text(share: float) -> str:
    """A share as a percentage readable at any size: `12%`, `0.13%`, `< 0.01%`."""
    if pd.isna(share):
        return "n/a"
    if share >= 0.01 or share == 0:
        return f"{share:.0%}"
    return f"{share:.2%}" if share >= 1e-4 else "< 0.01%"


def _mu_sigma_panel(ax: Axes, rows: pd.DataFrame) -> None:
    """Morris's sigma against mu* for each parameter, the ones that matter named."""
    ax.scatter(rows["value"], rows["sigma"], color=PALETTE[0], s=18)
    top = rows["value"].max()
    reach = float(np.nanmax([rows["value"].max(), rows["sigma"].max(), 0.0])) * 1.15 or 1.0
    for name, mu, sigma in zip(rows["parameter"], rows["value"], rows["sigma"]):
        if top > 0 and mu >= INERT_SHARE * top:
            right = mu > 0.6 * reach   # a label near the right edge ends at its point, inside the panel
            ax.annotate(parameter_label(name), (mu, sigma), fontsize="x-small", xytext=(-3 if right else 3, 3),
                        textcoords="offset points", ha="right" if right else "left",
                        arrowprops={"arrowstyle": "-", "color": "grey", "linewidth": 0.5, "shrinkA": 0, "shrinkB": 2},
                        in_layout=False)
    ax.plot([0, reach], [0, reach], color="grey", linestyle="--", linewidth=0.8, label=r"$\sigma = \mu^*$")
    ax.set_xlim(0, reach)
    ax.set_ylim(0, reach)
    ax.xaxis.set_major_locator(MaxNLocator(4))
    ax.legend(loc="upper left", fontsize="small")
    ax.set_xlabel(r"$\mu^*$ (output units)")
    ax.set_ylabel(r"$\sigma$ of the elementary effects")


def _spread_labels(ax: Axes) -> None:
    """Move a panel's point labels up, from the lowest, each just clear of those already
    placed, so that no two overlap (a thin line joins a moved label to its point)."""
    fig = ax.get_figure()
    fig.draw_without_rendering()
    placed: list = []
    for text in sorted(ax.texts, key=lambda t: (t.xy[1], t.xy[0])):
        box = Text.get_window_extent(text)   # the words alone, not the line to the point
        shift = 0.0
        while any(box.translated(0, shift).overlaps(other) for other in placed):
            shift += box.height / 2
        x, y = text.get_position()
        text.set_position((x, y + shift * 72 / fig.dpi))
        placed.append(box.translated(0, shift))


def _sensitivity_panel(ax: Axes, rows: pd.DataFrame) -> None:
    """Bars with 95% intervals for the active parameters, a grey note for the inert ones."""
    upper = rows["value"] + rows["conf"].fillna(0.0)
    inert = (upper < INERT_SHARE * upper.max()).to_numpy() | (upper <= 0).to_numpy()
    position = np.arange(len(rows))
    active = ~inert
    ax.barh(position[active], rows["value"][active], xerr=rows["conf"][active], color=PALETTE[0], capsize=3)
    ax.set_yticks(position, [parameter_label(name) for name in rows["parameter"]])
    ax.set_ylim(-0.6, len(rows) - 0.4)
    for tick, quiet in zip(ax.get_yticklabels(), inert):
        tick.set_color("grey" if quiet else "black")
    for y in position[inert]:
        ax.text(0, y, f"  inert (< {INERT_SHARE:.0%} of the largest)", va="center", fontsize="small",
                color="grey", style="italic")


def comparison_figure(series: dict[str, pd.DataFrame], table: pd.DataFrame,
                      institutions: list[str]) -> Figure:
    """Top: the first compared metric of each scenario (median, bands; the first scenario
    the reference), the compared dates dashed (in the legend); below, one row per compared
    metric: each scenario minus the reference, mean paired difference with its 95% bootstrap
    interval, at the compared dates on the same time axis. A row shares its y-scale across
    institutions, so equal heights are equal differences."""
    metrics = list(dict.fromkeys(table["metric"]))
    fig, axes = new_figure(1 + len(metrics), len(institutions),
                           size=(6 * len(institutions), 3.8 + 2.4 * len(metrics)), sharex="col", sharey="row")
    colours = scenario_colours(list(series))
    reference = next(iter(series))
    for col, inst in enumerate(institutions):
        top = axes[0][col]
        _scenario_lines(top, series, inst, metrics[0])
        for number, date in enumerate(dict.fromkeys(table["date"])):
            top.axvline(quarter_start(date), color="grey", linewidth=0.8, linestyle="--",
                        label="compared dates" if number == 0 else None)
        top.set_title(f"{inst} {metrics[0]} ({next(iter(series.values()))['run'].nunique()} runs)")
        top.set_ylabel(f"{metrics[0]} (median, 50%/90% bands)")
        for row, metric in enumerate(metrics, start=1):
            rows = table[(table["institution"] == inst) & (table["metric"] == metric)]
            _difference_panel(axes[row][col], rows, colours)
            axes[row][col].set_ylabel(f"{metric}: difference\nfrom {reference}")
        axes[-1][col].set_xlabel("Date (quarter)")
    axes[0][0].legend(fontsize=LEGEND_FONT, loc="best")
    axes[1][0].legend(fontsize=LEGEND_FONT, title_fontsize=LEGEND_FONT,
                      title="Mean paired difference, 95% bootstrap interval")
    return fig


def _difference_panel(ax: Axes, rows: pd.DataFrame, colours: dict[str, str]) -> None:
    """Each scenario's differences at their dates (quarter starts), joined by a thin line,
    scenarios a few weeks apart so their intervals do not hide each other; plain numbers on
    the axis (no offset)."""
    scenarios = list(dict.fromkeys(rows["scenario"]))
    for i, name in enumerate(scenarios):
        group = rows[rows["scenario"] == name]
        shift = pd.Timedelta(days=40 * (i - (len(scenarios) - 1) / 2))
        x = [quarter_start(date) + shift for date in group["date"]]
        err = [group["difference"] - group["ci_low"], group["ci_high"] - group["difference"]]
        ax.errorbar(x, group["difference"], yerr=err, fmt="o-", linewidth=0.8, color=colours.get(name, PALETTE[0]),
                    capsize=4, label=f"{name} - {group['reference'].iloc[0]}")
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.ticklabel_format(axis="y", style="plain", useOffset=False)   # differences as they are, no 1e-5 offset


def quantiles(values: np.ndarray) -> tuple[float, float, float]:
    """(5%, median, 95%) of a sample, ignoring missing values (all NaN if every value is)."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    if values.size == 0:
        return (float("nan"),) * 3
    return tuple(float(v) for v in np.quantile(values, [0.05, 0.5, 0.95]))


@dataclass
class FigureInputs:
    """What the registry's figures draw from; a field left None is not available, and the
    figures needing it are skipped. `series` is a run's long time series (with its scenario,
    institutions, event markers, and the `dates` and `threshold` of the trust figures);
    `sweep_series` and `sweep_runs` a sweep's time series and runs, over its `swept`
    parameters; `sensitivity` a sensitivity table of `method`."""

    series: pd.DataFrame | None = None
    scenario: str = ""
    institutions: list[str] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)
    threshold: float = 0.6
    sweep_series: pd.DataFrame | None = None
    sweep_runs: pd.DataFrame | None = None
    swept: list[str] = field(default_factory=list)
    outcome: str = ""
    sensitivity: pd.DataFrame | None = None
    method: str = ""


@dataclass(frozen=True)
class FigureEntry:
    """A figure of the registry: the `FigureInputs` fields it `needs` (each not None and not
    empty), any further `condition` on them, and how it is drawn; a `per_institution` figure
    is drawn once per institution (`draw(inputs, institution)`), named `<name>_<institution>`."""

    needs: tuple[str, ...]
    draw: Callable[..., Figure]
    per_institution: bool = False
    condition: Callable[[FigureInputs], bool] | None = None

    def available(self, inputs: FigureInputs) -> bool:
        """Whether every input this figure needs is there (and meets its condition)."""
        return (all(_given(getattr(inputs, name)) for name in self.needs)
                and (self.condition is None or self.condition(inputs)))


def _given(value: object) -> bool:
    return value is not None and not (isinstance(value, (str, list)) and not value)


#: Every figure `task=plot` and the main job draw, by name (the file's stem), in drawing order.
FIGURES: dict[str, FigureEntry] = {
    "cohesion": FigureEntry(("series", "institutions"), lambda i: cohesion_figure(
        i.series, i.institutions, f"Cohesion, scenario '{i.scenario}'", i.markers)),
    "trajectories": FigureEntry(("series", "institutions"), lambda i: trajectories_figure(
        {i.scenario: i.series}, i.institutions, events={i.scenario: i.markers})),
    "components": FigureEntry(("series", "institutions"), lambda i: components_figure(i.series, i.institutions)),
    "membership_timeline": FigureEntry(("series", "institutions"),
                                       lambda i: membership_timeline(i.series, i.institutions)),
    "trust_heatmap": FigureEntry(("series", "institutions", "dates"),
                                 lambda i, institution: trust_heatmap(i.series, institution, i.dates),
                                 per_institution=True),
    "trust_network": FigureEntry(("series", "institutions", "dates"), lambda i, institution: trust_network(
        i.series, institution, i.dates, i.threshold), per_institution=True),
    "phase_diagram": FigureEntry(("sweep_series", "sweep_runs", "swept", "outcome"), lambda i: phase_diagram(
        output_values(i.sweep_series, [i.outcome]).merge(i.sweep_runs, on=["run", "point"]),
        i.swept[0], i.swept[1], i.outcome), condition=lambda i: len(i.swept) >= 2),
    "sensitivity": FigureEntry(("sensitivity", "method"), lambda i: sensitivity_figure(i.sensitivity, i.method)),
}


def draw_figures(inputs: FigureInputs, names: list[str] | None = None) -> dict[str, Figure]:
    """The figures of `names` (default: every registered one) whose inputs are available,
    by file stem."""
    figures: dict[str, Figure] = {}
    for name in names or list(FIGURES):
        entry = FIGURES[name]
        if not entry.available(inputs):
            continue
        if entry.per_institution:
            figures.update({f"{name}_{inst}": entry.draw(inputs, inst) for inst in inputs.institutions})
        else:
            figures[name] = entry.draw(inputs)
    return figures
