"""Fault injection: every expected fault class (bad input, unreadable data, network, I/O,
interruption) ends in one line naming the field or file, the exit status of its class, no
traceback, and no run folder or partial results left behind."""

from __future__ import annotations

import errno
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType, SimpleNamespace

import pandas as pd
import pytest

import sim.io.outdir
import sim.runs.executors
import sim.app.tasks
from sim.app.cli import main
from sim.app.interrupts import INTERRUPT_RETRY, install, interrupt, raise_if_interrupted
from sim.errors import EXIT_STATUS
from sim.io.records import TIMESERIES_COLUMNS
from tests.test_bad_input import HISTORY, _run_cli, _scenario_case

DATA, NETWORK, IO, INTERRUPTED = (EXIT_STATUS[k] for k in ("data", "network", "io", "interrupted"))


def _fails(monkeypatch, capsys, args: list[str], status: int) -> str:
    """Run the command line (progress off), which must stop with `status` and one stderr
    line without a traceback; returns the line."""
    flags = [arg for arg in args if arg.startswith("-")]
    monkeypatch.setattr(sys, "argv", ["sim", *flags, "progress=false", *(a for a in args if a not in flags)])
    with pytest.raises(SystemExit) as stop:
        main()
    err = capsys.readouterr().err.strip()
    assert stop.value.code == status, (stop.value.code, err)
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


def _results(tmp_path: Path, frame: pd.DataFrame | None = None) -> Path:
    """A results folder holding a time-series table (`frame`, else one row of the right columns)."""
    folder = tmp_path / "results"
    folder.mkdir()
    row = {"run": 0, "seed": 0, "step": 0, "date": pd.Timestamp("2001-01-01"), "entity": "SCO",
           "metric": "cohesion", "value": 0.9}
    (frame if frame is not None else pd.DataFrame([row])).to_parquet(folder / "timeseries.parquet")
    return folder


def _truncated(folder: Path) -> None:
    path = folder / "timeseries.parquet"
    path.write_bytes(path.read_bytes()[:100])


def _binary_csv(folder: Path) -> None:
    (folder / "timeseries.parquet").unlink()
    (folder / "timeseries.csv").write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8)


def _foreign_config(folder: Path) -> None:
    (folder / "config.yaml").write_bytes(b"\xff\xfe not ours")


def _columns_missing(folder: Path) -> None:
    pd.DataFrame({"run": [0], "value": [1.0]}).to_parquet(folder / "timeseries.parquet")


PLOT_CASES = {
    "truncated parquet": (_truncated, "timeseries.parquet", ["file", "truncated, corrupt or not a table"]),
    "binary csv": (_binary_csv, "timeseries.csv", ["file", "truncated, corrupt or not a table"]),
    "config.yaml not ours": (_foreign_config, "config.yaml", ["config.scenario", "the config.yaml this project"]),
    "columns missing": (_columns_missing, "timeseries.parquet", ["columns", "'seed'", ", ".join(TIMESERIES_COLUMNS)]),
}


@pytest.mark.parametrize("case", sorted(PLOT_CASES))
def test_a_damaged_results_folder_is_refused_before_plotting(case, tmp_path, monkeypatch, capsys):
    damage, name, expected = PLOT_CASES[case]
    results = _results(tmp_path)
    damage(results)
    err = _run_cli(monkeypatch, capsys, ["task=plot", f"results={results}"], tmp_path / "out", expected, DATA)
    assert str(results / name) in err
    assert not (results / "figures").exists()


def test_a_table_corrupt_past_its_header_is_one_line_and_leaves_no_folder(tmp_path, monkeypatch, capsys):
    """Damage found only once the task reads the rows (after Hydra made the run folder)."""
    results = _results(tmp_path)
    _truncated(results)
    monkeypatch.setattr(sim.app.tasks, "table_columns", lambda path: list(TIMESERIES_COLUMNS))
    err = _fails(monkeypatch, capsys, ["task=plot", f"results={results}", f"hydra.run.dir={tmp_path / 'out'}"], DATA)
    assert str(results / "timeseries.parquet") in err and "truncated" in err
    assert not (tmp_path / "out").exists() and not (results / "figures").exists()


CONFIG_CASES = {
    "unknown scenario in scenarios": (["task=compare", "scenarios=[history,nowhere]"],
                                      ["scenarios", "'nowhere'", "no_crimea"]),
    "unknown scenario in sweep.scenarios": (["task=sweep", "sweep.scenarios=[nowhere]"],
                                            ["sweep.scenarios", "'nowhere'", "no_crimea"]),
    "sweep seed not a number": (["task=sweep", "sweep.seed=abc"], ["sweep.seed", "'abc'", "an integer >= 0"]),
    "malformed scheduler address": (["task=sweep", "sweep.backend=dask", "sweep.scheduler=not an address"],
                                    ["sweep.scheduler", "'not an address'", "HOST:PORT"]),
    "malformed calibration scheduler address": (["task=calibrate", "calibrate.scheduler=tcp://nowhere"],
                                                ["calibrate.scheduler", "'tcp://nowhere'", "HOST:PORT"]),
    "month 13 in plot.dates": (["task=plot", "results=.", "plot.dates=[2007-13]"],
                               ["plot.dates", "'2007-13'", "a real month"]),
    "resolver in an override": (["params.memory=${oc.env:HOME}"], ["params.memory", "oc.env", "no interpolation"]),
}


@pytest.mark.parametrize("case", sorted(CONFIG_CASES))
def test_a_wrong_value_is_one_line_before_anything_runs(case, tmp_path, monkeypatch, capsys):
    args, expected = CONFIG_CASES[case]
    _run_cli(monkeypatch, capsys, [*args, f"sweep.dir={tmp_path / 'sweep'}"], tmp_path / "out", expected, 2)
    assert not (tmp_path / "sweep").exists()


@pytest.mark.parametrize("field", ["name", "events.georgia_war.magnitude"])
def test_a_resolver_in_a_scenario_file_is_refused_naming_the_file_and_field(field, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SECRET_OF_THE_USER", "0.5")
    body = (HISTORY + "name: ${oc.env:SECRET_OF_THE_USER}\n" if field == "name" else
            HISTORY + "events:\n  georgia_war:\n    magnitude: ${oc.env:SECRET_OF_THE_USER}\n")
    args, path = _scenario_case(tmp_path, body)
    err = _run_cli(monkeypatch, capsys, args, tmp_path / "out", [str(path), field, "${oc.env:SECRET_OF_THE_USER}"], 2)
    assert "0.5" not in err


def test_a_scenario_file_not_in_utf8_is_one_line(tmp_path, monkeypatch, capsys):
    args, path = _scenario_case(tmp_path, "")
    path.write_bytes(b"\xff\xfename: x\n")
    _run_cli(monkeypatch, capsys, args, tmp_path / "out", [str(path), "encoding", "UTF-8"], DATA)


def test_an_observed_file_not_in_utf8_is_one_line(tmp_path, monkeypatch, capsys):
    observed = tmp_path / "observed.yaml"
    observed.write_bytes("name: caf\xe9\n".encode("latin-1"))
    _run_cli(monkeypatch, capsys, ["task=score", "seeds=1", f"observed={observed}"], tmp_path / "out",
             [str(observed), "encoding", "UTF-8"], DATA)


@pytest.mark.parametrize("below", [False, True])
def test_a_run_folder_that_is_a_file_is_refused(below, tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "taken"
    blocker.write_text("mine")
    out = blocker / "run" if below else blocker
    err = _fails(monkeypatch, capsys, ["seeds=1", f"hydra.run.dir={out}"], 2)
    assert "hydra.run.dir" in err and f"{blocker} is a file" in err
    assert blocker.read_text() == "mine"


def test_a_read_only_output_folder_is_refused_before_running(tmp_path, monkeypatch, capsys):
    locked = SimpleNamespace(access=lambda path, mode: Path(path) != tmp_path, W_OK=os.W_OK, X_OK=os.X_OK)
    monkeypatch.setattr(sim.io.outdir, "os", locked)
    err = _fails(monkeypatch, capsys, ["seeds=1", f"hydra.run.dir={tmp_path / 'out'}"], 2)
    assert "hydra.run.dir" in err and f"{tmp_path} is read-only" in err
    assert list(tmp_path.iterdir()) == []


def _failing_write(code: int):
    def write(data, base: Path, fmt: str | None = None):
        raise OSError(code, os.strerror(code), str(base if fmt is None else base.with_suffix(f".{fmt}")))
    return write


@pytest.mark.parametrize("code, reason", [(errno.ENOSPC, "the disk is full"),
                                          (errno.EROFS, "the file system is read-only"),
                                          (errno.EACCES, "permission denied")])
def test_a_failed_write_is_one_line_and_leaves_no_folder(code, reason, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sim.app.tasks, "write_table", _failing_write(code))
    out = tmp_path / "new" / "run"
    err = _fails(monkeypatch, capsys, ["seeds=1", f"hydra.run.dir={out}"], IO)
    assert str(out / "timeseries.parquet") in err and reason in err
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_in_the_default_folder_leaves_no_results_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sim.app.tasks, "save_figure", _failing_write(errno.ENOSPC))
    err = _fails(monkeypatch, capsys, ["seeds=1"], IO)
    assert "results/run/" in err and "cohesion" in err and "the disk is full" in err
    assert list(tmp_path.iterdir()) == []


def test_a_fault_in_an_existing_folder_removes_only_the_results_written(tmp_path, monkeypatch, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    monkeypatch.setattr(sim.app.tasks, "save_figure", _failing_write(errno.ENOSPC))
    _fails(monkeypatch, capsys, ["seeds=1", f"hydra.run.dir={out}"], IO)
    assert (out / "notes.txt").read_text() == "keep me"
    assert sim.io.outdir.our_files(out) == []


def test_ctrl_c_is_one_line_with_status_130_and_leaves_no_folder(tmp_path, monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(sim.app.tasks, "run_pairs", interrupted)
    err = _fails(monkeypatch, capsys, ["seeds=1", f"hydra.run.dir={tmp_path / 'out'}"], INTERRUPTED)
    assert "interrupted" in err
    assert list(tmp_path.iterdir()) == []


def test_a_ctrl_c_a_library_swallowed_still_ends_the_job(tmp_path, monkeypatch, capsys):
    """Code that catches the KeyboardInterrupt and carries on (as C code that clears errors
    does) does not save the job: it ends as interrupted, with no folder left."""
    run_pairs = sim.app.tasks.run_pairs

    def swallowing(*args, **kwargs):
        try:
            interrupt(signal.SIGINT, sys._getframe())
        except KeyboardInterrupt:
            pass
        return run_pairs(*args, **kwargs)
    monkeypatch.setattr(sim.app.tasks, "run_pairs", swallowing)
    err = _fails(monkeypatch, capsys, ["seeds=1", f"hydra.run.dir={tmp_path / 'out'}"], INTERRUPTED)
    assert "interrupted" in err
    assert list(tmp_path.iterdir()) == []


def test_a_bug_keeps_its_traceback(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")
    monkeypatch.setattr(sim.app.tasks, "run_pairs", broken)
    monkeypatch.setattr(sys, "argv", ["sim", "progress=false", "seeds=1", f"hydra.run.dir={tmp_path / 'out'}"])
    with pytest.raises(RuntimeError, match="a bug"):
        main()


def test_a_real_ctrl_c_stops_the_process_in_one_line(tmp_path):
    """A Ctrl-C while the model runs (a first, complete run fills numba's cache, so the
    interrupt meets the model, not a compilation)."""
    warm = subprocess.run([sys.executable, "-m", "sim", "progress=false", "seeds=1", "posterior=none",
                           f"hydra.run.dir={tmp_path / 'warm'}"], capture_output=True, text=True)
    assert warm.returncode == 0, warm.stderr
    out = tmp_path / "out"
    process = subprocess.Popen([sys.executable, "-m", "sim", "progress=false", "seeds=1000", "posterior=none",
                                f"hydra.run.dir={out}"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.time() + 120
        while not out.exists() and process.poll() is None and time.time() < deadline:
            time.sleep(0.1)
        process.send_signal(signal.SIGINT)
        err = process.communicate(timeout=60)[1].strip()
    finally:
        process.kill()
    assert process.returncode == INTERRUPTED, err
    assert len(err.splitlines()) == 1 and "interrupted" in err and "Traceback" not in err
    assert not out.exists()


def _frame_in(filename: str) -> FrameType:
    """A live frame of code whose file is `filename`."""
    scope: dict = {}
    exec(compile("import sys\nframe = sys._getframe()", filename, "exec"), scope)
    return scope["frame"]


def test_a_ctrl_c_inside_llvmlite_is_sent_again_and_not_lost():
    """llvmlite's ctypes callbacks (numba compiling or loading a kernel) print and swallow
    an exception raised inside them; a Ctrl-C arriving there is deferred, not raised, and
    arrives again a moment later; anywhere else it is Python's KeyboardInterrupt."""
    previous = signal.signal(signal.SIGINT, interrupt)
    try:
        inside = _frame_in(str(Path("site-packages", "llvmlite", "binding", "executionengine.py")))
        assert interrupt(signal.SIGINT, inside) is None
        with pytest.raises(KeyboardInterrupt):
            time.sleep(200 * INTERRUPT_RETRY)  # ends at the re-sent signal, long before
        with pytest.raises(KeyboardInterrupt):
            interrupt(signal.SIGINT, _frame_in(__file__))
    finally:
        signal.signal(signal.SIGINT, previous)


def test_a_deferred_ctrl_c_raised_at_a_checkpoint_is_not_sent_again(monkeypatch):
    """A Ctrl-C deferred inside llvmlite and then raised at a checkpoint has been handled:
    its pending re-send is dropped, so it cannot fire after the job restored the default
    handler and kill the process by the signal instead of its exit status 130."""
    sent = []
    monkeypatch.setattr(os, "kill", lambda pid, signum: sent.append(signum))
    restore = install()
    try:
        interrupt(signal.SIGINT, _frame_in(str(Path("site-packages", "llvmlite", "binding", "ffi.py"))))
        with pytest.raises(KeyboardInterrupt):
            raise_if_interrupted()
    finally:
        restore()
    time.sleep(4 * INTERRUPT_RETRY)
    assert sent == []


def test_ctrl_c_on_a_dask_sweep_is_one_line(tmp_path):
    """Ctrl-C reaches the whole process group, Dask's local workers included: they ignore
    it and the sweep stops them, quietly; the sweep folder is kept for a resume."""
    sweep = tmp_path / "sweep"
    process = subprocess.Popen([sys.executable, "-m", "sim", "progress=false", "task=sweep", "sweep.backend=dask",
                                "sweep.workers=2", "sweep.seeds_per_point=300", f"sweep.dir={sweep}",
                                f"hydra.run.dir={tmp_path / 'out'}"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True, start_new_session=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.time() + 120
        while not (sweep / "manifest.json").exists() and process.poll() is None and time.time() < deadline:
            time.sleep(0.1)
        time.sleep(1)
        os.killpg(process.pid, signal.SIGINT)
        err = process.communicate(timeout=60)[1].strip()
    finally:
        process.kill()
    assert process.returncode == INTERRUPTED, err
    assert len(err.splitlines()) == 1 and err.startswith("error: interrupted"), err
    assert not (tmp_path / "out").exists() and (sweep / "manifest.json").exists()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_scheduler_fails_fast_in_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sim.runs.executors, "SCHEDULER_TIMEOUT", 1)
    address = f"tcp://127.0.0.1:{_closed_port()}"
    started = time.perf_counter()
    err = _fails(monkeypatch, capsys, ["task=sweep", "sweep.backend=dask", f"sweep.scheduler={address}",
                                       f"sweep.dir={tmp_path / 'sweep'}", f"hydra.run.dir={tmp_path / 'out'}"], NETWORK)
    assert time.perf_counter() - started < 20
    assert "sweep.scheduler" in err and address in err and "within 1 s" in err
    assert list(tmp_path.iterdir()) == []
