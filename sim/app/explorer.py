"""Interactive explorer (Mesa SolaraViz): `python -m sim.app.explore` (Solara's telemetry and
version check off; `solara run sim/app/explorer.py` also works, with its version check).

Choose a scenario, move the sliders of key behavioural parameters and shock magnitudes,
press play, and watch cohesion and the trust among members evolve quarter by quarter.
"""

from __future__ import annotations

import os
from dataclasses import fields, replace
from functools import lru_cache

import numpy as np
import solara
import solara.checks
import solara.server.settings
from matplotlib.figure import Figure
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from sim.app.config import RunSpec, compose, resolve
from sim.app.explore import TELEMETRY
from sim.core.institutions import GOOD_STANDING, STATUS_NAMES
from sim.model import ProtectiveIntegrationModel
from sim.core.params import Params
from sim.app.plots import PALETTE

if TELEMETRY not in os.environ:  # no usage telemetry unless asked for (also under `solara run`)
    solara.server.settings.telemetry.mixpanel_enable = False


def _no_install_check() -> bool:
    """Solara's first-run check embeds a hidden frame to solara.dev in the served page, so
    every browser that opens it would call out: never (whatever the telemetry setting)."""
    return False


solara.checks.should_perform_solara_check = _no_install_check

TITLE = "Protective integration explorer"
#: What the page says it is, above the plots.
DESCRIPTION = ("An agent-based model of protective integration in the SCO and the CSTO, 2001-2018: choose a "
               "scenario, move the sliders (behavioural parameters, shock magnitudes), press Reset, then Play "
               "or Step to watch each organisation's cohesion and the trust among its members quarter by quarter.")
SCENARIOS = ["history", "no_crimea", "no_georgia_recognition", "sco_enlarge_tm_mn", "no_bri",
             "no_csto_revision", "turkey_joins_sco", "iran_joins_sco", "no_sco_enlargement"]
SHOCKS = {"georgia_magnitude": "georgia_war", "crimea_magnitude": "crimea_annexation"}
#: The behavioural parameters the sliders move, with their labels; each slider starts at the
#: parameter's default and spans its documented range (`Params` field metadata).
SLIDERS = {"rally_gain": "Rally gain", "betrayal_exposure": "Betrayal x exposure",
           "deference": "Deference to the agenda setter", "w_legitimacy": "Legitimation weight"}
#: Steps of a slider over its parameter's documented range: fine enough that the defaults (posterior
#: medians to three significant digits) sit on a step.
SLIDER_STEPS = 5000
#: The statuses of a member in good standing, by name (what a state agent's `status` reads).
GOOD_STANDING_NAMES = tuple(STATUS_NAMES[code] for code in GOOD_STANDING)
#: The parameters' defaults, where the sliders and the model's arguments start.
DEFAULTS = Params()


@lru_cache(maxsize=None)
def _spec(name: str) -> RunSpec:
    return resolve(compose([f"scenario={name}"]))


class ExplorerModel(ProtectiveIntegrationModel):
    """The model built from a scenario name, slider values and shock magnitudes."""

    def __init__(self, scenario_name: str = "history", rally_gain: float = DEFAULTS.rally_gain,
                 betrayal_exposure: float = DEFAULTS.betrayal_exposure, deference: float = DEFAULTS.deference,
                 w_legitimacy: float = DEFAULTS.w_legitimacy, georgia_magnitude: float = 0.7,
                 crimea_magnitude: float = 1.0, seed: int = 0) -> None:
        spec = _spec(scenario_name)
        magnitudes = {SHOCKS[k]: v for k, v in (("georgia_magnitude", georgia_magnitude),
                                                   ("crimea_magnitude", crimea_magnitude))}
        events = [replace(e, magnitude=magnitudes[e.key]) if e.key in magnitudes else e
                  for e in spec.scenario.events]
        super().__init__(replace(spec.scenario, events=events), spec.params, seed=int(seed),
                         rally_gain=rally_gain, betrayal_exposure=betrayal_exposure,
                         deference=deference, w_legitimacy=w_legitimacy)

    scenario = property(
        lambda self: None, ProtectiveIntegrationModel.scenario.fset,
        doc="""None here: Mesa 3.5's SolaraViz reads a model's `scenario` as Mesa's own record
        of an experiment (`mesa.experimental.scenarios.Scenario`) and refuses any other, so
        the explorer's model shows it none; the scenario it runs is `model.engine.scenario`.""")


def cohesion_figure(model: ExplorerModel) -> Figure:
    """Cohesion of each institution in the quarters the model's DataCollector has recorded;
    its line starts at its founding (the metrics are NaN before, which matplotlib leaves
    undrawn)."""
    fig = Figure(figsize=(7, 3.6), layout="constrained")
    ax = fig.subplots()
    frame = model.datacollector.get_model_vars_dataframe()
    quarters = len(frame)
    scenario = model.engine.scenario
    dates = scenario.dates[:quarters]
    if quarters:
        for k, code in enumerate(model.institution_codes):
            ax.plot(range(quarters), frame[f"{code}.cohesion"].to_numpy(), color=PALETTE[k], label=code)
        ax.set_xticks(range(0, quarters, 8), [d[:4] for d in dates[::8]])
        ax.legend(loc="lower right")
    ax.set_ylim(0.6, 1.0)
    ax.set_xlabel("Quarter")
    ax.set_ylabel("Cohesion (0-1)")
    shown = dates[-1] if quarters else scenario.dates[0]
    ax.set_title(f"Cohesion, {scenario.name}, {shown[:7]}")
    return fig


@solara.component
def CohesionPlot(model: ExplorerModel) -> None:
    """The cohesion figure, redrawn at every step."""
    update_counter.get()
    solara.FigureMatplotlib(cohesion_figure(model))


def trust_figure(model: ExplorerModel) -> Figure:
    """Current trust among the members in good standing of the first institution, read
    from the state agents (the members: `model.agents.select` on their status there)."""
    code = model.institution_codes[0]
    members = model.agents.select(lambda agent: agent.status[code] in GOOD_STANDING_NAMES)
    fig = Figure(figsize=(4.6, 4), layout="constrained")
    ax = fig.subplots()
    if members:
        labels = sorted(members.get("code"), key=model.codes.index)
        trust = {agent.code: agent.trust for agent in members}
        matrix = [[trust[i][j] if i != j else np.nan for j in labels] for i in labels]
        image = ax.imshow(matrix, vmin=0, vmax=1, cmap="viridis")
        ax.set_xticks(range(len(labels)), labels, rotation=90)
        ax.set_yticks(range(len(labels)), labels)
        fig.colorbar(image, ax=ax, label="Trust (0-1)")
    ax.set_title(f"{code} trust among members")
    return fig


@solara.component
def TrustHeatmap(model: ExplorerModel) -> None:
    """The trust heatmap, redrawn at every step."""
    update_counter.get()
    solara.FigureMatplotlib(trust_figure(model))


def _slider(value: float, low: float, high: float, step: float, label: str) -> dict:
    return {"type": "SliderFloat", "value": value, "min": low, "max": high, "step": step, "label": label}


def parameter_slider(name: str, label: str) -> dict:
    """A slider of a behavioural parameter: its default, over its documented range."""
    low, high = next(f for f in fields(Params) if f.name == name).metadata["range"]
    return _slider(getattr(DEFAULTS, name), low, high, (high - low) / SLIDER_STEPS, label)


MODEL_PARAMS = {
    "scenario_name": {"type": "Select", "value": "history", "values": SCENARIOS, "label": "Scenario"},
    **{name: parameter_slider(name, label) for name, label in SLIDERS.items()},
    "georgia_magnitude": _slider(0.7, 0.0, 1.0, 0.05, "Georgia 2008 magnitude"),
    "crimea_magnitude": _slider(1.0, 0.0, 1.0, 0.05, "Crimea 2014 magnitude"),
    "seed": {"type": "InputText", "value": 0, "label": "Seed"},
}

SLIDER_VALUES_SHOWN = """
.v-slider__thumb-label-container { display: block !important; }
.v-input__slider { padding-top: 14px; }
"""
"""Vuetify shows a slider's value (its thumb label) only while it is dragged: always show
it, with room above the slider."""


@solara.component
def Page() -> None:
    """The explorer of one browser session, with a model of its own (created on its first
    render; Reset replaces it with one built from the session's slider values)."""
    model = solara.use_reactive(solara.use_memo(ExplorerModel, dependencies=[]))
    solara.Title(TITLE)
    solara.Markdown(DESCRIPTION)
    solara.Style(SLIDER_VALUES_SHOWN)
    SolaraViz(model, components=[CohesionPlot, TrustHeatmap], model_params=MODEL_PARAMS,
              name=TITLE, play_interval=50)
