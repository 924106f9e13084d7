# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 03 - Sweeps and sensitivity
#
# The sweep engine runs a design (grid, Latin hypercube, Sobol, Morris) over seeds in
# chunks, on a local process pool or Dask, into a resumable Parquet store; the runs of a
# chunk advance together as one batch, with the numbers each gives alone. Here: a small
# grid over the rally gain and the memory of experience, then a Morris screening.

# %%
import os
import tempfile
from pathlib import Path

import sim
from sim.app import plots
from sim.app.config import resolve
from sim.analysis.sensitivity import analyse, output_values
from sim.runs.sweep import design_points, parse_spec, problem, run_sweep

SEEDS = int(os.environ.get("NOTEBOOK_SEEDS", "3"))
spec = resolve(sim.compose([]))
folder = Path(tempfile.mkdtemp())
grid = parse_spec({"name": "notebook_grid", "design": "grid", "seeds_per_point": SEEDS,
                   "parameters": {"rally_gain": {"values": [0.5, 1.5, 3.0]},
                                  "memory": {"values": [6.0, 10.0, 14.0]}},
                   "metrics": ["cohesion"], "chunk_size": 9, "backend": "local", "workers": 2})
store = run_sweep(grid, {"history": spec.scenario}, spec.params, folder / "grid", progress=False)
store.runs().head()

# %% [markdown]
# ## A phase diagram: SCO cohesion at the end of 2018

# %%
outcome = "SCO:cohesion@2018-10"
values = output_values(store.timeseries(), [outcome]).merge(store.runs(), on=["run", "point"])
fig = plots.phase_diagram(values, "rally_gain", "memory", outcome)

# %% [markdown]
# ## Morris screening of four parameters (+-20% around the defaults)

# %%
bounds = {n: {"low": 0.8 * getattr(spec.params, n), "high": 1.2 * getattr(spec.params, n)}
          for n in ("rally_gain", "memory", "deference", "mandate_cost")}
morris = parse_spec({"name": "notebook_morris", "design": "morris", "samples": 3, "seeds_per_point": 2,
                     "parameters": bounds, "metrics": ["cohesion", "UZB:engagement.CSTO"],
                     "chunk_size": 10, "backend": "local", "workers": 2})
mstore = run_sweep(morris, {"history": spec.scenario}, spec.params, folder / "morris", progress=False)
outputs = ["SCO:cohesion@2018-10", "UZB:engagement.CSTO@2014-01"]
table = analyse("morris", problem(morris), design_points(morris),
                output_values(mstore.timeseries(), outputs), outputs)
table.round(4)

# %%
fig = plots.sensitivity_figure(table, "morris")
