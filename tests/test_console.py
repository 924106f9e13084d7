"""What the tasks print: tables within 100 columns, and the notice while kernels compile."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

import sim.app.console as console
from sim.app.console import COLUMNS, COMPILE_NOTICE, console_table, uncompiled_kernels
from tests.helpers import run_main

KERNEL = '''
from numba import njit


@njit(cache=True)
def twice(x):
    return 2 * x
'''


def test_a_wide_table_is_cut_into_blocks_and_long_texts_shortened():
    frame = pd.DataFrame({f"column_{i}": np.arange(3) * 1000.5 for i in range(14)})
    frame["text"] = ["x" * 200, "short", "y" * 60]
    text = console_table(frame)
    assert max(map(len, text.splitlines())) <= COLUMNS
    assert text.count("column_0 ") == 1 and "column_13" in text     # every column, in blocks
    assert "xxx..." in text and "x" * 41 not in text


def test_a_wrapped_column_keeps_its_whole_text_beside_the_others():
    frame = pd.DataFrame({"target": [1, 2], "result": ["PASS", "FAIL"],
                          "name": ["Both persist; no SCO member leaves; Uzbekistan the only CSTO leaver; summits "
                                   "continue and nothing else happens at all in this long sentence", "short"]})
    lines = console_table(frame, wrap="name").splitlines()
    assert max(map(len, lines)) <= COLUMNS and len(lines) > 3
    assert lines[0].split() == ["target", "result", "name"]
    joined = " ".join(line[lines[0].index("name"):].strip() for line in lines[1:-1])
    assert joined == frame.loc[0, "name"]
    assert lines[-1].split() == ["2", "FAIL", "short"]


def test_a_kernel_counts_as_uncompiled_until_its_cache_is_written(tmp_path, monkeypatch):
    (tmp_path / "kernel_for_notice.py").write_text(KERNEL)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert uncompiled_kernels(("kernel_for_notice",)) == ["kernel_for_notice.twice"]
    assert sys.modules["kernel_for_notice"].twice(2) == 4
    assert uncompiled_kernels(("kernel_for_notice",)) == []


def test_the_notice_is_one_line_before_the_kernels_compile(tmp_path, monkeypatch, capsys):
    compiled = []
    monkeypatch.setattr(console, "uncompiled_kernels", lambda: ["sim.core.metrics.club_metrics"])
    monkeypatch.setattr(console, "run_batch", lambda scenario, runs: compiled.append(scenario.name))
    assert run_main(monkeypatch, "seeds=1", f"hydra.run.dir={tmp_path / 'out'}") == 0
    assert capsys.readouterr().err.splitlines() == [COMPILE_NOTICE]
    assert compiled == ["history"]
    monkeypatch.setattr(console, "uncompiled_kernels", lambda: [])
    assert run_main(monkeypatch, "seeds=1", f"hydra.run.dir={tmp_path / 'again'}") == 0
    assert capsys.readouterr().err == "" and compiled == ["history"]


def test_the_progress_bar_needs_no_notebook_widgets(monkeypatch):
    import tqdm.auto
    import tqdm.std
    import sim.extras
    monkeypatch.setattr(sim.extras, "installed", lambda module: module != "ipywidgets")
    assert sim.extras.progress_bar() is tqdm.std.tqdm      # without ipywidgets: no IProgress warning
    monkeypatch.setattr(sim.extras, "installed", lambda module: True)
    assert sim.extras.progress_bar() is tqdm.auto.tqdm
