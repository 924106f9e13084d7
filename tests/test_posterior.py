"""Posterior-aware tasks: runs drawn from a posterior sample, contrasts over the draws."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.core.params import Params
from sim.experiments.calibration import posterior_draws
from sim.io.store import write_parquet
from sim.experiments.compare import over_draws
from tests.helpers import run_main
from tests.test_bad_input import _run_cli


def write_posterior(path: Path, frame: pd.DataFrame, base: Params | None = None, kind: str = "posterior") -> Path:
    """A posterior file as task=calibrate writes it: the sample, with the record of the
    calibration (name, base parameters) that made it."""
    free = [c for c in frame.columns if c in asdict(Params())]
    return write_parquet(frame, path, {"kind": kind, "calibration": "test", "spec_hash": "0" * 16,
                                       "base_params": asdict(base or Params()), "free": free})


@pytest.fixture
def posterior(tmp_path):
    """A posterior: two particles far apart in rally_gain, one with all the weight on the
    high one except a sliver."""
    return write_posterior(tmp_path / "posterior.parquet", pd.DataFrame(
        {"rally_gain": [0.2, 2.8], "deference": [1.6, 1.7], "weight": [0.0, 1.0], "distance": [1.0, 0.0]}))


def test_draws_follow_the_weights_and_keep_the_other_parameters(posterior, spec):
    draws = posterior_draws(posterior, spec.params, 30)
    assert {d.rally_gain for d in draws} == {2.8} and {d.deference for d in draws} == {1.7}
    assert {d.trust_gain for d in draws} == {spec.params.trust_gain}
    assert posterior_draws(posterior, spec.params, 5) == draws[:5]


def test_run_with_a_posterior_runs_every_draw_on_every_seed(posterior, tmp_path, monkeypatch):
    out = tmp_path / "run"
    assert run_main(monkeypatch, f"posterior={posterior}", "posterior_draws=2", "seeds=2",
                    f"hydra.run.dir={out}") == 0
    runs = pd.read_parquet(out / "runs_summary.parquet")
    assert list(runs["draw"]) == [0, 0, 1, 1] and list(runs["seed"]) == [0, 1, 0, 1]
    assert (runs["rally_gain"] == 2.8).all()
    record = yaml.safe_load((out / "config.yaml").read_text())["posterior"]
    assert record["draws"] == [{"rally_gain": 2.8, "deference": 1.7}] * 2 and len(record["sha256"]) == 64
    assert record["calibration"] == "test" and record["spec_hash"] == "0" * 16 and not record["allow_mismatch"]


def test_a_contrast_over_draws_reports_the_posterior_interval_and_sign_share():
    diff = np.array([0.1, 0.3, 0.2, 0.4, -0.5, -0.3])  # three draws of two seeds: means 0.2, 0.3, -0.4
    result = over_draws(diff, 3)
    assert result["draws_same_sign"] == pytest.approx(2 / 3)
    assert result["posterior_low"] < -0.3 and 0.25 < result["posterior_high"] < 0.3


def test_compare_with_a_posterior_adds_the_posterior_columns(posterior, tmp_path, monkeypatch):
    out = tmp_path / "cmp"
    assert run_main(monkeypatch, "task=compare", f"posterior={posterior}", "posterior_draws=2", "seeds=2",
                    "compare.dates=[2015-01]", "compare.metrics=[cohesion]", f"hydra.run.dir={out}") == 0
    table = pd.read_parquet(out / "compare.parquet")
    assert {"posterior_low", "posterior_high", "draws_same_sign"} <= set(table.columns)
    assert table["draws_same_sign"].between(0, 1).all() and (table["runs"] == 4).all()


@pytest.mark.parametrize("args, expected", [
    (["posterior=/nonexistent/posterior.parquet"], ["posterior", "/nonexistent", "calibration folder"]),
    (["task=validate", "posterior=/tmp"], ["posterior", "task=validate", "run, compare, score, sweep"]),
    (["posterior_draws=0"], ["posterior_draws", "[1, 10000]"]),
])
def test_bad_posterior_settings_are_refused_in_one_line(tmp_path, monkeypatch, capsys, args, expected):
    _run_cli(monkeypatch, capsys, args, tmp_path / "out", expected)


def test_a_sweep_with_a_posterior_runs_each_point_with_each_draw(posterior, tmp_path, monkeypatch):
    """The swept parameter keeps its design values; the others come from the draws; a
    different posterior in the same sweep folder is refused."""
    folder = tmp_path / "sweep"
    args = ["task=sweep", f"sweep.dir={folder}", "sweep.backend=serial", "sweep.seeds_per_point=1",
            "sweep.parameters.rally_gain.values=[0.5,1.0]", "sweep.parameters.memory.values=[10.0]",
            "posterior_draws=2"]
    assert run_main(monkeypatch, *args, f"posterior={posterior}") == 0
    runs = pd.read_parquet(folder / "runs.parquet")
    assert list(runs["draw"]) == [0, 1, 0, 1] and list(runs["rally_gain"]) == [0.5, 0.5, 1.0, 1.0]
    assert (runs["deference"] == 1.7).all()
    other = write_posterior(tmp_path / "other.parquet", pd.DataFrame({"deference": [1.2], "weight": [1.0]}))
    assert run_main(monkeypatch, *args, f"posterior={other}") != 0
