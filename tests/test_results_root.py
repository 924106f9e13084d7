"""One results root: analysis folders named by their spec's hash (another setting, another
folder; the same spec resumes and says so), `latest` links per task and `latest` accepted
wherever a folder is asked for."""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from sim.io.results import mark_latest, timestamped_folder
from tests.helpers import run_main

#: A two-point, one-seed sweep of the default sweep file, run in-process.
TINY_SWEEP = ("task=sweep", "sweep.backend=serial", "sweep.seeds_per_point=1", "~sweep.parameters.memory",
              "sweep.parameters.rally_gain.values=[1.0,2.0]")
#: A Morris screening of two parameters, two trajectories, one seed.
TINY_SENSITIVITY = ("task=sensitivity", "sweep.backend=serial", "sensitivity.parameters=[memory,rally_gain]",
                    "sensitivity.samples=2", "sensitivity.seeds_per_point=1")
#: A calibration of two generations of eight particles, one seed each.
TINY_CALIBRATION = ("task=calibrate", "calibrate=smoke", "calibrate.particles=8", "calibrate.generations=2",
                    "calibrate.seeds_per_particle=1", "calibrate.targets=[3]")


def _folders(parent: Path) -> list[str]:
    """The analysis folders in `parent` (not the `latest` link)."""
    return sorted(p.name for p in parent.iterdir() if p.name != "latest")


def test_a_changed_sweep_gets_its_own_folder_and_the_same_one_resumes(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    sweeps = tmp_path / "results" / "sweeps"
    assert run_main(monkeypatch, *TINY_SWEEP) == 0
    first = _folders(sweeps)
    assert len(first) == 1 and re.fullmatch(r"rally_memory_grid-[0-9a-f]{8}", first[0])
    assert "Computed 2 runs" in capsys.readouterr().out
    assert run_main(monkeypatch, *TINY_SWEEP) == 0
    assert f"Nothing to compute: all 2 runs were already in results/sweeps/{first[0]}" in capsys.readouterr().out
    assert run_main(monkeypatch, *TINY_SWEEP, "sweep.seeds_per_point=2") == 0   # another spec: not refused
    both = _folders(sweeps)
    assert len(both) == 2 and first[0] in both
    newer = next(name for name in both if name != first[0])
    assert (sweeps / "latest").resolve() == (sweeps / newer).resolve()
    assert len(pd.read_parquet(sweeps / "latest" / "runs.parquet")) == 4
    assert _folders(tmp_path / "results") == ["sweeps"]          # the empty run folder is gone


def test_the_sweep_ends_with_each_points_outcomes(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert run_main(monkeypatch, *TINY_SWEEP) == 0
    printed = capsys.readouterr().out
    summary = pd.read_parquet(tmp_path / "results" / "sweeps" / "latest" / "runs_summary.parquet")
    lines = printed.split("Outcomes", 1)[1].splitlines()
    assert re.search(r"point +rally_gain +runs +SCO\.cohesion +CSTO\.cohesion", lines[1])
    for point, row in summary.groupby("point"):
        shown = next(line.split() for line in lines[2:] if line.split()[:1] == [str(point)])
        assert float(shown[1]) == row["rally_gain"].iloc[0]
        assert float(shown[3]) == pytest.approx(row["SCO.cohesion"].mean(), abs=5e-4)
    assert max(map(len, printed.splitlines())) <= 100


def test_sensitivity_folders_follow_the_spec_and_plot_reads_latest(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "results" / "sensitivity"
    assert run_main(monkeypatch, *TINY_SENSITIVITY) == 0
    assert run_main(monkeypatch, *TINY_SENSITIVITY, "sensitivity.parameters=[memory,deference]") == 0
    folders = _folders(root)
    assert len(folders) == 2 and all(re.fullmatch(r"morris-[0-9a-f]{8}", name) for name in folders)
    latest = (root / "latest").resolve()
    assert set(pd.read_csv(latest / "sensitivity.csv")["parameter"]) == {"memory", "deference"}
    capsys.readouterr()
    assert run_main(monkeypatch, *TINY_SENSITIVITY, "sensitivity.parameters=[memory,deference]") == 0
    assert "nothing to compute" in capsys.readouterr().out
    assert run_main(monkeypatch, "task=plot", "results=latest") == 0
    assert (latest / "figures" / "sensitivity.png").is_file()


def test_a_calibration_resumes_in_its_folder_and_serves_posterior_latest(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "results" / "calibrations"
    assert run_main(monkeypatch, *TINY_CALIBRATION) == 0
    assert run_main(monkeypatch, *TINY_CALIBRATION) == 0
    assert "Nothing to compute: all 2 generations were already in" in capsys.readouterr().out
    assert run_main(monkeypatch, *TINY_CALIBRATION, "calibrate.seed=1") == 0
    assert len(_folders(root)) == 2 and all(name.startswith("smoke-") for name in _folders(root))
    assert run_main(monkeypatch, "posterior=latest", "posterior_draws=2", "seeds=1") == 0
    config = (tmp_path / "results" / "run" / "latest" / "config.yaml").read_text()
    assert f"posterior: {(root / 'latest').resolve()}" in config


def test_results_latest_names_the_newest_folder_of_the_tasks_kind(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert run_main(monkeypatch, "seeds=2") == 0
    runs = tmp_path / "results" / "run"
    assert len(_folders(runs)) == 1 and (runs / "latest" / "timeseries.parquet").is_file()
    assert run_main(monkeypatch, *TINY_SWEEP) == 0
    assert run_main(monkeypatch, "task=discover", "results=latest") == 0
    printed = capsys.readouterr().out
    assert "discover.level not given" in printed
    assert (tmp_path / "results" / "discover" / "latest" / "discover_box.csv").is_file()
    mark_latest("run", (runs / "latest").resolve())
    assert run_main(monkeypatch, "task=plot", "results=latest") == 0
    assert (runs / "latest" / "figures" / "trajectories.png").is_file()


def test_latest_before_any_results_is_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert run_main(monkeypatch, "task=discover", "results=latest") == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "results = 'latest' is invalid" in error and "results/sweeps/latest" in error
    assert list(tmp_path.iterdir()) == []


def test_a_multirun_marks_its_folder_for_collect(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert run_main(monkeypatch, "-m", "params.rally_gain=0.5,1.5", "seeds=1") == 0
    assert run_main(monkeypatch, "task=collect", "results=latest") == 0
    latest = (tmp_path / "results" / "multirun" / "latest").resolve()
    assert len(pd.read_parquet(latest / "runs_summary.parquet")) == 2


def test_a_folder_named_outside_the_root_gets_no_link_and_no_root(tmp_path, monkeypatch):
    work, elsewhere = tmp_path / "work", tmp_path / "elsewhere"
    work.mkdir()
    elsewhere.mkdir()
    monkeypatch.chdir(work)
    assert mark_latest("run", elsewhere) is None and list(work.iterdir()) == []
    inside = work / "results" / "run" / "mine"
    inside.mkdir(parents=True)
    link = mark_latest("run", inside)
    assert link == work / "results" / "run" / "latest" and os.readlink(link) == "mine"   # relative


def test_two_runs_in_the_same_second_get_folders_of_their_own(tmp_path, monkeypatch):
    """The default folder is named to the second: a second run within it takes `_2`, a
    third `_3`, instead of being refused for the first one's results."""
    monkeypatch.chdir(tmp_path)
    when = datetime(2026, 12, 7, 7, 46, 7)
    names = []
    for _ in range(3):
        folder = timestamped_folder("discover", when)
        folder.mkdir(parents=True)
        names.append(folder.name)
    assert names == ["2026-12-07_07-46-07", "2026-12-07_07-46-07_2", "2026-12-07_07-46-07_3"]
