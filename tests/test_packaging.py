"""A non-editable install (a wheel, `pip install .`, `pip install git+...`) works on its own:
the wheel carries the Hydra configs and the input data the code reads at run time, and the
command line run from a folder outside the repository finds them (issue: a wheel install
used to miss `configs/` and stop with "Primary config directory not found").

The wheel is built from a copy of the source (so the repository gets no `build/` folder),
installed without dependencies into a new virtual environment whose only other packages are
this interpreter's (a `.pth` line, so the editable install here is not seen), and run from
an empty folder."""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: What building the wheel needs from the source tree besides the package.
BUILD_FILES = ("pyproject.toml", "README.md", "LICENSE")
#: The package's folders of data the code reads at run time: every file in them must ship.
DATA_FOLDERS = ("sim/configs", "sim/data")


def _source_copy(target: Path) -> Path:
    """The files a wheel is built from, copied without caches (bytecode, numba's kernels)."""
    target.mkdir()
    for name in BUILD_FILES:
        shutil.copy2(ROOT / name, target / name)
    shutil.copytree(ROOT / "sim", target / "sim", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return target


def _run(command: list[str], cwd: Path, timeout: float = 180) -> subprocess.CompletedProcess:
    """Run `command` in `cwd` with no PYTHONPATH (nothing of the repository on the path)."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(command)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done


def _build_wheel(source: Path, folder: Path) -> Path:
    """The wheel pip builds from `source` (its own isolated build environment)."""
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(folder), str(source)],
         cwd=folder.parent)
    wheels = list(folder.glob("*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def _installed(wheel: Path, prefix: Path) -> Path:
    """The Python of a new virtual environment holding `wheel` (no dependencies) on top of
    this interpreter's site-packages."""
    venv.create(prefix, with_pip=False)
    python = prefix / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    purelib = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                        cwd=prefix).stdout.strip())
    ours = {*site.getsitepackages(), sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    (purelib / "_current_interpreter.pth").write_text("\n".join(sorted(ours)) + "\n")
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "--quiet",
          str(wheel)], cwd=prefix)
    return python


def test_a_wheel_install_runs_from_a_folder_outside_the_repository(tmp_path):
    wheel = _build_wheel(_source_copy(tmp_path / "source"), tmp_path / "wheel")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    data = {p.relative_to(ROOT).as_posix() for folder in DATA_FOLDERS for p in (ROOT / folder).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}
    assert "sim/configs/config.yaml" in data and "sim/data/posterior.parquet" in data
    assert data - shipped == set(), "package data missing from the wheel (pyproject's package-data)"

    python = _installed(wheel, tmp_path / "venv")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    listing = _run([str(python), "-m", "sim", "task=list"], cwd=elsewhere).stdout
    scenarios = listing.split("Scenarios (")[1].split("\n\n")[0]
    assert str(tmp_path / "venv") in scenarios, scenarios
    assert all(f"  {name} " in scenarios for name in ("history", "no_crimea", "quiet_future")), scenarios

    composed = _run([str(python), "-m", "sim", "--cfg", "job", "scenario=no_crimea"], cwd=elsewhere).stdout
    assert "task: run" in composed and "name: no_crimea" in composed, composed[:2000]

    check = ("import sim; from sim.app.config import compose, resolve; "
             "spec = resolve(compose(['task=compare'])); "
             "print(sim.__file__); print(spec.scenario.name, len(spec.draws), len(spec.seeds))")
    module, drawn = _run([str(python), "-c", check], cwd=elsewhere).stdout.splitlines()[-2:]
    assert Path(module).is_relative_to(tmp_path / "venv"), module
    assert drawn == "history 20 2", drawn
    assert list(elsewhere.iterdir()) == []
