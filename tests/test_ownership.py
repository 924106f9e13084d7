"""Folders owned by one job (issue 23): a lock on every folder a task writes into, taken
before anything is written; folder paths read as Hydra reads them (quotes included);
symbolic links in a results folder refused. Each refusal is one line with exit status 2,
and no other job's results are written over or deleted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.io.store import JOB_LOCK, folder_lock
from tests.helpers import run_main
from tests.test_faults import _fails


def _results(folder: Path) -> dict[str, bytes]:
    """A folder holding earlier results of this project (a time-series table); its files' bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"run": [0], "seed": [0], "step": [0], "date": [pd.Timestamp("2001-01-01")], "entity": ["SCO"],
                  "metric": ["cohesion"], "value": [0.9]}).to_parquet(folder / "timeseries.parquet")
    return _contents(folder)


def _contents(folder: Path) -> dict[str, bytes]:
    """The bytes of every file under `folder` but lock files (the test's own locks leave theirs)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != JOB_LOCK}


@pytest.mark.parametrize("quoted", ["'{}'", '"{}"'])
def test_a_quoted_run_folder_is_guarded_like_a_plain_one(quoted, tmp_path, monkeypatch, capsys):
    """Hydra strips the quotes: the overwrite guard must look at the folder Hydra will use."""
    folder = tmp_path / "my results"
    before = _results(folder)
    line = _fails(monkeypatch, capsys, ["seeds=1", "hydra.run.dir=" + quoted.format(folder)], 2)
    assert "hydra.run.dir" in line and str(folder) in line and "overwrite=true" in line, line
    assert _contents(folder) == before


def test_an_unquoted_path_hydra_cannot_read_is_one_line(tmp_path, monkeypatch, capsys):
    line = _fails(monkeypatch, capsys, ["seeds=1", f"hydra.run.dir={tmp_path}/résultats"], 2)
    assert "hydra.run.dir" in line and "quote" in line, line
    assert list(tmp_path.iterdir()) == []


def test_a_run_into_a_folder_another_job_holds_is_refused(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    with folder_lock(folder, "job", JOB_LOCK):
        line = _fails(monkeypatch, capsys, ["seeds=1", f"hydra.run.dir={folder}"], 2)
        assert line == f"error: another job is writing to {folder}", line
    assert sorted(p.name for p in folder.iterdir()) == [JOB_LOCK, "notes.txt"]


def test_a_plot_into_a_folder_being_written_is_refused(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "run"
    before = _results(folder)
    with folder_lock(folder, "job", JOB_LOCK):
        line = _fails(monkeypatch, capsys, ["task=plot", f"results={folder}", f"hydra.run.dir={tmp_path / 'o'}"], 2)
    assert line == f"error: another job is writing to {folder}", line
    assert _contents(folder) == before and not (tmp_path / "o").exists()


def test_a_finished_run_leaves_no_lock_file(tmp_path, monkeypatch):
    folder = tmp_path / "run"
    assert run_main(monkeypatch, "seeds=1", f"hydra.run.dir={folder}") == 0
    assert (folder / "timeseries.parquet").is_file() and not (folder / JOB_LOCK).exists()


def _start(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "sim", "progress=false", "posterior=none", *args],
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def _wait_for(path: Path, process: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert process.poll() is None, process.stderr.read()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def test_two_runs_into_one_folder_one_refused_the_other_intact_even_after_a_ctrl_c(tmp_path):
    """Two jobs started into the same new folder: the second is refused while the first
    holds it, and a Ctrl-C sent to the second (whatever it was doing) removes nothing of
    the first's; the first finishes with all its results."""
    folder = tmp_path / "shared"
    first = _start("seeds=300", f"hydra.run.dir={folder}")
    _wait_for(folder / JOB_LOCK, first)
    second = _start("seeds=8", f"hydra.run.dir={folder}")
    try:
        status = second.wait(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(second.pid, signal.SIGINT)
        status = second.wait(timeout=60)
    err = second.stderr.read().strip().splitlines()
    refusal = "error: another job is writing to" if first.poll() is None else "error: config: hydra.run.dir"
    assert status == 2 and len(err) == 1 and err[0].startswith(refusal), (status, err)
    third = _start("seeds=8", f"hydra.run.dir={folder}")
    time.sleep(3.0)
    os.killpg(third.pid, signal.SIGINT)  # interrupted as it starts, or already refused: it owns nothing
    assert third.wait(timeout=60) != 0
    assert first.wait(timeout=600) == 0, first.stderr.read()
    names = {p.name for p in folder.iterdir()}
    assert {"timeseries.parquet", "decisions.parquet", "runs_summary.parquet", "config.yaml"} <= names
    assert JOB_LOCK not in names
    assert pd.read_parquet(folder / "runs_summary.parquet")["seed"].tolist() == list(range(300))


def test_a_ctrl_c_in_a_plot_leaves_the_results_it_reads(tmp_path):
    folder = tmp_path / "results"
    before = _results(folder)
    plot = _start("task=plot", f"results={folder}", f"hydra.run.dir={tmp_path / 'plot'}")
    _wait_for(folder / JOB_LOCK, plot)
    os.killpg(plot.pid, signal.SIGINT)
    assert plot.wait(timeout=60) in (0, 130)
    after = _contents(folder)
    assert {k: v for k, v in after.items() if not k.startswith("figures")} == before


def _multirun(tmp_path: Path, folder: str, *extra: str) -> list[str]:
    return ["-m", "seeds=1", "params.rally_gain=0.5,1.5", f"hydra.sweep.dir={folder}", *extra]


def test_a_second_multirun_into_the_same_folder_is_refused_unless_overwrite(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "multi"
    assert run_main(monkeypatch, *_multirun(tmp_path, str(folder))) == 0
    capsys.readouterr()
    before = _contents(folder)
    assert {"0/runs_summary.parquet", "1/runs_summary.parquet"} <= set(before)
    line = _fails(monkeypatch, capsys, _multirun(tmp_path, f"'{folder}'"), 2)
    assert "hydra.sweep.dir" in line and "2 job folders with results" in line and "overwrite=true" in line, line
    assert _contents(folder) == before
    (folder / "2").mkdir()  # a job of an earlier, larger multirun
    (folder / "2" / "runs_summary.parquet").write_bytes(before["1/runs_summary.parquet"])
    assert run_main(monkeypatch, *_multirun(tmp_path, str(folder), "overwrite=true")) == 0
    assert not (folder / "2" / "runs_summary.parquet").exists()
    assert (folder / "0" / "runs_summary.parquet").is_file() and not (folder / JOB_LOCK).exists()


def test_a_multirun_into_a_folder_another_job_holds_is_refused(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "multi"
    with folder_lock(folder, "job", JOB_LOCK):
        line = _fails(monkeypatch, capsys, _multirun(tmp_path, str(folder)), 2)
    assert line == f"error: another job is writing to {folder}", line
    assert [p.name for p in folder.iterdir()] == [JOB_LOCK]  # the test's own


def test_collect_into_a_multirun_folder_being_written_is_refused(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "multi"
    _results(folder / "0")
    (folder / "0" / "runs_summary.parquet").write_bytes(b"")
    with folder_lock(folder, "job", JOB_LOCK):
        line = _fails(monkeypatch, capsys, ["task=collect", f"results={folder}", f"hydra.run.dir={tmp_path / 'o'}"], 2)
    assert line == f"error: another job is writing to {folder}", line
    assert not (folder / "runs_summary.parquet").exists()


def _outside(tmp_path: Path) -> Path:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "cohesion.png").write_bytes(b"not ours")
    (outside / "timeseries.parquet").write_bytes(b"precious")
    return outside


@pytest.mark.parametrize("args", [["task=plot", "results={results}", "hydra.run.dir={run}"],
                                  ["seeds=1", "overwrite=true", "hydra.run.dir={results}"]])
@pytest.mark.parametrize("link", ["figures", "timeseries.csv"])
def test_a_symbolic_link_in_a_results_folder_is_refused(args, link, tmp_path, monkeypatch, capsys):
    """Neither a plot nor an overwrite writes into or deletes from the folder a link points to."""
    results = tmp_path / "results"
    _results(results)
    outside = _outside(tmp_path)
    (results / link).symlink_to(outside if link == "figures" else outside / "timeseries.parquet")
    before = _contents(outside)
    line = _fails(monkeypatch, capsys, [a.format(results=results, run=tmp_path / "run") for a in args], 2)
    assert "symbolic links" in line and str(results / link) in line, line
    assert _contents(outside) == before and (results / "timeseries.parquet").is_file()
    assert not (tmp_path / "run").exists()


def test_a_symbolic_link_in_a_sweep_folder_is_refused(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "sweep"
    folder.mkdir()
    outside = _outside(tmp_path)
    (folder / "parts").symlink_to(outside)
    before = _contents(outside)
    line = _fails(monkeypatch, capsys, ["task=sweep", "sweep.backend=serial", f"sweep.dir={folder}",
                                        f"hydra.run.dir={tmp_path / 'run'}"], 2)
    assert "sweep.dir" in line and "symbolic links" in line, line
    assert _contents(outside) == before and sorted(p.name for p in folder.iterdir()) == ["parts"]
