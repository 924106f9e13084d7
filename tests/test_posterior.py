"""Posterior-aware tasks: runs drawn from a posterior sample, contrasts over the draws."""

from __future__ import annotations

import re
import tomllib
from dataclasses import asdict
from fnmatch import fnmatch
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import sim
from sim.app.config import DEFAULT_POSTERIOR_TASKS, PACKAGED_POSTERIOR, resolve
from sim.core.params import Params
from sim.analysis.calibration import posterior_draws, posterior_values
from sim.runs.ensemble import run_pairs, variance_split
from sim.io.store import parquet_record, write_parquet, write_yaml
from sim.analysis.compare import over_draws
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
    (["task=sensitivity", "posterior=/tmp"], ["posterior", "task=sensitivity", "run, compare, score, sweep, validate"]),
    (["posterior_draws=0"], ["posterior_draws", "[1, 10000]"]),
])
def test_bad_posterior_settings_are_refused_in_one_line(tmp_path, monkeypatch, capsys, args, expected):
    _run_cli(monkeypatch, capsys, args, tmp_path / "out", expected)


@pytest.mark.parametrize("posterior, centred", [("default", "around 2 posterior draws"),
                                                ("none", "around the parameters")])
def test_validate_centres_its_ensembles_on_the_packaged_posterior_unless_told_not_to(
        tmp_path, monkeypatch, capsys, posterior, centred):
    """The target table is read at the parameters either way; the ensembles say what they
    are centred on, and the run's config.yaml records the posterior they drew from."""
    out = tmp_path / "validate"
    run_main(monkeypatch, "task=validate", f"posterior={posterior}", "posterior_draws=2", "validate.seeds=1",
             "validate.data_points=1", "validate.seeds_per_point=1", f"hydra.run.dir={out}")
    assert f"Data robustness: 1 casts (ordinal codings +-0.10) {centred} x 1 seeds" in capsys.readouterr().out
    record = yaml.safe_load((out / "config.yaml").read_text())
    assert ("posterior" in record) == (posterior == "default")


def test_a_draw_picked_twice_is_written_out_in_full_in_the_record(tmp_path):
    """Draws by weight repeat particles: each repeat is spelled out in config.yaml, not an
    anchor and alias (`&id001`, `*id001`) a reader would have to look up."""
    draw = {"rally_gain": 2.8, "deference": 1.7}
    text = write_yaml({"draws": [draw, draw]}, tmp_path / "config.yaml").read_text()
    assert "&id" not in text and "*id" not in text and text.count("rally_gain: 2.8") == 2


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


# -- the packaged posterior, the default ensemble and the seed-only option ---------------

def test_the_packaged_posterior_records_what_made_it_and_matches_the_default_parameters():
    """The shipped sample loads under today's defaults (a change of a parameter outside
    its free ones refuses it: then recalibrate and run experiments/package_posterior.py)
    and carries the command, commit and settings of its calibration."""
    record = parquet_record(PACKAGED_POSTERIOR)
    assert record["kind"] == "posterior" and record["command"].startswith("python ")
    assert len(record["commit"]) == 40 and record["settings"]["free"].keys() == set(record["free"])
    draws = posterior_values(PACKAGED_POSTERIOR, 50, Params())
    assert len({tuple(d.values()) for d in draws}) > 10 and set(draws[0]) == set(record["free"])


def test_the_defaults_draw_from_the_packaged_posterior_for_run_compare_score_and_validate_only():
    specs = {task: resolve(sim.compose([f"task={task}", "observed=observed/history_2001_2018.yaml"]))
             for task in ("run", "compare", "score", "validate", "sweep")}
    for task in DEFAULT_POSTERIOR_TASKS:
        assert specs[task].config.posterior == str(PACKAGED_POSTERIOR)
        assert len(specs[task].draws) == 20 and specs[task].seeds == [0, 1]
    assert specs["sweep"].config.posterior == "" and not specs["sweep"].draws
    none = resolve(sim.compose(["posterior=none"]))
    assert not none.draws and none.seeds == list(range(20)) and none.runs() == [(Params(), s) for s in range(20)]
    assert resolve(sim.compose(["task=sweep", "posterior=packaged"])).config.posterior == str(PACKAGED_POSTERIOR)


def test_parameters_set_by_hand_make_the_default_ensemble_seed_only():
    """The packaged posterior was made at the default parameters: a run at other values
    asks what the model does there (a default value given explicitly changes nothing)."""
    by_hand = resolve(sim.compose(["params.rally_gain=3.0"]))
    assert not by_hand.draws and by_hand.runs()[0][0].rally_gain == 3.0 and len(by_hand.seeds) == 20
    assert len(resolve(sim.compose([f"params.rally_gain={Params().rally_gain}"])).draws) == 20


def test_the_main_job_runs_the_packaged_posterior_by_default(tmp_path, monkeypatch, capsys):
    out = tmp_path / "run"
    assert run_main(monkeypatch, "posterior_draws=3", "seeds=2", f"hydra.run.dir={out}") == 0
    runs = pd.read_parquet(out / "runs_summary.parquet")
    assert list(runs["draw"]) == [0, 0, 1, 1, 2, 2] and runs["rally_gain"].nunique() > 1
    record = yaml.safe_load((out / "config.yaml").read_text())["posterior"]
    assert record["file"] == str(PACKAGED_POSTERIOR) and record["commit"] == parquet_record(PACKAGED_POSTERIOR)["commit"]
    text = capsys.readouterr().out
    assert "6 runs (3 posterior draws x 2 seeds)" in text and "parameter and seed uncertainty" in text
    assert re.search(r"SCO +parameters \d+\.\d% / seeds \d+\.\d%", text)


def test_the_seed_only_option_reproduces_the_default_point_exactly(spec, tmp_path, monkeypatch, capsys):
    """posterior=none is today's seed-only ensemble: the same numbers as the engine at the
    default parameters on the same seeds, no draw column, and the summary says there is no
    parameter share."""
    out = tmp_path / "run"
    assert run_main(monkeypatch, "posterior=none", "seeds=3", f"hydra.run.dir={out}") == 0
    expected, decisions = run_pairs(spec.scenario, [(Params(), seed) for seed in range(3)])
    series = pd.read_parquet(out / "timeseries.parquet")
    pd.testing.assert_frame_equal(series, expected, check_categorical=False)
    pd.testing.assert_frame_equal(pd.read_parquet(out / "decisions.parquet"), decisions, check_categorical=False)
    assert "draw" not in pd.read_parquet(out / "runs_summary.parquet").columns
    assert "posterior" not in yaml.safe_load((out / "config.yaml").read_text())
    text = capsys.readouterr().out
    assert "over 3 seeds at fixed parameters: seed uncertainty only" in text and "Variance split: none" in text


def test_a_posterior_of_one_repeated_draw_leaves_the_parameters_no_share(posterior, tmp_path, monkeypatch, capsys):
    """Every draw is the same particle (all the weight on it), so the draws' means are
    equal and all of the variance is the seeds'."""
    out = tmp_path / "run"
    assert run_main(monkeypatch, f"posterior={posterior}", "posterior_draws=3", "seeds=3",
                    f"hydra.run.dir={out}") == 0
    text = capsys.readouterr().out
    assert "SCO    parameters 0.0% / seeds 100.0%" in text and "CSTO   parameters 0.0% / seeds 100.0%" in text


@pytest.mark.parametrize("values, share", [
    ([1.0, 1.0, 3.0, 3.0], 1.0),        # the draws differ, the seeds do not
    ([0.0, 2.0, 0.0, 2.0], 0.0),        # the seeds differ the same way in each draw
    ([0.0, 2.0, 4.0, 6.0], 0.8),        # means 1 and 5: variance 4 of the total 5
    ([0.5, 0.5, 0.5, 0.5], np.nan),     # no spread to split
    ([0.5, np.nan, 0.5, 0.5], np.nan),  # a missing value
])
def test_the_variance_split_follows_the_law_of_total_variance(values, share):
    result = variance_split(np.array(values), 2)
    assert np.isnan(result) if np.isnan(share) else result == pytest.approx(share)


def test_compare_pairs_each_draw_and_seed_across_scenarios(tmp_path, monkeypatch):
    """Before the annexation, history and no_crimea are the same scenario: paired by draw
    and seed, every difference is exactly zero, over the posterior too."""
    out = tmp_path / "cmp"
    assert run_main(monkeypatch, "task=compare", "scenarios=[history,no_crimea]", "posterior_draws=3", "seeds=2",
                    "compare.dates=[2012-01,2018-10]", "compare.metrics=[cohesion]", f"hydra.run.dir={out}") == 0
    table = pd.read_parquet(out / "compare.parquet").set_index(["institution", "date"])
    assert (table["runs"] == 6).all()
    before = table.xs("2012-01", level="date")
    assert (before[["difference", "ci_low", "ci_high", "posterior_low", "posterior_high"]] == 0).all().all()
    assert (table.xs("2018-10", level="date")["posterior_high"] > table.xs("2018-10", level="date")["posterior_low"]).all()


def test_the_packaged_posterior_is_package_data():
    """An installed (not editable) package holds the file only if a package-data pattern
    names it."""
    project = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    patterns = project["tool"]["setuptools"]["package-data"]["sim"]
    assert PACKAGED_POSTERIOR.is_file()
    assert any(fnmatch(PACKAGED_POSTERIOR.relative_to(PACKAGED_POSTERIOR.parents[1]).as_posix(), p) for p in patterns)


def test_a_sweep_over_the_packaged_posterior_resumes_a_lost_chunk_to_identical_tables(tmp_path, monkeypatch):
    """A chunk lost to a kill is run again on resume, with the same draws: the tables end
    as an uninterrupted sweep's."""
    folder = tmp_path / "sweep"
    args = ["task=sweep", "sweep.backend=serial", "sweep.seeds_per_point=1", "sweep.chunk_size=2",
            "~sweep.parameters.memory", "sweep.parameters.rally_gain.values=[1.0,2.0]", "posterior=packaged",
            "posterior_draws=2", f"sweep.dir={folder}"]
    assert run_main(monkeypatch, *args) == 0
    whole = pd.read_parquet(folder / "parts").sort_values(["run", "step", "entity", "metric"], ignore_index=True)
    parts = sorted((folder / "parts").glob("part-*.parquet"))
    assert len(parts) == 2
    parts[-1].unlink()
    assert run_main(monkeypatch, *args) == 0
    again = pd.read_parquet(folder / "parts").sort_values(["run", "step", "entity", "metric"], ignore_index=True)
    pd.testing.assert_frame_equal(whole, again)
    assert pd.read_parquet(folder / "runs.parquet")["deference"].nunique() == 2


def test_every_job_of_a_multirun_over_a_parameter_is_seed_only(tmp_path, monkeypatch):
    """A parameter set on the command line, even to its default value (rally_gain 1.5),
    turns the default posterior off, so the jobs of a multirun compare like with like."""
    folder = tmp_path / "multi"
    assert run_main(monkeypatch, "-m", "seeds=1", f"params.rally_gain=0.5,{Params().rally_gain}",
                    f"hydra.sweep.dir={folder}") == 0
    for job, gain in (("0", 0.5), ("1", Params().rally_gain)):
        runs = pd.read_parquet(folder / job / "runs_summary.parquet")
        assert "draw" not in runs and list(runs["rally_gain"]) == [gain]
