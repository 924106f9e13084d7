"""Model code never branches on a date or a state's name: outcomes come from mechanisms."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from sim.scenarios.cast import load_cast

SIM = Path(__file__).resolve().parent.parent / "sim"
#: The engine (every module of sim/core), the scenario side that feeds it and the Mesa adapter.
MODEL_MODULES = (*sorted(p.relative_to(SIM).as_posix() for package in ("core", "scenarios")
                         for p in (SIM / package).glob("*.py")), "model.py")
YEAR = re.compile(r"^(19|20)\d\d(-\d\d(-\d\d)?)?$")


def _literals(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, (str, int)):
            yield node


def test_model_modules_name_no_state_and_no_date():
    codes = set(load_cast().codes)
    offences = []
    for name in MODEL_MODULES:
        tree = ast.parse((SIM / name).read_text())
        for node in _literals(tree):
            value = node.value
            if isinstance(value, str) and (value in codes or YEAR.match(value)):
                offences.append(f"{name}:{node.lineno}: {value!r}")
            if isinstance(value, int) and not isinstance(value, bool) and 1900 <= value <= 2100:
                offences.append(f"{name}:{node.lineno}: {value}")
    assert not offences, offences


def test_the_scan_covers_the_engine():
    assert {"core/engine.py", "core/processes.py", "core/decisions.py", "core/operations.py",
            "scenarios/events.py", "model.py"} <= set(MODEL_MODULES)


def test_scanner_catches_a_planted_branch(tmp_path):
    planted = ast.parse('if state == "UZB" and year >= 2012:\n    pass\n')
    found = [n.value for n in _literals(planted)]
    assert "UZB" in found and 2012 in found
