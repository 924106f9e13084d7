"""Regenerate docs/figures/counterfactuals.png: history against three counterfactuals, 30 seeds.

Each counterfactual gets a row of panels of its own against the history, named in words by
its scenario's `description`."""

from __future__ import annotations

from pathlib import Path

import matplotlib

import sim
from sim.app.config import resolve
from sim.runs.ensemble import run_seeds
from sim.app.plots import event_markers, save_figure, trajectories_figure

matplotlib.use("Agg")
SEEDS = list(range(30))
SCENARIOS = ["history", "no_crimea", "no_georgia_recognition", "sco_enlarge_tm_mn"]
OUT = Path(__file__).resolve().parent.parent / "docs" / "figures" / "counterfactuals.png"


def main() -> None:
    series, markers, titles = {}, {}, {}
    for name in SCENARIOS:
        config = sim.compose([f"scenario={name}"])
        spec = resolve(config)
        series[name] = run_seeds(spec.scenario, spec.params, SEEDS)[0]
        markers[name] = event_markers(spec.scenario)
        titles[name] = config.scenario.description
    titles["history"] = "the 2001-2018 history"
    figure = trajectories_figure(series, ["SCO", "CSTO"], events=markers, titles=titles)
    print(save_figure(figure, OUT))


if __name__ == "__main__":
    main()
