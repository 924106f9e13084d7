"""Start-up cost and optional extras: `import sim` is lazy, the main job loads none of the
libraries only other tasks use, and without Dask the main job runs while a Dask backend is
refused in one line naming the setting."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import sim

ROOT = Path(__file__).resolve().parent.parent
#: Libraries the main job (task=run) must not import: other tasks' (SciPy's stats: calibration,
#: compare, robustness; Dask: its backend; the Workbench: discover; SALib: sweeps; Solara: explorer).
NOT_FOR_THE_MAIN_JOB = ("scipy.stats", "dask", "distributed", "ema_workbench", "SALib", "solara")
#: A command line run as `python -m sim` is, with Dask made impossible to import.
WITHOUT_DASK = ("import sys; sys.modules['dask'] = sys.modules['distributed'] = None; "
                "from sim.__main__ import main; main()")


def _python(code: str, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, env=env, text=True,
                          capture_output=True, timeout=300)


def _loaded(code: str, modules: tuple[str, ...]) -> list[str]:
    """Which of `modules` are loaded after running `code` in a fresh interpreter."""
    done = _python(f"import sys; {code}; print(sorted(m for m in {modules!r} if m in sys.modules))")
    assert done.returncode == 0, done.stderr
    return eval(done.stdout)


def test_a_leaf_import_loads_no_third_party_library():
    heavy = ("numpy", "pandas", "scipy", "hydra", "omegaconf", "mesa", "matplotlib", "pyarrow", "dask")
    assert _loaded("import sim.errors", heavy) == []
    assert _loaded("import sim", heavy) == []


def test_the_command_line_loads_none_of_the_other_tasks_libraries():
    assert _loaded("import sim.__main__", NOT_FOR_THE_MAIN_JOB) == []


def test_the_api_names_load_on_first_use():
    from sim.model import ProtectiveIntegrationModel
    assert sim.ProtectiveIntegrationModel is ProtectiveIntegrationModel
    assert {"compose", "build_model", "run_ensemble", "ProtectiveIntegrationModel"} <= set(dir(sim))
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        sim.nothing  # noqa: B018


@pytest.mark.parametrize("args, setting", [
    (["task=sweep", "sweep.backend=dask"], "sweep.backend"),
    (["task=sensitivity", "sweep.backend=dask"], "sweep.backend"),
    (["task=calibrate", "calibrate.backend=dask"], "calibrate.backend"),
    (["task=validate", "validate.robustness=true", "validate.backend=dask"], "validate.backend"),
])
def test_a_dask_backend_without_dask_is_one_line_naming_the_setting(tmp_path, args, setting):
    done = _python(WITHOUT_DASK, "progress=false", *args, f"hydra.run.dir={tmp_path / 'out'}", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == (f"error: config: {setting} = 'dask' is invalid; allowed: serial or local (the dask "
                           f'backend needs Dask, an optional extra: pip install "protective-integration-sim[dask]")\n')
    assert list(tmp_path.iterdir()) == []


def test_a_multirun_job_without_dask_is_refused_the_same_way(tmp_path):
    done = _python(WITHOUT_DASK, "-m", "progress=false", "task=sweep", "sweep.backend=dask", cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.splitlines()[-1].startswith("error: config: sweep.backend = 'dask' is invalid")


def test_the_python_api_refuses_a_dask_sweep_without_dask_in_one_line():
    done = _python("import sys; sys.modules['dask'] = sys.modules['distributed'] = None\n"
                   "from sim.errors import InputError\nfrom sim.runs.sweep import parse_spec\n"
                   "try:\n    parse_spec({'name': 'x', 'backend': 'dask', 'parameters': {}})\n"
                   "except InputError as error:\n    print(error)")
    assert done.returncode == 0, done.stderr
    assert "sweep.backend = 'dask' is invalid" in done.stdout and "[dask]" in done.stdout


def test_the_main_job_and_a_local_sweep_run_without_dask(tmp_path):
    run = _python(WITHOUT_DASK, "seeds=2", "progress=false", f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "run" / "timeseries.parquet").exists() and (tmp_path / "run" / "cohesion.png").exists()
    sweep = _python(WITHOUT_DASK, "progress=false", "task=sweep", "sweep.backend=serial", "sweep.seeds_per_point=1",
                    "~sweep.parameters.memory", "sweep.parameters.rally_gain.values=[1.0]", cwd=tmp_path)
    assert sweep.returncode == 0, sweep.stderr
