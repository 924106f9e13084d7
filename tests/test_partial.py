"""Stores read whole or not at all (issue 23): `task=plot`, `task=discover` and
`task=collect` on an incomplete sweep or multirun refuse in one line, or, with
`allow_partial=true`, say how many runs (jobs) of how many they used, on the terminal and
in their output files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.helpers import run_main
from tests.test_faults import _fails


@pytest.fixture(scope="module")
def complete(tmp_path_factory) -> Path:
    """A finished sweep of 8 runs in 4 chunks (two gains x two memories x two seeds)."""
    folder = tmp_path_factory.mktemp("sweeps") / "grid"
    with pytest.MonkeyPatch.context() as patch:
        assert run_main(patch, "task=sweep", f"sweep.dir={folder}", "sweep.seeds_per_point=2", "sweep.chunk_size=2",
                        "sweep.parameters.rally_gain.values=[0.5,3.0]", "sweep.parameters.memory.values=[6.0,14.0]",
                        "sweep.backend=serial", "sweep.metrics=[cohesion]") == 0
    return folder


@pytest.fixture
def sweep(complete, tmp_path) -> Path:
    """A copy of the finished sweep, to damage."""
    return Path(shutil.copytree(complete, tmp_path / "grid"))


def _level(folder: Path) -> float:
    return float(pd.read_parquet(folder / "runs_summary.parquet")["SCO.cohesion"].median())


def _discover(sweep: Path, out: Path, *extra: str) -> list[str]:
    return ["task=discover", f"results={sweep}", "discover.when=above", f"discover.level={_level(sweep)}",
            f"hydra.run.dir={out}", *extra]


def test_plot_of_a_sweep_with_a_lost_part_is_refused_then_says_what_it_used(sweep, tmp_path, monkeypatch, capsys):
    (sweep / "parts" / "part-00001.parquet").unlink()
    line = _fails(monkeypatch, capsys, ["task=plot", f"results={sweep}", f"hydra.run.dir={tmp_path / 'o'}"], 2)
    assert "results" in line and "6 of 8 runs" in line and "allow_partial=true" in line, line
    assert not (sweep / "figures").exists()
    assert run_main(monkeypatch, "task=plot", f"results={sweep}", "allow_partial=true",
                    f"hydra.run.dir={tmp_path / 'o'}") == 0
    assert "Runs used: 6 of 8 runs" in capsys.readouterr().out
    used = yaml.safe_load((sweep / "figures" / "results_used.yaml").read_text())["results_used"]
    assert used.startswith("6 of 8 runs of the sweep") and used.endswith("(allow_partial=true)")


def test_a_part_that_does_not_match_its_record_counts_as_missing(sweep, tmp_path, monkeypatch, capsys):
    part = sweep / "parts" / "part-00002.parquet"
    part.write_bytes(part.read_bytes()[:-10] + b"0123456789")
    line = _fails(monkeypatch, capsys, _discover(sweep, tmp_path / "d"), 2)
    assert "6 of 8 runs" in line, line
    assert not (tmp_path / "d").exists()


def test_discover_on_a_sweep_with_lost_parts_is_refused_then_records_what_it_used(sweep, tmp_path, monkeypatch,
                                                                                   capsys):
    level = _level(sweep)
    (sweep / "parts" / "part-00000.parquet").unlink()
    line = _fails(monkeypatch, capsys, _discover(sweep, tmp_path / "d"), 2)
    assert "6 of 8 runs" in line and "allow_partial=true" in line, line
    assert run_main(monkeypatch, "task=discover", f"results={sweep}", "discover.when=above",
                    f"discover.level={level}", f"hydra.run.dir={tmp_path / 'd'}", "allow_partial=true") == 0
    record = yaml.safe_load((tmp_path / "d" / "config.yaml").read_text())
    assert record["results_used"].startswith("6 of 8 runs")


def test_discover_on_a_sweep_with_no_parts_is_one_line_even_when_partial_is_allowed(sweep, tmp_path, monkeypatch,
                                                                                     capsys):
    level = _level(sweep)
    for part in (sweep / "parts").iterdir():
        part.unlink()
    for extra in ([], ["allow_partial=true"]):
        line = _fails(monkeypatch, capsys, ["task=discover", f"results={sweep}", f"discover.level={level}",
                                            f"hydra.run.dir={tmp_path / 'd'}", *extra], 2)
        assert "0 of 8 runs" in line and "run it again" in line, line
    assert not (tmp_path / "d").exists()


@pytest.fixture
def multirun(tmp_path) -> Path:
    """A finished three-job multirun."""
    folder = tmp_path / "multi"
    with pytest.MonkeyPatch.context() as patch:
        assert run_main(patch, "-m", "seeds=1", "posterior=none", "params.rally_gain=0.5,1.5,3.0",
                        f"hydra.sweep.dir={folder}") == 0
    return folder


def test_collect_on_a_multirun_with_a_lost_job_is_refused_then_says_what_it_used(multirun, monkeypatch, capsys):
    (multirun / "1" / "runs_summary.parquet").unlink()
    line = _fails(monkeypatch, capsys, ["task=collect", f"results={multirun}"], 2)
    assert "2 of 3 jobs" in line and "allow_partial=true" in line, line
    assert not (multirun / "runs_summary.parquet").exists()
    shutil.rmtree(multirun / "2")  # the last job's folder gone altogether: known from multirun.yaml
    line = _fails(monkeypatch, capsys, ["task=collect", f"results={multirun}"], 2)
    assert "1 of 3 jobs" in line, line
    assert run_main(monkeypatch, "task=collect", f"results={multirun}", "allow_partial=true") == 0
    assert "Collected 1 runs from 1 of 3 jobs" in capsys.readouterr().out
    assert yaml.safe_load((multirun / "collect.yaml").read_text())["results_used"].startswith("1 of 3 jobs")
    assert pd.read_parquet(multirun / "runs_summary.parquet")["job"].tolist() == ["0"]
