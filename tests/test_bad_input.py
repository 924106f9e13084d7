"""Bad input: one line naming the file, the field, the value and what is allowed;
a non-zero exit; no traceback; no results written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sim.app.cli import main

HISTORY = "defaults:\n  - history\n  - _self_\n"


def _run_cli(monkeypatch, capsys, args: list[str], out: Path, expected: tuple[str, ...] | list[str] = (),
             status: int | None = None) -> str:
    """Run the command line, which must refuse: a non-zero exit (`status` when given), one
    stderr line holding every `expected` fragment, no traceback, no results folder. Returns the line."""
    monkeypatch.setattr(sys, "argv", ["sim", *args, f"hydra.run.dir={out}"])
    with pytest.raises(SystemExit) as stop:
        main()
    assert stop.value.code not in (0, None)
    assert status is None or stop.value.code == status, stop.value.code
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert "Traceback" not in err
    assert not out.exists()
    for fragment in expected:
        assert fragment in err, (fragment, err)
    return err


def _refused_scenario(tmp_path: Path, monkeypatch, capsys, body: str, expected: list[str]) -> None:
    """A user scenario file `body` is refused in one line naming the file and `expected`."""
    args, path = _scenario_case(tmp_path, body)
    err = _run_cli(monkeypatch, capsys, args, tmp_path / "out", expected)
    assert str(path) in err


def _scenario_case(tmp_path: Path, body: str) -> tuple[list[str], Path]:
    folder = tmp_path / "user"
    (folder / "scenario").mkdir(parents=True)
    path = folder / "scenario" / "case.yaml"
    path.write_text(body)
    return [f"hydra.searchpath=[file://{folder}]", "scenario=case"], path


def _event(line: str) -> str:
    return HISTORY + "events:\n  probe: " + line + "\n"


SCENARIO_CASES = {
    "unknown event kind": (_event('{kind: invasion, date: "2014-03", state: UKR}'),
                           ["events.probe.kind", "'invasion'", "separatism_support"]),
    "unknown state": (_event('{kind: crackdown, date: "2010-03", state: XYZ, magnitude: 0.5}'),
                      ["events.probe.state", "'XYZ'", "state code"]),
    "unknown institution": (_event('{kind: statement, date: "2010-03", institution: NATO, theme: anti_extremism}'),
                            ["events.probe.institution", "'NATO'", "SCO, CSTO"]),
    "date outside horizon": (_event('{kind: crackdown, date: "2025-03", state: KAZ, magnitude: 0.5}'),
                             ["events.probe.date", "'2025-03'", "2001-01 to 2018-12"]),
    "accession of a current member": (_event('{kind: accession, date: "2010-03", institution: SCO, state: KAZ}'),
                                      ["events.probe.state", "'KAZ'", "not already a member"]),
    "suspension of a non-member": (_event('{kind: suspension, date: "2010-03", institution: CSTO, state: CHN}'),
                                   ["events.probe.state", "'CHN'", "current member of CSTO"]),
    "negative magnitude": (_event('{kind: crackdown, date: "2010-03", state: KAZ, magnitude: -0.2}'),
                           ["events.probe.magnitude", "-0.2", "[0.0, 1.0]"]),
    "out-of-range magnitude": (_event('{kind: crackdown, date: "2010-03", state: KAZ, magnitude: 3}'),
                               ["events.probe.magnitude", "3", "[0.0, 1.0]"]),
    "missing field": (_event('{kind: crackdown, date: "2010-03", state: KAZ}'),
                      ["events.probe.magnitude", "None", "required"]),
    "unknown field": (_event('{kind: crackdown, date: "2010-03", state: KAZ, magnitude: 0.5, colour: red}'),
                      ["events.probe.colour", "'red'", "fields of 'crackdown'"]),
    "wrong type": (_event('{kind: separatism_support, date: "2010-03", actor: RUS, target: GEO, magnitude: 0.5, recognition: maybe}'),
                   ["events.probe.recognition", "'maybe'", "true or false"]),
    "malformed date": (_event('{kind: crackdown, date: "2010/03/05", state: KAZ, magnitude: 0.5}'),
                       ["events.probe.date", "'2010/03/05'", "YYYY-MM-DD"]),
    "YAML syntax error": (_event('{kind: crackdown, date: "2010-03", state: KAZ'),
                          ["case.yaml", "line", "YAML syntax error"]),
    # non-finite numbers, which would otherwise run and write NaN tables
    "infinite power": (_event('{kind: leadership_change, date: "2010-03", state: KAZ, attributes: {power: .inf}}'),
                       ["events.probe.attributes.power", "inf", "a finite number >= 0.0"]),
    "NaN power": (_event('{kind: leadership_change, date: "2010-03", state: KAZ, attributes: {power: .nan}}'),
                  ["events.probe.attributes.power", "nan", "a finite number >= 0.0"]),
    "NaN norm": (_event('{kind: leadership_change, date: "2010-03", state: KAZ, norms: {anti_extremism: .nan}}'),
                 ["events.probe.norms.anti_extremism", "nan", "[0.0, 1.0]"]),
    "NaN magnitude": (_event('{kind: crackdown, date: "2010-03", state: KAZ, magnitude: .nan}'),
                      ["events.probe.magnitude", "nan", "[0.0, 1.0]"]),
    "infinite magnitude": (_event('{kind: crackdown, date: "2010-03", state: KAZ, magnitude: .inf}'),
                           ["events.probe.magnitude", "inf", "[0.0, 1.0]"]),
}


@pytest.mark.parametrize("case", sorted(SCENARIO_CASES))
def test_bad_scenario_is_one_line(case, tmp_path, monkeypatch, capsys):
    _refused_scenario(tmp_path, monkeypatch, capsys, *SCENARIO_CASES[case])


OVERRIDE_CASES = {
    "unknown parameter": (["params.nonsense=1"], ["params.nonsense", "'1'", "trust_gain"]),
    "parameter of wrong type": (["params.trust_gain=abc"], ["params.trust_gain", "'abc'", "Float"]),
    "parameter out of range": (["params.memory=0.5"], ["params.memory", "0.5", "[1.0, 200.0]"]),
    "unknown top-level key": (["colour=red"], ["colour", "'red'", "keys of configs/config.yaml"]),
    "unknown scenario": (["scenario=atlantis"], ["scenario", "'atlantis'", "no_crimea"]),
    "bad seeds": (["seeds=0"], ["seeds", "0", "positive integer"]),
    "negative data points": (["task=validate", "validate.data_points=-1"],
                             ["validate.data_points", "-1", "[0, 100000]"]),
    "no null runs": (["task=validate", "validate.null_runs=0"], ["validate.null_runs", "0", "[1, 100000]"]),
    "unknown task": (["task=dance"], ["task", "'dance'", "run, validate, calibrate, compare"]),
    "unknown backend": (["sweep.backend=gpu"], ["command line: sweep.backend", "'gpu'", "serial, local, dask"]),
    "unknown sweep key": (["sweep.colour=red"], ["sweep.colour", "'red'", "keys of sweep", "seeds_per_point"]),
    "calibration setting of wrong type": (["calibrate.particles=many"],
                                          ["calibrate.particles", "'many'", "an integer in [4, 1000000]"]),
    "unknown statistics mode": (["calibrate.statistics=means"], ["calibrate.statistics", "shares_and_values"]),
    "unknown validation split": (["validate.split=space"], ["validate.split", "'space'", "null (none) or time"]),
    "unknown state in an override": (["scenario.events.georgia_war.actor=ATLANTIS"],
                                     ["events.georgia_war.actor", "'ATLANTIS'", "state code"]),
    "unknown institution in an override": (["scenario.events.csto_revision.institution=NATO"],
                                           ["events.csto_revision.institution", "'NATO'", "SCO, CSTO"]),
}


@pytest.mark.parametrize("case", sorted(OVERRIDE_CASES))
def test_bad_override_is_one_line(case, tmp_path, monkeypatch, capsys):
    args, expected = OVERRIDE_CASES[case]
    _run_cli(monkeypatch, capsys, args, tmp_path / "out", expected)


GROUP_FILE_CASES = {
    "unknown backend": ("backend: gpu\n", ["sweep.backend", "'gpu'", "serial, local, dask"]),
    "unknown key": ("colour: red\n", ["sweep.colour", "keys of sweep", "seeds_per_point"]),
    "wrong type": ("samples: many\n", ["sweep.samples", "'many'", "an integer >= 1"]),
}


@pytest.mark.parametrize("case", sorted(GROUP_FILE_CASES))
def test_a_sweep_file_the_schema_refuses_is_one_line_naming_it(case, tmp_path, monkeypatch, capsys):
    body, expected = GROUP_FILE_CASES[case]
    folder = tmp_path / "user"
    (folder / "sweep").mkdir(parents=True)
    (folder / "sweep" / "case.yaml").write_text("name: case\n" + body)
    _run_cli(monkeypatch, capsys, ["task=sweep", f"hydra.searchpath=[file://{folder}]", "sweep=case"],
             tmp_path / "out", ["sweep/case.yaml: ", *expected])


def test_bad_states_table_is_one_line(tmp_path, monkeypatch, capsys):
    table = tmp_path / "states.csv"
    source = Path(__file__).resolve().parent.parent / "sim" / "data" / "states.csv"
    table.write_text(source.read_text().replace("KAZ,illiberalism,0.85", "KAZ,illiberalism,1.85"))
    err = _run_cli(monkeypatch, capsys, [f"states_file={table}"], tmp_path / "out")
    assert str(table) in err and "KAZ.illiberalism" in err and "1.85" in err and "[0, 1]" in err


def test_real_process_exits_2_without_traceback(tmp_path):
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "sim", "params.trust_gain=-3", f"hydra.run.dir={out}"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "Traceback" not in done.stderr
    assert "params.trust_gain" in done.stderr and not out.exists()
