"""The engine: lean records, the observables registry and the typed state."""

from __future__ import annotations

from dataclasses import fields, replace

import numpy as np

from sim.core.engine import Engine, run_engine
from sim.core.observables import GROUPS, INSTITUTION_METRICS, OBSERVABLES, groups_for
from sim.core.state import State


def test_a_lean_record_holds_the_same_numbers_for_what_it_keeps(spec):
    runs = [(spec.params, seed) for seed in (0, 1, 2)]
    full = run_engine(spec.scenario, runs)
    lean = run_engine(spec.scenario, runs, groups_for(["cohesion", "UZB:engagement.CSTO"]))
    silent = run_engine(spec.scenario, runs, groups_for(["cohesion"]), decisions=False)
    for a, b, c in zip(full, lean, silent):
        assert set(b.observations()) == {"institutions", "engagement"}
        for group in b.observations():
            np.testing.assert_array_equal(a.observations()[group], b.observations()[group])
        assert a.rows == b.rows and len(a.rows) > 50
        np.testing.assert_array_equal(a.observations()["institutions"], c.observations()["institutions"])
        assert c.rows == []


def test_metric_specs_name_the_groups_they_read():
    assert groups_for(["cohesion"]) == ("institutions",)
    assert groups_for(["SCO:n_suspended", "RUS:legitimacy"]) == ("institutions", "states")
    assert groups_for(["UZB:engagement.CSTO", "KAZ:trust_in.RUS"]) == ("engagement", "trust_in")
    assert groups_for([]) == ()


def test_every_observable_is_recorded_with_its_declared_entities(spec):
    engine = Engine(spec.scenario, [spec.params], [0])
    engine.step()
    frame = engine.result(0).observations()
    assert tuple(frame) == GROUPS
    n, k = len(engine.world.codes), len(engine.world.institutions)
    assert frame["institutions"].shape == (1, k, len(INSTITUTION_METRICS))
    sizes = {"state": n, "institution": k, "great_power": len(engine.world.great_powers)}
    for o in OBSERVABLES:
        if o.per:
            assert frame[o.name].shape == (1, n, sizes[o.per]), o.name
    assert not np.isnan(frame["trust_in"]).any()


def test_the_state_declares_every_array_with_runs_leading(spec):
    engine = Engine(spec.scenario, [spec.params] * 4, [0, 1, 2, 3])
    n, k = len(engine.world.codes), len(engine.world.institutions)
    sizes = {"N": n, "K": k, "D": engine.state.norms.shape[2]}
    for f in fields(State):
        array = getattr(engine.state, f.name)
        assert array.shape == (4, *(sizes[s] for s in f.metadata["shape"])), f.name
        assert array.dtype == np.dtype(f.metadata["dtype"]), f.name


def test_the_engine_runs_what_a_scenario_compiles_to(spec):
    """A `Plan` alone (no scenario object) gives the scenario's numbers; the same plan
    without its dated effects gives other numbers and no decision."""
    plan = spec.scenario.compile()
    assert spec.scenario.compile() is plan
    direct = run_engine(spec.scenario, [(spec.params, 3)])[0]
    compiled = run_engine(plan, [(spec.params, 3)])[0]
    for group, values in direct.observations().items():
        np.testing.assert_array_equal(values, compiled.observations()[group])
    assert compiled.rows == direct.rows and compiled.scenario is plan
    quiet = run_engine(replace(plan, actions=tuple(() for _ in plan.actions)), [(spec.params, 3)])[0]
    assert quiet.rows == [] and not np.array_equal(quiet.observations()["states"], direct.observations()["states"])


def test_an_event_compiles_to_its_effect_with_states_and_institutions_as_positions(spec):
    crackdown = next(e for e in spec.scenario.events if e.kind == "crackdown")
    action = crackdown.action(spec.scenario.cast.codes, [s.code for s in spec.scenario.institutions])
    assert action.func.__name__ == crackdown.effect == "crack_down"
    assert action.keywords["state"] == spec.scenario.cast.index(crackdown.state)
    assert action.keywords["magnitude"] == crackdown.magnitude
    assert "date" not in action.keywords and "ref" not in action.keywords
