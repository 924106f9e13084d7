"""Every command of the README's *Everyday use* block runs, in order, in a fresh folder, at
small sizes (the same command with smaller seeds, points and samples): no failure, nothing
on stderr (no warning), no printed line over 100 columns; the error examples print the
lines the README shows."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from sim.app.console import COLUMNS
from tests.helpers import run_main

README = Path(__file__).resolve().parent.parent / "README.md"
#: Smaller sizes for every command (a key the command sets takes this value instead).
SMALL = {"seeds": "2", "validate.seeds": "2", "validate.points": "2", "validate.seeds_per_point": "1",
         "validate.prior_draws": "2", "validate.reference_seeds": "1", "validate.null_runs": "2", "compare.resamples": "100",
         "sweep.seeds_per_point": "2", "sweep.samples": "4", "sweep.workers": "1",
         "sensitivity.samples": "2", "sensitivity.seeds_per_point": "1", "sensitivity.parameters": "[memory,rally_gain]",
         "calibrate.particles": "8", "calibrate.generations": "2", "calibrate.seeds_per_particle": "1",
         "posterior_draws": "2"}
#: Keys each task reads (the others would not change what it runs).
TASK_KEYS = {"run": ("seeds", "posterior_draws"), "validate": ("validate.",),
             "compare": ("seeds", "compare.", "posterior_draws"), "sweep": ("sweep.",), "sensitivity": ("sensitivity.",),
             "score": ("seeds", "posterior_draws"), "calibrate": ("calibrate.",)}


def everyday_commands() -> list[str]:
    """The `python -m sim ...` lines of the *Everyday use* block, without their comments."""
    text = README.read_text(encoding="utf-8")
    block = text.split("## Everyday use", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    return [line.split(" #", 1)[0].strip() for line in block.splitlines() if line.startswith("python -m sim")]


def error_examples() -> list[tuple[str, str]]:
    """The `$ python -m sim ...` examples of the README with the line each prints."""
    return re.findall(r"^\$ python -m sim (.+)\n(error: .+)$", README.read_text(encoding="utf-8"), re.M)


def smaller(arguments: list[str]) -> list[str]:
    """`arguments` with every size the task reads replaced (or added) from `SMALL`."""
    given = dict(a.split("=", 1) for a in arguments if "=" in a and not a.startswith("-"))
    task = given.get("task", "run")
    keys = [k for k in SMALL if any(k == p or k.startswith(p) for p in TASK_KEYS.get(task, ()))]
    if "-m" in arguments:
        keys = ["seeds", "posterior_draws"]
    if task == "validate" and "validate.data_points" in given:
        given["validate.data_points"] = "1"
    if task == "validate" and given.get("validate.ablation") == "true":
        keys.remove("validate.seeds")
        given["validate.seeds"] = "1"
    flags = [a for a in arguments if a.startswith("-")]
    return [*flags, *(f"{k}={v}" for k, v in {**given, **{k: SMALL[k] for k in keys}}.items())]


def _hydra_multirun_line(line: str, command: str) -> bool:
    """Hydra's lines naming a multirun's jobs (`Launching 3 jobs locally`, `#0 : ...`)."""
    return " -m " in f" {command} " and bool(re.match(r"\[?.*(Launching \d+ jobs|#\d+ : )", line))


def test_the_block_has_the_commands_this_test_expects():
    commands = everyday_commands()
    assert len(commands) >= 20 and commands[0] == "python -m sim task=list"
    assert any("task=discover results=latest" in c for c in commands)
    assert not any(re.search(r"\d{4}-\d\d-\d\d", c) for c in commands)   # no folder to copy from a terminal


def test_every_everyday_command_runs_quietly_within_100_columns(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "observed").symlink_to(README.parent / "observed")     # the README runs from the repository
    for command in everyday_commands():
        arguments = smaller(shlex.split(command)[3:])
        status = run_main(monkeypatch, *arguments)
        printed = capsys.readouterr()
        allowed = (0, 1) if "task=validate" in command else (0,)   # 1: a target fails at 2 seeds (documented)
        assert status in allowed, f"{command}: {printed.err}"
        if "verbose=true" not in command:   # verbose: log lines on stderr, by design
            noise = [line for line in printed.err.splitlines() if not _hydra_multirun_line(line, command)]
            assert not noise, f"{command}: {printed.err}"
        wide = [line for line in printed.out.splitlines() if len(line) > COLUMNS]
        assert not wide, f"{command}: {wide[0]}"


@pytest.mark.parametrize("arguments, line", error_examples())
def test_the_error_examples_print_what_the_readme_shows(tmp_path, monkeypatch, capsys, arguments, line):
    monkeypatch.chdir(tmp_path)
    assert run_main(monkeypatch, *shlex.split(arguments)) == 2
    assert capsys.readouterr().err.strip() == line
