"""User files on `hydra.searchpath` (issue 23): Hydra looks in the packaged configs first,
so a user file named like a packaged one (a `scenario/history.yaml`) would be ignored
without a word; it is refused in one line instead, before anything is written, and a user
file under its own name is the one used."""

from __future__ import annotations

from pathlib import Path

import pytest

import sim
from sim.app.config import resolve
from tests.test_faults import _fails


def _cases(tmp_path: Path, name: str, folder: str = "my cases") -> Path:
    """A user config folder (with a space in its path) holding scenario/NAME.yaml: the
    history, ending in 2019."""
    root = tmp_path / folder
    (root / "scenario").mkdir(parents=True)
    (root / "scenario" / f"{name}.yaml").write_text(f"defaults:\n  - history\n  - _self_\nname: {name}\n"
                                                    "end: \"2019-12\"\n")
    return root


@pytest.mark.parametrize("flags", [[], ["-m"]])
def test_a_user_file_named_like_a_packaged_one_is_refused(flags, tmp_path, monkeypatch, capsys):
    root = _cases(tmp_path, "history")
    monkeypatch.chdir(tmp_path)
    line = _fails(monkeypatch, capsys, [*flags, f"hydra.searchpath=['file://{root}']", "seeds=1",
                                        "params.memory=6,8" if flags else "params.memory=6",
                                        f"hydra.run.dir={tmp_path / 'out'}"], 2)
    assert str(root / "scenario" / "history.yaml") in line and "configs/scenario/history.yaml" in line, line
    assert "scenario=my_history" in line, line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["my cases"]


def test_a_user_file_under_its_own_name_is_the_one_used(tmp_path):
    root = _cases(tmp_path, "my_history")
    spec = resolve(sim.compose([f"hydra.searchpath=['file://{root}']", "scenario=my_history"]))
    assert spec.scenario.name == "my_history" and spec.scenario.dates[-1].startswith("2019-1")
