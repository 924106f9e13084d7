"""Regenerate docs/figures/trust_sco.png, trust_network_sco.png and membership.png: trust among
SCO members (matrix and network at three dates) and the membership strips, 20 seeds."""

from __future__ import annotations

from pathlib import Path

import matplotlib

import sim
from sim.app.config import resolve
from sim.runs.ensemble import run_seeds
from sim.app.plots import membership_timeline, save_figure, trust_heatmap, trust_network

matplotlib.use("Agg")
SEEDS = list(range(20))
DATES = ["2007-10", "2015-01", "2018-10"]
FIGURES = Path(__file__).resolve().parent.parent / "docs" / "figures"


def main() -> None:
    spec = resolve(sim.compose([]))
    series, _ = run_seeds(spec.scenario, spec.params, SEEDS)
    print(save_figure(trust_heatmap(series, "SCO", DATES), FIGURES / "trust_sco.png"))
    print(save_figure(trust_network(series, "SCO", DATES), FIGURES / "trust_network_sco.png"))
    print(save_figure(membership_timeline(series, ["SCO", "CSTO"]), FIGURES / "membership.png"))


if __name__ == "__main__":
    main()
