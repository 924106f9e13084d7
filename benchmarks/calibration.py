"""Benchmark of a full calibration: prints one JSON object (wall-clock, this machine).

    python benchmarks/calibration.py                       # the default calibrate config
    python benchmarks/calibration.py calibrate.particles=100 calibrate.generations=3

Runs `task=calibrate`'s engine on the given overrides (default: configs/calibrate/default.yaml,
12 free parameters, all 12 targets) into a new folder under calibrations/ (or
`calibrate.dir=...`), then reports the model runs made (particles x seeds per particle x
scenarios the targets read), the wall-clock seconds, runs per second and the workers (also
written to the folder as benchmark.json, which experiments/calibration_report.py reads).
docs/CALIBRATION.md gives the figure from one run on the project's 2-core machine.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pandas as pd
from omegaconf import OmegaConf

import sim
from sim.analysis.calibration import calibrate, parse_calibration
from sim.app.config import resolve
from sim.io.store import write_json
from sim.analysis.validation import twin_scenarios


def main() -> None:
    spec = resolve(sim.compose(sys.argv[1:]))
    calibration = parse_calibration(OmegaConf.to_container(spec.config.calibrate, resolve=True))
    stamp = time.strftime("%Y%m%d-%H%M%S")
    folder = Path(calibration.dir) if calibration.dir else Path("calibrations") / f"bench-{stamp}"

    def load(name: str):
        return resolve(sim.compose([*sys.argv[1:], f"scenario={name}"])).scenario

    started = time.perf_counter()
    calibrate(calibration, twin_scenarios(spec.scenario, load), spec.params, folder, progress=True)
    seconds = time.perf_counter() - started
    particles = int(pd.read_csv(folder / "diagnostics.csv")["simulated"].sum())
    runs = particles * calibration.seeds_per_particle * len(calibration.scenario_names())
    figures = {"folder": str(folder), "particles": particles, "model_runs": runs, "seconds": seconds,
               "runs_per_second": runs / seconds, "backend": calibration.backend,
               "workers": calibration.worker_count, "cpu_count": os.cpu_count()}
    write_json(figures, folder / "benchmark.json")
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
