"""Size limits and the run folder: a job above the caps, a horizon past the maximum, YAML
aliases in user files and a folder holding earlier results are each refused in one line
(exit 2, no traceback, nothing written) naming the field and the override."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from sim.app.cli import main
from sim.app.config import compose, resolve_posterior
from sim.app.job_size import check_size
from tests.test_bad_input import HISTORY, _run_cli, _scenario_case

BOMB = 'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: [*b,*b,*b,*b,*b]\n'

LIMIT_CASES = {
    "a billion seeds": (["seeds=1000000000"], ["seeds = 1000000000", "allow_large=true", "GB"]),
    "a hundred thousand seeds": (["seeds=100000"], ["seeds = 100000", "allow_large=true", "run-quarters"]),
    "validation too large": (["task=validate", "validate.seeds=10000"], ["validate.seeds = 10000", "allow_large=true"]),
    "end in year 9999": (["scenario.end=9999-12"], ["history.yaml", "end = '9999-12'", "1900 to 2200"]),
    "horizon over 400 quarters": (["scenario.end=2120-12"], ["end = '2120-12'", "at most 400 quarters"]),
}


@pytest.mark.parametrize("case", sorted(LIMIT_CASES))
def test_over_the_limits_is_one_line(case, tmp_path, monkeypatch, capsys):
    args, expected = LIMIT_CASES[case]
    _run_cli(monkeypatch, capsys, args, tmp_path / "out", expected)


def _resolved(overrides: list[str]):
    """A composed config with its posterior resolved, as `resolve` hands it to `check_size`."""
    cfg = compose(overrides)
    resolve_posterior(cfg)
    return cfg


def test_allow_large_passes_the_check():
    cfg = _resolved(["seeds=1000000000", "posterior=none"])
    with pytest.raises(Exception, match="allow_large=true"):
        check_size(cfg, 72)
    size = check_size(_resolved(["seeds=1000000000", "allow_large=true", "posterior=none"]), 72)
    assert size.too_large() and size.run_quarters == 72 * 10**9
    over_draws = check_size(_resolved(["seeds=1000000000", "allow_large=true", "posterior_draws=20"]), 72)
    assert over_draws.run_quarters == 20 * 72 * 10**9


def test_compare_is_sized_by_the_series_it_keeps():
    """A comparison keeps the institutions' series as arrays, not the long tables: 40,000
    runs fit where a run of 20,000 seeds (its long tables) is refused (seed-only: a posterior
    multiplies both by its draws)."""
    size = check_size(_resolved(["task=compare", "scenarios=[history,no_crimea]", "seeds=20000", "posterior=none"]), 72)
    assert size.run_quarters == 2 * 20000 * 72 and 1e9 < size.bytes < 4e9
    with pytest.raises(Exception, match="allow_large=true"):
        check_size(_resolved(["seeds=20000", "posterior=none"]), 72)


def test_scenario_alias_bomb_is_one_line(tmp_path, monkeypatch, capsys):
    args, path = _scenario_case(tmp_path, HISTORY + BOMB)
    err = _run_cli(monkeypatch, capsys, args, tmp_path / "out")
    assert str(path) in err and "line 4" in err and "'&a'" in err and "without anchors or aliases" in err


def test_observed_alias_bomb_is_one_line(tmp_path, monkeypatch, capsys):
    observed = tmp_path / "observed.yaml"
    observed.write_text("name: bomb\n" + BOMB)
    err = _run_cli(monkeypatch, capsys, ["task=score", "seeds=2", f"observed={observed}"], tmp_path / "out")
    assert str(observed) in err and "'&a'" in err and "without anchors or aliases" in err


def _main(monkeypatch, args: list[str]) -> None:
    monkeypatch.setattr(sys, "argv", ["sim", *args])
    main()


def _snapshot(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*")}


@pytest.fixture(scope="module")
def earlier_run(tmp_path_factory) -> Path:
    """A run folder holding a finished run's results, plus a stale figure and a user's file."""
    folder = tmp_path_factory.mktemp("earlier") / "run"
    mp = pytest.MonkeyPatch()
    _main(mp, ["seeds=2", "progress=false", f"hydra.run.dir={folder}"])
    mp.undo()
    (folder / "figures").mkdir()
    (folder / "figures" / "cohesion.png").write_bytes(b"old")
    (folder / "notes.txt").write_text("mine")
    return folder


def test_existing_results_are_refused(earlier_run, monkeypatch, capsys):
    before = _snapshot(earlier_run)
    monkeypatch.setattr(sys, "argv", ["sim", "seeds=2", f"hydra.run.dir={earlier_run}"])
    with pytest.raises(SystemExit) as stop:
        main()
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "hydra.run.dir" in err and str(earlier_run) in err and "overwrite=true" in err
    assert _snapshot(earlier_run) == before


def test_overwrite_replaces_results(earlier_run, monkeypatch, capsys):
    _main(monkeypatch, ["seeds=3", "progress=false", "overwrite=true", "output.format=csv",
                        f"hydra.run.dir={earlier_run}"])
    assert not (earlier_run / "timeseries.parquet").exists()
    assert not (earlier_run / "figures" / "cohesion.png").exists()
    assert (earlier_run / "timeseries.csv").exists() and (earlier_run / "notes.txt").read_text() == "mine"
    assert "seeds: 3" in (earlier_run / "config.yaml").read_text()


def test_limits_is_a_leaf_that_knows_no_task():
    """`sim.limits` (which the scenarios import) imports nothing of the package but its
    faults, at any level: the job-size estimate, which reads every task, is in sim.app."""
    import ast
    import sim.limits
    tree = ast.parse(Path(sim.limits.__file__).read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert {m for m in imported if m.startswith("sim")} == {"sim.errors"}

