"""The explorer's model and cohesion plot at the end of the horizon (no browser needed)."""

from __future__ import annotations

import numpy as np
import solara

from sim.app import CohesionPlot, ExplorerModel, cohesion_figure


def _state(model: ExplorerModel) -> tuple:
    return (model.steps, model.running, len(model.decisions), model.trust.copy(),
            np.stack(model.datacollector.model_vars["snapshot"]))


def test_stepping_a_finished_explorer_model_changes_nothing():
    model = ExplorerModel()
    model.run_model()
    assert not model.running and model.steps == model.n_steps
    before = _state(model)
    model.step()
    after = _state(model)
    assert before[:3] == after[:3]
    np.testing.assert_array_equal(before[3], after[3])
    np.testing.assert_array_equal(before[4], after[4])


def test_the_cohesion_plot_draws_the_quarters_collected_even_on_a_finished_model():
    model = ExplorerModel()
    assert not cohesion_figure(model).axes[0].lines
    model.run_model()
    model.step()
    lines = cohesion_figure(model).axes[0].lines
    assert len(lines) == len(model.institutions)
    assert {len(line.get_xdata()) for line in lines} == {model.n_steps}
    solara.render(CohesionPlot(model), handle_error=False)
