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
# # 01 - The 2001-2018 history, read against the article
#
# We run the history scenario as a seed ensemble and read the model's outcomes against
# the article's account: persistence with low output, the rally after the colour
# revolutions, the Georgia and Crimea shocks, Uzbekistan's suspension, enlargement.
# `SEEDS` is kept small so the notebook runs in CI; raise it for real analysis.

# %%
import os


import sim
from sim.app import plots
from sim.app.config import resolve
from sim.runs.ensemble import run_seeds

SEEDS = int(os.environ.get("NOTEBOOK_SEEDS", "5"))
spec = resolve(sim.compose([]))
series, decisions = run_seeds(spec.scenario, spec.params, range(SEEDS))
print(f"{series['run'].nunique()} runs, {len(series):,} time-series rows, {len(decisions):,} decisions")

# %% [markdown]
# ## Cohesion over time
# Median and 50% / 90% bands over seeds; dotted lines mark shocks and accessions.

# %%
fig = plots.cohesion_figure(series, ["SCO", "CSTO"], "Cohesion, history", plots.event_markers(spec.scenario))

# %% [markdown]
# ## What each shock did to the components
# The article's claim is that Russia's support for separatism hit trust in the core
# statist norms: trust falls in 2008 and 2014, while congruence barely moves.

# %%
fig = plots.components_figure(series, ["SCO", "CSTO"])

# %% [markdown]
# ## Declarations: who blocked what
# Each text is bargained among the members in good standing: a member accepts only a
# text it likes at least as much as silence, so a veto holder is never condemned.
# Georgia 2008: the SCO stays silent (China will not endorse, Russia will not be
# condemned); the CSTO backs the military action but is silent on the recognition.
# Crimea 2014: silence in both. `score` is the adopted text (-1 condemnation ... +1
# endorsement), `blocked_by` who rejected the agenda setter's preferred text.

# %%
texts = decisions[decisions["kind"].isin(["declaration", "solidarity", "designation"])]
summary = (texts.groupby(["event", "institution", "topic"])
           .agg(outcome=("outcome", lambda s: s.value_counts().idxmax()), text=("score", "mean"),
                blocked_by=("blocked_by", lambda s: s.value_counts().idxmax())).reset_index())
summary

# %% [markdown]
# ## Recognition and the UN vote on Ukraine (2014)
# Nobody but Russia recognises (the highest recognition scores below). In the vote,
# states pulled both ways with comparable force (attachment to territorial integrity
# against ties to Russia) abstain: Kazakhstan and Kyrgyzstan hedge, as the article says.

# %%
rec = decisions[(decisions["event"] == "crimea_annexation") & (decisions["kind"] == "recognition")]
rec.groupby("state")["score"].mean().sort_values(ascending=False).head(5)

# %%
votes = decisions[decisions["kind"] == "vote"]
votes.groupby(["state", "outcome"]).size().unstack(fill_value=0)

# %% [markdown]
# ## Membership over time (one run)
# Uzbekistan suspends its CSTO membership after the 2010 revision; India and Pakistan
# join the SCO in 2017.

# %%
fig = plots.membership_timeline(series, ["SCO", "CSTO"])

# %% [markdown]
# ## Trust among SCO members before and after the shocks

# %%
fig = plots.trust_heatmap(series, "SCO", ["2007-10", "2015-01", "2018-10"])

# %% [markdown]
# ## The Mesa idiom: one run, its state agents and its DataCollector
# `ProtectiveIntegrationModel` is a `mesa.Model` (the ensembles above run the same engine
# without Mesa's per-run costs, with the same numbers). Its state agents sit in
# `model.agents`; each reads, as properties of the current quarter, every per-state
# quantity of the engine: `insecurity`, `legitimacy`, `pressure`, ..., `trust` and
# `threat` (keyed by the other states), `engagement` and `status` (keyed by institution),
# `norms` (keyed by norm). Agent reporters are opt-in (`agent_reporters=`), so batches stay
# fast. Here: step one run to 2012 and ask which states hedge in the CSTO, or have
# suspended, and how insecure their regimes are.

# %%
import numpy as np
import pandas as pd

from sim.model import ProtectiveIntegrationModel

model = ProtectiveIntegrationModel(spec.scenario, spec.params, seed=0,
                                   agent_reporters=["insecurity", "legitimacy", "engagement"])
while model.scenario.dates[model.steps] < "2012-01-01":
    model.step()
wavering = model.agents.select(lambda a: a.status["CSTO"] in ("hedging", "suspended"))
print(f"{model.scenario.dates[model.steps - 1]}: hedging or suspended in the CSTO: {wavering.get('code')}")
pd.DataFrame({"status": [a.status["CSTO"] for a in model.agents], "insecurity": model.agents.get("insecurity"),
              "engagement": [a.engagement["CSTO"] for a in model.agents]},
             index=model.agents.get("code")).query("status != 'none'").round(3)

# %% [markdown]
# Mean regime insecurity by CSTO status and by region (`AgentSet.groupby(...).agg`), and
# Uzbekistan's trust in the other members:

# %%
by_status = model.agents.groupby(lambda a: a.status["CSTO"]).agg("insecurity", np.mean)
by_region = model.agents.groupby("region").agg("insecurity", np.mean)
print(pd.Series(by_status, name="mean insecurity by CSTO status", dtype=float).round(3).to_string(), "\n")
print(pd.Series(by_region, name="mean insecurity by region", dtype=float).round(3).to_string())
uzbekistan = next(iter(model.agents.select(lambda a: a.code == "UZB")))
pd.Series(uzbekistan.trust).sort_values().round(3)

# %% [markdown]
# Run to the end; the DataCollector holds the institutions' metrics (one row per quarter)
# and the chosen agent quantities (one row per state and quarter).

# %%
model.run_model()
agents = model.datacollector.get_agent_vars_dataframe().reset_index()
engagement = agents.pivot_table(index="Step", columns="code", values="engagement.CSTO")
ax = engagement[["RUS", "KAZ", "KGZ", "TJK", "UZB", "ARM", "BLR"]].plot(figsize=(7, 3.2), ylabel="CSTO engagement")
model.datacollector.get_model_vars_dataframe()[["SCO.cohesion", "CSTO.cohesion"]].tail()
