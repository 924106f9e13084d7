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
from sim.experiments.ensemble import run_seeds

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
# endorsement), `blocked_by` who rejected the drafter's preferred text.

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
