"""The ODD document stays current with the code: its parameter table (section 7.10) lists
every `Params` field with the default, range and neutral value the code has, and nothing else."""

from __future__ import annotations

import re
import tomllib
from dataclasses import MISSING, fields
from pathlib import Path

from sim.app.listing import GLOSSARY
from sim.core.params import CONSTANTS, MECHANISM, Params

ODD = Path(__file__).resolve().parent.parent / "docs" / "ODD.md"
ROW = re.compile(r"^\| `(\w+)` \| ([-\d.]+) \| \[([-\d.]+), ([-\d.]+)\] \| ([-\d.]+|-)(?: \((\w+)\))? \|")


def test_odd_parameter_table_matches_params():
    """Default, range, neutral value and kind (noise scale, observation weight) as the code has them."""
    table = {}
    for m in filter(None, map(ROW.match, ODD.read_text().splitlines())):
        name, default, low, high, neutral, kind = m.groups()
        table[name] = (float(default), float(low), float(high), None if neutral == "-" else float(neutral),
                       kind or MECHANISM)
    code = {}
    for f in fields(Params):
        assert f.default is not MISSING
        low, high = f.metadata["range"]
        neutral = f.metadata["neutral"]
        code[f.name] = (float(f.default), float(low), float(high), None if neutral is None else float(neutral),
                        f.metadata["kind"])
    assert table == code


def test_readme_glossary_matches_the_help():
    """The README's glossary explains every term `--help` does, in the same words."""
    readme = (ODD.parent.parent / "README.md").read_text()
    section = readme.split("### Glossary", 1)[1].split("\n### ", 1)[0]
    rows = dict(re.findall(r"^\| ([^|]+?) \| ([^|]+?) \|$", section, re.M)[1:])
    assert rows == GLOSSARY


def test_every_extra_the_readme_installs_exists():
    """`pip install -e ".[name]"` in the README names extras pyproject.toml defines; the
    notebooks extra holds what opening and running the notebooks needs, the test extra the
    dask extra's packages."""
    root = ODD.parent.parent
    extras = tomllib.loads((root / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    named = set(re.findall(r'pip install -e "\.\[(\w+)\]"', (root / "README.md").read_text()))
    assert {"dask", "notebooks", "test", "viz"} <= named <= set(extras)
    assert set(extras["dask"]) <= set(extras["test"])   # the suite (CI installs .[test]) tests the Dask backend
    packages = {re.split(r"[<>=\[ ]", item)[0] for item in extras["notebooks"]}
    assert {"jupytext", "nbconvert", "ipykernel", "jupyterlab"} <= packages


def test_odd_lists_every_fixed_assumption_with_its_value():
    """The fixed assumptions' table (7.10) holds exactly `CONSTANTS`, at the code's values,
    and none of them is also a parameter."""
    rows = dict(re.findall(r"^\| `(\w+)` \| ([-\d.]+) \| [^|\[]", ODD.read_text(), re.M))
    assert {name: float(value) for name, value in rows.items()} == {n: c.value for n, c in CONSTANTS.items()}
    assert not set(CONSTANTS) & {f.name for f in fields(Params)}
