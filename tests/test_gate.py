"""One gate for every value that reaches the model (issue 23): posterior files and their
draws, sweep designs and calibration particles pass the same checks as a config's
parameters; a posterior carries the identity of the calibration that made it. Each fault
ends in one line naming the file (and row), the field, the value and what is allowed, with
exit status 2 and nothing written."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.app.config import resolve
from sim.core.params import Params
from sim.errors import InputError
from sim.analysis.calibration import parse_calibration
from sim.io.calibration_store import CalibrationStore
from sim.runs.gate import checked
from tests.test_faults import _fails
from tests.test_posterior import write_posterior

GOOD = {"rally_gain": [1.0, 2.0], "deference": [1.5, 1.6], "weight": [1.0, 1.0]}


def _sample(tmp_path: Path, name: str = "posterior.parquet", **changes) -> Path:
    """A posterior file with GOOD's columns changed by `changes` (column: values)."""
    return write_posterior(tmp_path / name, pd.DataFrame({**GOOD, **changes}))


def _refused(monkeypatch, capsys, tmp_path: Path, args: list[str], expected: list[str]) -> str:
    """The command fails with status 2 in one line holding `expected`, writing no run folder."""
    out = tmp_path / "out"
    line = _fails(monkeypatch, capsys, [*args, "seeds=1", "posterior_draws=1", f"hydra.run.dir={out}"], 2)
    for part in expected:
        assert part in line, (part, line)
    assert not out.exists()
    return line


@pytest.mark.parametrize("column, values, expected", [
    ("rally_gain", [1.0, math.nan], ["row 1", "params.rally_gain", "nan", "a finite number"]),
    ("rally_gain", [1.0, -5.0], ["row 1", "params.rally_gain", "-5.0", "[0.0, 10.0]"]),
    ("deference", [1e6, 1.0], ["row 0", "params.deference", "1000000.0", "[0.0, 10.0]"]),
    ("rally_gain", [1.0, math.inf], ["row 1", "params.rally_gain", "inf"]),
])
def test_a_posterior_row_outside_what_params_allow_is_refused(column, values, expected, tmp_path, monkeypatch,
                                                             capsys):
    path = _sample(tmp_path, **{column: values})
    _refused(monkeypatch, capsys, tmp_path, [f"posterior={path}"], [str(path), *expected])


def test_posterior_cohesion_weights_that_do_not_sum_to_one_are_refused(tmp_path, monkeypatch, capsys):
    path = _sample(tmp_path, cohesion_trust=[0.9, 0.9], cohesion_congruence=[0.9, 0.9],
                   cohesion_engagement=[0.9, 0.9])
    _refused(monkeypatch, capsys, tmp_path, [f"posterior={path}"], [str(path), "row 0", "cohesion", "summing to 1"])


@pytest.mark.parametrize("task", ["run", "compare", "sweep", "score"])
def test_every_posterior_task_refuses_a_bad_sample(task, tmp_path, monkeypatch, capsys):
    path = _sample(tmp_path, rally_gain=[1.0, math.nan])
    extra = {"sweep": [f"sweep.dir={tmp_path / 'sweep'}"],
             "score": ["observed=observed/history_2001_2018.yaml"]}.get(task, [])
    _refused(monkeypatch, capsys, tmp_path, [f"task={task}", f"posterior={path}", *extra],
             [str(path), "params.rally_gain"])
    assert not (tmp_path / "sweep").exists()


def test_a_calibrations_populations_file_is_refused_as_a_posterior(tmp_path, monkeypatch, capsys):
    path = write_posterior(tmp_path / "populations.parquet", pd.DataFrame({**GOOD, "population": [0, 1]}),
                           kind="populations")
    for extra in ([], ["allow_mismatch=true"]):
        _refused(monkeypatch, capsys, tmp_path, [f"posterior={path}", *extra], [str(path), "populations"])
    bare = tmp_path / "bare.parquet"
    pd.DataFrame({**GOOD, "population": [0, 1]}).to_parquet(bare)  # no record: known by its column
    _refused(monkeypatch, capsys, tmp_path, [f"posterior={bare}", "allow_mismatch=true"], ["populations"])


def test_a_posterior_made_under_other_base_parameters_is_refused_unless_asked(tmp_path, monkeypatch, capsys):
    path = write_posterior(tmp_path / "posterior.parquet", pd.DataFrame(GOOD), base=Params(memory=8.0))
    _refused(monkeypatch, capsys, tmp_path, [f"posterior={path}"],
             [str(path), "params.memory", "10.0", "8.0", "allow_mismatch=true"])
    matching = resolve(sim.compose([f"posterior={path}", "posterior_draws=3", "params.memory=8"]))
    assert [d.memory for d in matching.draws] == [8.0] * 3
    asked = resolve(sim.compose([f"posterior={path}", "posterior_draws=3", "allow_mismatch=true"]))
    assert [d.memory for d in asked.draws] == [10.0] * 3


def test_a_posterior_with_no_record_of_its_calibration_is_refused_unless_asked(tmp_path, monkeypatch, capsys):
    bare = tmp_path / "bare.parquet"
    pd.DataFrame(GOOD).to_parquet(bare)
    _refused(monkeypatch, capsys, tmp_path, [f"posterior={bare}"], [str(bare), "calibration record",
                                                                    "allow_mismatch=true"])
    asked = resolve(sim.compose([f"posterior={bare}", "posterior_draws=4", "allow_mismatch=true"]))
    assert {d.rally_gain for d in asked.draws} <= {1.0, 2.0}


def test_the_free_parameters_of_a_posterior_may_differ_from_the_base(tmp_path):
    """Only the parameters the posterior does not hold must match: its own free ones are drawn."""
    path = write_posterior(tmp_path / "posterior.parquet", pd.DataFrame(GOOD), base=Params(rally_gain=0.1))
    spec = resolve(sim.compose([f"posterior={path}", "posterior_draws=2", "params.rally_gain=3.0"]))
    assert {d.rally_gain for d in spec.draws} <= {1.0, 2.0}


@pytest.mark.parametrize("parameters, expected", [
    (["+sweep.parameters.cohesion_trust.values=[0.4,0.9]"], ["design point 1", "cohesion", "summing to 1"]),
    (["+sweep.parameters.rally_gain.values=[1.5,11.0]"], ["sweep.parameters.rally_gain.values", "11.0",
                                                           "numbers in [0.0, 10.0]"]),
])
def test_a_sweep_design_point_the_gate_refuses_stops_before_the_sweep_folder(parameters, expected, tmp_path,
                                                                            monkeypatch, capsys):
    folder = tmp_path / "sweep"
    line = _fails(monkeypatch, capsys, ["task=sweep", "sweep.backend=serial", f"sweep.dir={folder}", *parameters,
                                        f"hydra.run.dir={tmp_path / 'out'}"], 2)
    for part in expected:
        assert part in line, line
    assert not folder.exists() and not (tmp_path / "out").exists()


def test_the_gate_names_where_a_parameter_set_came_from():
    with pytest.raises(InputError, match=r"^calibration 'x' particle 3: params.rally_gain = -1.0 is invalid"):
        checked(Params(), {"rally_gain": -1.0}, "calibration 'x' particle 3")
    assert checked(Params(), {"memory": 12.0}, "here").memory == 12.0


def test_a_calibration_particle_outside_the_ranges_never_reaches_the_model(tmp_path):
    from sim.analysis.calibration import Problem, simulate
    spec = parse_calibration({"name": "x", "free": {"rally_gain": None}, "particles": 4})
    problem = Problem(spec, {}, Params(), np.zeros(1), ["share_1"], engine=None)
    with pytest.raises(InputError, match=r"calibration 'x' particle 1: params.rally_gain = 11.0"):
        simulate(problem, np.array([[1.0], [11.0]]), np.zeros((2, 1), dtype=int))


def test_an_edited_generation_record_is_detected_on_resume(tmp_path, caplog):
    store = CalibrationStore(tmp_path)
    store.generations.mkdir(parents=True)
    population = pd.DataFrame({"rally_gain": [1.0, 2.0], "weight": [1.0, 1.0], "distance": [0.1, 0.2]})
    store.save(population, {"generation": 0, "epsilon": 0.2, "acceptance": 1.0, "simulated": 2, "seconds": 1.0})
    assert len(store.load()) == 1
    record = tmp_path / "generations" / "g000.json"
    data = json.loads(record.read_text())
    record.write_text(json.dumps({**data, "epsilon": 0.9}, indent=2))  # other valid JSON
    assert store.load() == [] and not record.exists()
    assert "edited" in caplog.text


@pytest.mark.parametrize("args, field", [
    (["task=sweep", "sweep.name=../../x"], "sweep.name"),
    (["task=sweep", "sweep.name=/tmp/x"], "sweep.name"),
    (["task=calibrate", "calibrate.name=../../x"], "calibrate.name"),
    (["task=calibrate", "calibrate.name=.."], "calibrate.name"),
])
def test_a_name_that_leaves_its_root_is_refused(args, field, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    line = _fails(monkeypatch, capsys, [*args, f"hydra.run.dir={tmp_path / 'out'}"], 2)
    assert field in line and "without a path" in line, line
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_resolver_in_the_calibrate_group_is_refused(tmp_path, monkeypatch, capsys):
    group = tmp_path / "cases" / "calibrate"
    group.mkdir(parents=True)
    (group / "mine.yaml").write_text("defaults:\n  - default\n  - _self_\nname: ${oc.env:HOME}\n")
    line = _fails(monkeypatch, capsys, ["task=calibrate", f"hydra.searchpath=[file://{tmp_path / 'cases'}]",
                                        "calibrate=mine", f"hydra.run.dir={tmp_path / 'out'}"], 2)
    assert "calibrate.name" in line and "${oc.env:HOME}" in line and "no interpolation" in line, line
