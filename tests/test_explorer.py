"""The explorer's model and cohesion plot at the end of the horizon, and its launcher's
privacy defaults (no browser needed)."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys

import numpy as np
import solara

from sim.app import explore
from sim.app.explorer import MODEL_PARAMS, SLIDERS, CohesionPlot, ExplorerModel, cohesion_figure, trust_figure
from sim.core.params import Params


def _state(model: ExplorerModel) -> tuple:
    return (model.running, len(model.decisions), model.trust.copy(),
            model.datacollector.get_model_vars_dataframe().to_numpy())


def test_stepping_a_finished_explorer_model_changes_nothing():
    model = ExplorerModel()
    model.run_model()
    assert not model.running and model.steps == model.n_steps
    before = _state(model)
    model.step()
    after = _state(model)
    assert before[:2] == after[:2]
    np.testing.assert_array_equal(before[2], after[2])
    np.testing.assert_array_equal(before[3], after[3])


def test_the_cohesion_plot_draws_the_quarters_collected_even_on_a_finished_model():
    model = ExplorerModel()
    assert not cohesion_figure(model).axes[0].lines
    model.run_model()
    model.step()
    lines = cohesion_figure(model).axes[0].lines
    assert len(lines) == len(model.institutions)
    assert {len(line.get_xdata()) for line in lines} == {model.n_steps}
    solara.render(CohesionPlot(model), handle_error=False)


def test_the_cohesion_plot_draws_what_the_data_collector_recorded():
    model = ExplorerModel()
    for _ in range(30):
        model.step()
    (line, *_) = cohesion_figure(model).axes[0].lines
    recorded = model.datacollector.get_model_vars_dataframe()[f"{model.institution_codes[0]}.cohesion"]
    np.testing.assert_array_equal(line.get_ydata(), recorded.to_numpy())


def test_the_trust_heatmap_shows_the_members_trust_read_through_the_agents():
    model = ExplorerModel()
    for _ in range(40):
        model.step()
    ax = trust_figure(model).axes[0]
    members = np.flatnonzero(model.institutions[0].good)
    expected = model.trust[np.ix_(members, members)].copy()
    np.fill_diagonal(expected, np.nan)
    np.testing.assert_array_equal(np.ma.filled(ax.images[0].get_array(), np.nan), expected)
    assert [label.get_text() for label in ax.get_xticklabels()] == [model.codes[i] for i in members]


def test_the_launcher_turns_solara_telemetry_and_version_check_off(monkeypatch):
    calls = []
    monkeypatch.delenv(explore.TELEMETRY, raising=False)
    monkeypatch.setattr("solara.__main__.cli", calls.append)
    explore.main(["--port", "9999"])
    assert os.environ[explore.TELEMETRY] == "False"
    assert calls == [["run", str(explore.APP), "--no-check-version", "--host", "127.0.0.1", "--port", "9999"]]


def test_the_launcher_keeps_a_chosen_host_and_telemetry_setting(monkeypatch):
    monkeypatch.setenv(explore.TELEMETRY, "True")
    monkeypatch.setattr("solara.__main__.cli", lambda args: None)
    explore.main([])
    assert os.environ[explore.TELEMETRY] == "True"
    assert explore.solara_arguments(["--host", "0.0.0.0"]).count("--host") == 1


def test_the_app_switches_telemetry_off_under_solara_run():
    env = {k: v for k, v in os.environ.items() if k != explore.TELEMETRY}
    code = "import sim.app.explorer, solara.server.settings as s; print(s.telemetry.mixpanel_enable)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert done.stdout.strip() == "False", done.stderr[-2000:]


def test_the_parameter_sliders_start_at_the_defaults_and_span_the_documented_ranges():
    for name in SLIDERS:
        slider, field = MODEL_PARAMS[name], Params.__dataclass_fields__[name]
        assert (slider["min"], slider["max"]) == field.metadata["range"]
        assert slider["value"] == field.default == inspect.signature(ExplorerModel).parameters[name].default
        steps = (slider["value"] - slider["min"]) / slider["step"]
        assert abs(steps - round(steps)) < 1e-9  # the default sits on a step of the slider
