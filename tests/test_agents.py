"""The state agents as a Mesa user meets them: properties that read the engine's arrays at
the current quarter, opt-in agent reporters that leave the numbers alone, and AgentSet
queries that pick exactly the right states."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest

from sim.core.institutions import STATUS_NAMES
from sim.core.observables import STATE_METRICS
from sim.core.state import State
from sim.model import AGENT_QUANTITIES, ProtectiveIntegrationModel
from sim.scenarios.cast import NORMS

QUARTERS = (1, 24, 52, 72)  # after the first quarter, before Georgia, after Crimea, the end
STATES = ("RUS", "UZB", "KAZ", "IND")


def _agent(model: ProtectiveIntegrationModel, code: str):
    (agent,) = model.agents.select(lambda a: a.code == code)
    return agent


def _run_to(model: ProtectiveIntegrationModel, quarter: int) -> None:
    while model.steps < quarter:
        model.step()


def test_agent_properties_are_the_engines_entries_at_the_current_quarter(spec):
    model = ProtectiveIntegrationModel(spec.scenario, spec.params, seed=4)
    for quarter in QUARTERS:
        _run_to(model, quarter)
        recorded = model.observations()
        for code in STATES:
            agent, i = _agent(model, code), model.codes.index(code)
            for metric in ("insecurity", "legitimacy"):
                assert getattr(agent, metric) == recorded["states"][quarter - 1, i, STATE_METRICS.index(metric)]
            assert agent.pressure == model.pressure[i] and agent.power == model.power[i]
            assert agent.trust == {other: recorded["trust_in"][quarter - 1, i, j]
                                   for j, other in enumerate(model.codes) if other != code}
            assert agent.threat == {other: model.threat[i, j] for j, other in enumerate(model.codes) if j != i}
            for k, inst in enumerate(model.institution_codes):
                assert agent.engagement[inst] == recorded["engagement"][quarter - 1, i, k]
                assert agent.status[inst] == STATUS_NAMES[int(recorded["status"][quarter - 1, i, k])]
                assert agent.investment[inst] == model.investment[k, i]
            assert agent.norms == dict(zip(NORMS, model.norms[i]))


def test_every_per_state_array_of_the_engine_is_an_agent_property(spec):
    # distance (K, N, N) is a pair's, within an institution: the model's array, no agent's
    assert set(AGENT_QUANTITIES) == {f.name for f in fields(State) if "N" in f.metadata["shape"]} - {"distance"}
    model = ProtectiveIntegrationModel(spec.scenario, spec.params, seed=1)
    agent = _agent(model, "KGZ")
    n, k = model.n, len(model.institution_codes)
    for name in AGENT_QUANTITIES:
        value, shape = getattr(agent, name), getattr(model, name).shape
        size = {(n,): None, (n, n): n - 1, (k, n): k, (n, len(NORMS)): len(NORMS)}[shape]
        assert (not isinstance(value, dict)) if size is None else len(value) == size, name


def test_agent_reporters_are_opt_in_and_leave_the_numbers_alone(spec):
    plain = ProtectiveIntegrationModel(spec.scenario, spec.params, seed=7)
    watched = ProtectiveIntegrationModel(spec.scenario, spec.params, seed=7, agent_reporters="all")
    plain.run_model()
    watched.run_model()
    for group, values in plain.observations().items():
        np.testing.assert_array_equal(values, watched.observations()[group])
    assert plain.rows == watched.rows
    np.testing.assert_array_equal(plain.datacollector.get_model_vars_dataframe().to_numpy(),
                                  watched.datacollector.get_model_vars_dataframe().to_numpy())
    assert not plain.datacollector.agent_reporters
    frame = watched.datacollector.get_agent_vars_dataframe()
    assert len(frame) == plain.n_steps * plain.n
    uzb, i = frame[frame["code"] == "UZB"], plain.codes.index("UZB")
    recorded = plain.observations()
    np.testing.assert_array_equal(uzb["insecurity"].to_numpy(),
                                  recorded["states"][:, i, STATE_METRICS.index("insecurity")])
    np.testing.assert_array_equal(uzb["trust.RUS"].to_numpy(), recorded["trust_in"][:, i, plain.codes.index("RUS")])
    np.testing.assert_array_equal(uzb["engagement.CSTO"].to_numpy(), recorded["engagement"][:, i, 1])
    assert uzb["trust.UZB"].isna().all()


def test_agent_reporters_take_chosen_quantities_and_refuse_unknown_ones(spec):
    model = ProtectiveIntegrationModel(spec.scenario, spec.params, seed=2, agent_reporters=["insecurity", "status"])
    assert list(model.datacollector.agent_reporters) == ["code", "insecurity", "status.SCO", "status.CSTO"]
    with pytest.raises(ValueError, match="unknown \\['insecurity_level'\\]"):
        ProtectiveIntegrationModel(spec.scenario, spec.params, seed=2, agent_reporters=["insecurity_level"])


def test_select_and_groupby_pick_exactly_the_right_states(spec):
    model = ProtectiveIntegrationModel(spec.scenario, spec.params, seed=4)
    seen = set()
    for quarter in QUARTERS:
        _run_to(model, quarter)
        for k, inst in enumerate(model.institution_codes):
            for code, name in enumerate(STATUS_NAMES):
                chosen = model.agents.select(lambda a: a.status[inst] == name)
                assert set(chosen.get("code")) == {model.codes[i] for i in np.flatnonzero(model.status[k] == code)}
                if len(chosen):
                    seen.add(name)
        threshold = float(np.median(model.insecurity))
        insecure = model.agents.select(lambda a: a.insecurity > threshold)
        assert set(insecure.get("code")) == {model.codes[i] for i in np.flatnonzero(model.insecurity > threshold)}
        means = model.agents.groupby("region").agg("insecurity", np.mean)
        regions = model.engine.world.region
        assert means == pytest.approx({r: model.insecurity[regions == r].mean() for r in set(regions)}, abs=0)
    assert {"none", "active", "withdrawn"} <= seen  # the selections were not all empty
