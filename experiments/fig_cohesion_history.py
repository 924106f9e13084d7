"""Regenerate docs/figures/cohesion_history.png: SCO and CSTO cohesion, history, 50 seeds."""

from __future__ import annotations

from pathlib import Path

import matplotlib

import sim
from sim.app.config import resolve
from sim.runs.ensemble import run_seeds
from sim.app.plots import cohesion_figure, event_markers, save_figure

matplotlib.use("Agg")

SEEDS = list(range(50))
OUT = Path(__file__).resolve().parent.parent / "docs" / "figures" / "cohesion_history.png"


def main() -> None:
    spec = resolve(sim.compose([]))
    series, _ = run_seeds(spec.scenario, spec.params, SEEDS, progress=True)
    figure = cohesion_figure(series, ["SCO", "CSTO"], title="Cohesion, 2001-2018 history",
                             events=event_markers(spec.scenario))
    print(save_figure(figure, OUT))


if __name__ == "__main__":
    main()
