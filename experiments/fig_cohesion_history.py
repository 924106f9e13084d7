"""Regenerate docs/figures/cohesion_history.png: SCO and CSTO cohesion in the history, over
50 draws from the packaged posterior x 2 seeds (parameter and seed uncertainty)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

import sim
from sim.app.config import resolve
from sim.runs.ensemble import run_pairs
from sim.app.plots import cohesion_figure, event_markers, save_figure

matplotlib.use("Agg")

OUT = Path(__file__).resolve().parent.parent / "docs" / "figures" / "cohesion_history.png"


def main() -> None:
    spec = resolve(sim.compose(["posterior_draws=50"]))
    series, _ = run_pairs(spec.scenario, spec.runs(), progress=True)
    figure = cohesion_figure(series, ["SCO", "CSTO"], title="Cohesion, 2001-2018 history, posterior draws x seeds",
                             events=event_markers(spec.scenario))
    print(save_figure(figure, OUT))


if __name__ == "__main__":
    main()
