"""Inputs that used to give wrong numbers with exit 0 (or a traceback): dates outside the
horizon, NaN and infinities, repeated or contradictory table rows, bad encodings. Each is
now one line naming the file and the field, exit status 2, no traceback, no results."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.scenarios.cast import DEFAULT_RELATIONS, DEFAULT_STATES, load_cast
from sim.runs.ensemble_view import EnsembleView
from tests.test_bad_input import _run_cli

HORIZON = "2001-01 to 2018-12"

OVERRIDE_CASES = {
    "compare date before the start": (["task=compare", "compare.dates=[1999-01]"],
                                      ["compare.dates", "'1999-01'", HORIZON, "scenario 'history'"]),
    "compare date after the end": (["task=compare", "compare.dates=[2012-01,2030-04]"],
                                   ["compare.dates", "'2030-04'", HORIZON]),
    "compare month 13": (["task=compare", "compare.dates=[2007-13]"],
                         ["compare.dates", "'2007-13'", "a real month"]),
    "plot month 13": (["plot.dates=[2007-13]"], ["plot.dates", "'2007-13'", "a real month"]),
    "sensitivity output after the end": (["task=sensitivity", "sensitivity.outputs=[SCO:cohesion@2030-01]"],
                                         ["sensitivity.outputs", "'SCO:cohesion@2030-01'", HORIZON]),
    "validated scenario shorter than the targets": (["task=validate", "scenario.end=2018-06"],
                                                    ["scenario", "'history'", "2001-07 to 2018-10"]),
    "NaN charter weight": (["scenario.institutions.SCO.charter.non_interference=nan"],
                           ["history.yaml", "institutions.SCO.charter.non_interference", "nan", "finite weight"]),
    "infinite charter weight": (["scenario.institutions.CSTO.charter.anti_extremism=inf"],
                                ["history.yaml", "institutions.CSTO.charter.anti_extremism", "inf", "finite weight"]),
    "NaN parameter": (["params.trust_gain=nan"], ["params.trust_gain", "nan", "a finite number"]),
    "infinite parameter": (["params.memory=inf"], ["params.memory", "inf", "a finite number"]),
    "NaN network threshold": (["plot.network_threshold=nan"], ["plot.network_threshold", "nan", "[0, 1)"]),
    "NaN sensitivity spread": (["sensitivity.spread=nan"], ["sensitivity.spread", "nan", "(0, 1)"]),
}


@pytest.mark.parametrize("case", sorted(OVERRIDE_CASES))
def test_bad_override_is_one_line(case, tmp_path, monkeypatch, capsys):
    args, expected = OVERRIDE_CASES[case]
    _run_cli(monkeypatch, capsys, args, tmp_path / "out", expected)


def test_plot_date_outside_the_run_is_one_line(tmp_path, monkeypatch, capsys):
    results = tmp_path / "results"
    results.mkdir()
    (results / "timeseries.parquet").write_bytes(b"")
    err = _run_cli(monkeypatch, capsys, ["task=plot", f"results={results}", "plot.dates=[2030-01]"],
                   tmp_path / "out")
    assert "plot.dates" in err and "'2030-01'" in err and HORIZON in err
    assert not (results / "figures").exists()


STATES = DEFAULT_STATES.read_text(encoding="utf-8")
RELATIONS = DEFAULT_RELATIONS.read_text(encoding="utf-8")
IND_PAK = "IND,PAK,rivalry,0.9,"

TABLE_CASES = {
    "NaN state value": ("states", STATES.replace("KAZ,illiberalism,0.85", "KAZ,illiberalism,nan"),
                        ["KAZ.illiberalism", "'nan'", "a finite number"]),
    "infinite power": ("states", STATES.replace("KAZ,power,0.018", "KAZ,power,inf"),
                       ["KAZ.power", "'inf'", "a finite number"]),
    "repeated state attribute": ("states", STATES + "KAZ,illiberalism,0.2,Test,Second row\n",
                                 ["KAZ/illiberalism", "'0.2'", "one row per (state, attribute)", "already given in row 35"]),
    "NaN relation": ("relations", RELATIONS.replace(IND_PAK, "IND,PAK,rivalry,nan,"),
                     ["row 2 value", "'nan'", "a finite number"]),
    "infinite relation": ("relations", RELATIONS.replace(IND_PAK, "IND,PAK,rivalry,-inf,"),
                          ["row 2 value", "'-inf'", "a finite number"]),
    "repeated relation": ("relations", RELATIONS + "IND,PAK,rivalry,0.3,Test,Second row\n",
                          ["IND/PAK/rivalry", "'0.3'", "one row per (state, other, kind)", "already given in row 2"]),
    "symmetric relation both ways": ("relations", RELATIONS + "PAK,IND,rivalry,0.3,Test,Reverse row\n",
                                     ["PAK/IND/rivalry", "0.3", "reverse row 2 (0.9)", "symmetric"]),
    "relation to itself": ("relations", RELATIONS + "KAZ,KAZ,partnership,0.5,Test,Self\n",
                           ["other", "'KAZ'", "a state other than KAZ"]),
    "short row": ("relations", RELATIONS + "KAZ,RUS\n", ["kind", "None", "a value in every column"]),
    "not UTF-8": ("states", STATES.replace("China", "Chine \xe9").encode("latin-1"),
                  ["encoding", "'not UTF-8'", "a UTF-8 CSV text file"]),
    "binary file": ("relations", bytes(range(256)) * 4, ["encoding", "'not UTF-8'", "a UTF-8 CSV text file"]),
    "states table without rows": ("states", STATES.splitlines()[0] + "\n", ["rows", "0", "at least one state"]),
}


def _table_args(tmp_path: Path, which: str, content: str | bytes) -> tuple[list[str], Path]:
    path = tmp_path / f"{which}.csv"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return [f"{which}_file={path}"], path


@pytest.mark.parametrize("case", sorted(TABLE_CASES))
def test_bad_table_is_one_line(case, tmp_path, monkeypatch, capsys):
    which, content, expected = TABLE_CASES[case]
    args, path = _table_args(tmp_path, which, content)
    err = _run_cli(monkeypatch, capsys, args, tmp_path / "out", expected)
    assert str(path) in err


def test_byte_order_mark_is_tolerated(tmp_path):
    states, relations = tmp_path / "states.csv", tmp_path / "relations.csv"
    states.write_text("\ufeff" + STATES, encoding="utf-8")
    relations.write_text("\ufeff" + RELATIONS, encoding="utf-8")
    cast, packaged = load_cast(states, relations), load_cast()
    assert cast.codes == packaged.codes
    assert all(np.array_equal(cast.relations[k], packaged.relations[k]) for k in packaged.relations)


def test_symmetric_relation_repeated_with_the_same_value_is_accepted(tmp_path):
    relations = tmp_path / "relations.csv"
    relations.write_text(RELATIONS + "PAK,IND,rivalry,0.9,Test,Reverse row\n", encoding="utf-8")
    cast = load_cast(DEFAULT_STATES, relations)
    i, j = cast.index("IND"), cast.index("PAK")
    assert cast.relations["rivalry"][i, j] == cast.relations["rivalry"][j, i] == 0.9


def _view(first: str = "2001-01-01", steps: int = 4, runs: int = 2) -> EnsembleView:
    dates = pd.date_range(first, periods=steps, freq="QS")
    series = pd.DataFrame([{"run": r, "step": t, "date": dates[t], "entity": "SCO", "metric": "cohesion",
                            "value": 10.0 * r + t} for r in range(runs) for t in range(steps)])
    return EnsembleView(series, pd.DataFrame())


def test_ensemble_view_reads_dates_inside_its_quarters():
    view = _view()
    assert [view.step(d) for d in ("2001-01", "2001-03", "2001-04", "2001-12")] == [0, 0, 1, 3]
    assert view.at("SCO", "cohesion", "2001-12").tolist() == [3.0, 13.0]


@pytest.mark.parametrize("date", ["2000-10", "2002-01", "1999-01", "2001-13", "2001-1", "2001-07-01", ""])
def test_ensemble_view_refuses_a_date_outside_it(date):
    view = _view()
    with pytest.raises(ValueError, match="outside this ensemble.*2001-01 to 2001-12"):
        view.step(date)
    with pytest.raises(ValueError):
        view.at("SCO", "cohesion", date)


def test_real_process_refuses_a_compare_date_before_the_start(tmp_path):
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "sim", "task=compare", "compare.dates=[1999-01]",
                           f"hydra.run.dir={out}"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "Traceback" not in done.stderr
    assert "compare.dates" in done.stderr and "1999-01" in done.stderr and not out.exists()
