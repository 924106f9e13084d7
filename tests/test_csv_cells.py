"""CSV cells safe for spreadsheets and text that reads back as written (issue 23): a text
cell starting like a formula (= + - @, tab, carriage return), starting with an apostrophe,
or reading NaN is written with a leading apostrophe, and `read_table` gives back exactly
the text; a missing value stays missing."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pandas as pd
import pytest

from sim.io.store import FORMULA_PREFIXES, read_table, table_columns, write_csv
from tests.helpers import run_main

TEXTS = ['=HYPERLINK("http://evil.example","x")', "=cmd|' /C calc'!A0", "+1", "-2", "@SUM(A1)", "\tx", "\rx",
         "'quoted", "NaN", "", "plain", "a=b"]


def test_text_cells_are_written_safe_and_read_back_as_written(tmp_path):
    rows = len(TEXTS) + 1
    frame = pd.DataFrame({"name": TEXTS + [None], "kind": pd.Categorical(["-x"] * rows),
                          "value": [float(i) for i in range(len(TEXTS))] + [math.nan], "=col": ["ok"] * rows})
    path = write_csv(frame, tmp_path / "t.csv")
    with path.open(newline="") as handle:
        cells = [cell for row in csv.reader(handle) for cell in row]
    assert not any(cell.startswith(FORMULA_PREFIXES) for cell in cells), cells
    back = read_table(path)
    assert back["name"].tolist()[:-1] == TEXTS and pd.isna(back["name"].iloc[-1])
    assert back["kind"].tolist() == ["-x"] * rows
    assert back["value"].tolist()[:-1] == frame["value"].tolist()[:-1] and math.isnan(back["value"].iloc[-1])
    assert list(back.columns) == list(frame.columns) == table_columns(path)


@pytest.mark.parametrize("name", ["NaN", '=HYPERLINK("http://evil.example")'])
def test_a_scenario_name_reads_back_from_the_run_tables(name, tmp_path, monkeypatch):
    root = tmp_path / "cases"
    (root / "scenario").mkdir(parents=True)
    quoted = name.replace('"', '\\"')
    (root / "scenario" / "odd.yaml").write_text(f'defaults:\n  - history\n  - _self_\nname: "{quoted}"\n')
    out = tmp_path / "run"
    assert run_main(monkeypatch, f"hydra.searchpath=[file://{root}]", "scenario=odd", "seeds=1", "posterior=none",
                    "output.format=both", f"hydra.run.dir={out}") == 0
    assert read_table(out / "runs_summary.csv")["scenario"].tolist() == [name]
    assert pd.read_parquet(out / "runs_summary.parquet")["scenario"].tolist() == [name]
    assert not (out / "runs_summary.csv").read_text().splitlines()[1].split(",")[1].startswith(("=", '"='))
