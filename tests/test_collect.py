"""`task=collect`: a Hydra multirun's job folders joined into one runs_summary table."""

from __future__ import annotations

import pandas as pd
import pytest

from sim.io.store import read_table
from tests.helpers import run_main


@pytest.fixture(scope="module")
def multirun(tmp_path_factory):
    """A two-job multirun: rally gain 0.5 and 1.5, two seeds each."""
    folder = tmp_path_factory.mktemp("multirun")
    with pytest.MonkeyPatch.context() as patch:
        assert run_main(patch, "-m", "seeds=[4,9]", "params.rally_gain=0.5,1.5",
                        f"hydra.sweep.dir={folder}") == 0
    return folder


def test_each_multirun_job_writes_its_runs_summary(multirun):
    for job, gain in (("0", 0.5), ("1", 1.5)):
        summary = pd.read_parquet(multirun / job / "runs_summary.parquet")
        assert list(summary["seed"]) == [4, 9] and (summary["rally_gain"] == gain).all()


def test_collect_stacks_every_job_with_its_folder_name(multirun, monkeypatch, capsys):
    assert run_main(monkeypatch, "task=collect", f"results={multirun}", "output.format=both") == 0
    table = pd.read_parquet(multirun / "runs_summary.parquet")
    assert list(table.columns[:4]) == ["job", "run", "scenario", "seed"]
    assert list(table["job"]) == ["0", "0", "1", "1"] and list(table["seed"]) == [4, 9, 4, 9]
    assert list(table["rally_gain"]) == [0.5, 0.5, 1.5, 1.5]
    jobs = pd.concat([pd.read_parquet(multirun / job / "runs_summary.parquet") for job in ("0", "1")],
                     ignore_index=True)
    pd.testing.assert_frame_equal(table.drop(columns="job"), jobs)
    assert table.loc[0, "SCO.cohesion"] != table.loc[2, "SCO.cohesion"]   # the gain made a difference
    as_csv = read_table(multirun / "runs_summary.csv")
    assert as_csv["job"].astype(str).tolist() == ["0", "0", "1", "1"]
    assert f"Collected 4 runs from 2 of 2 jobs of the multirun in {multirun}" in capsys.readouterr().out


def test_collect_refuses_a_folder_without_jobs_in_one_line(tmp_path, monkeypatch, capsys):
    assert run_main(monkeypatch, "task=collect", f"results={tmp_path}") == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and "results" in error and "multirun" in error
    assert run_main(monkeypatch, "task=collect", f"results={tmp_path / 'missing'}") == 2
