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
# # 02 - Counterfactuals
#
# What if Russia had not annexed Crimea, or not recognised Abkhazia and South Ossetia?
# What if the SCO had admitted Turkmenistan and Mongolia instead of India and Pakistan?
# Each counterfactual is a small Hydra override of the history (`configs/scenario/`); we
# compare them with the history on the same seeds (paired differences, bootstrap CIs).

# %%
import os

import sim
from sim.app import plots
from sim.analysis.compare import differences
from sim.app.config import resolve
from sim.runs.ensemble import run_seeds
from sim.runs.ensemble_view import EnsembleView

SEEDS = range(int(os.environ.get("NOTEBOOK_SEEDS", "5")))
names = ["history", "no_crimea", "no_georgia_recognition", "sco_enlarge_tm_mn"]
runs, events, titles = {}, {}, {"history": "the 2001-2018 history"}
for name in names:
    config = sim.compose([f"scenario={name}"])
    spec = resolve(config)
    runs[name] = run_seeds(spec.scenario, spec.params, SEEDS)
    events[name] = plots.event_markers(spec.scenario)
    titles.setdefault(name, config.scenario.description)

# %% [markdown]
# ## Cohesion trajectories
#
# One row per counterfactual against the history (the wide black line, grey bands): the
# counterfactual is the dashed line on top, its 50% band hatched and its 90% band outlined.
# An event only one of the two has is named in the panel, saying which.

# %%
fig = plots.trajectories_figure({n: runs[n][0] for n in names}, ["SCO", "CSTO"], events=events, titles=titles)

# %% [markdown]
# ## Paired differences from the history

# %%
views = {name: EnsembleView(*tables) for name, tables in runs.items()}
table = differences("history", views, ["SCO", "CSTO"], ["2010-01", "2015-01", "2018-10"],
                    ["cohesion", "trust"], resamples=1000)
table.round(4)

# %%
fig = plots.comparison_figure({n: runs[n][0] for n in names}, table, ["SCO", "CSTO"])

# %% [markdown]
# ## Without recognition in 2008, SCO members trust Russia more in 2010

# %%
members = ["CHN", "KAZ", "KGZ", "TJK", "UZB"]
for name in ("history", "no_georgia_recognition"):
    trust = sum(views[name].at(s, "trust_in.RUS", "2010-01") for s in members) / len(members)
    print(f"{name:24s} mean SCO trust in Russia, 2010Q1: {trust.mean():.3f}")
