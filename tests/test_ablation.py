"""Ablation of the mechanisms and robustness of the targets to the ordinal data codings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf

import sim
from sim.analysis.ablation import (BUNDLE, EVIDENCE, FIELD, FULL_MODEL, INERT, NEEDED, NOISE_SCALE, NOISE_VERDICT,
                                      NULL_MODEL_NAME, ORDINAL_SOURCE, REFERENCE, ROBUST_ONLY, ablation,
                                      data_ensemble, inert, one_at_a_time, perturbed_casts, robustness_needs,
                                      verdicts)
from sim.scenarios.cast import DEFAULT_RELATIONS, DEFAULT_STATES, RELATION_KINDS, UNIT_INTERVAL
from sim.app.config import scenario_from
from sim.core.params import BEHAVIOURAL, NEUTRAL, Params
from sim.analysis.robustness import robustness
from sim.analysis.validation import LOADED_TWINS, QUIET_SCENARIO, TARGETS, twin_scenarios
from tests.helpers import packaged_scenario

SEEDS = list(range(5))
SPREAD = 0.1
#: A mechanism to switch off as a bundle: the betrayal penalty's exposure term.
BETRAYAL = {"betrayal_exposure": 0.0}


@pytest.fixture(scope="module")
def table(spec):
    """Full model, betrayal penalty off, a no-op 'mechanism' (a parameter set to its own value), null model."""
    first = BEHAVIOURAL[0]
    subset = {"betrayal penalty": BETRAYAL, "no-op": {first: getattr(spec.params, first)}}
    scenarios = twin_scenarios(spec.scenario, packaged_scenario)
    return ablation(scenarios, spec.params, SEEDS, mechanisms=subset).set_index("variant")


def test_ablation_has_one_row_per_variant_and_a_share_per_target(table):
    assert list(table.index) == [FULL_MODEL, "betrayal penalty", "no-op", NULL_MODEL_NAME]
    shares = table[[f"target_{t.number}" for t in TARGETS]]
    assert ((shares >= 0) & (shares <= 1)).all().all()
    assert table.loc[FULL_MODEL, "needed_by"] == []
    assert table.loc["betrayal penalty", "switched_off"] == ", ".join(
        f"{k}={v}" for k, v in BETRAYAL.items())


def test_switching_off_the_betrayal_penalty_fails_the_crimea_target(table):
    """Without the penalty, support for separatism costs no trust: cohesion does not fall
    (target 8), and the checks that read the cost are the ones that need it."""
    assert table.loc["betrayal penalty", "target_8"] < table.loc[FULL_MODEL, "target_8"]
    assert table.loc["betrayal penalty", "passing"] < table.loc[FULL_MODEL, "passing"]
    needed = table.loc["betrayal penalty", "needed_by"]
    assert "8.exposed_lose_more" in needed and set(needed) <= set(EVIDENCE)
    assert needed == [key for key in EVIDENCE if key in needed]   # in the validation's order


def test_a_mechanism_nobody_needs_shows_an_empty_needed_by(table):
    assert table.loc["no-op", "needed_by"] == []
    assert table.loc["no-op", "passing"] == table.loc[FULL_MODEL, "passing"]
    assert (table.loc["no-op"].filter(like="target_") == table.loc[FULL_MODEL].filter(like="target_")).all()


def test_the_robustness_level_finds_what_a_mechanism_keeps_robust(table, spec):
    """Pretend no target needs the rally effect at the default point: over a small
    robustness ensemble it still shows as needed by target 3 (the rally target, which
    cannot hold without it), while the no-op needs nothing there either."""
    scenarios = twin_scenarios(spec.scenario, packaged_scenario)
    full, _ = robustness(scenarios, spec.params, points=2, seeds_per_point=2, spread=0.2)
    rows = pd.DataFrame([{"variant": "rally effect", "needed_by": []}, {"variant": "no-op", "needed_by": []},
                         {"variant": "betrayal penalty", "needed_by": [8]}])
    first = BEHAVIOURAL[0]
    mechanisms = {"rally effect": {"rally_gain": 0.0}, "no-op": {first: getattr(spec.params, first)},
                  "betrayal penalty": BETRAYAL}
    result = robustness_needs(rows, full, scenarios, spec.params, 2, 2, 0.2, mechanisms=mechanisms)
    rally, no_op, betrayal = result["robust_needed_by"]
    assert 3 in rally and no_op == [] and betrayal == []


def test_the_null_model_loses_targets(table):
    assert table.loc[NULL_MODEL_NAME, "passing"] < table.loc[FULL_MODEL, "passing"]
    assert table.loc[NULL_MODEL_NAME, "needed_by"]


@pytest.fixture(scope="module")
def fields_table(spec):
    """One at a time: the legitimation weight at its neutral 0, a field at its own default (a
    variant that provably changes nothing), a noise scale off, and one bundle; with the quiet future."""
    scenarios = twin_scenarios(spec.scenario, packaged_scenario)
    no_op = BEHAVIOURAL[0]
    neutral = {"w_legitimacy": NEUTRAL["w_legitimacy"], no_op: getattr(spec.params, no_op), "stance_noise": 0.0}
    quiet = (packaged_scenario(QUIET_SCENARIO), spec.scenario.dates[-1][:7])
    table = one_at_a_time(scenarios, spec.params, SEEDS, neutral=neutral,
                          bundles={"betrayal penalty": BETRAYAL}, quiet=quiet)
    return table.set_index("variant"), no_op


def test_one_at_a_time_has_a_row_per_field_and_bundle_between_the_references(fields_table):
    table, no_op = fields_table
    assert list(table.index) == [FULL_MODEL, "w_legitimacy", no_op, "stance_noise", "betrayal penalty",
                                 NULL_MODEL_NAME]
    assert list(table["kind"]) == [REFERENCE, FIELD, FIELD, NOISE_SCALE, BUNDLE, REFERENCE]
    assert table.loc["w_legitimacy", ["default", "neutral"]].tolist() == [Params().w_legitimacy, 0.0]
    assert table.loc["betrayal penalty", "neutral"] != table.loc["betrayal penalty", "neutral"]   # NaN
    assert ((table["quiet_future"] >= 0) & (table["quiet_future"] <= 1)).all()


def test_the_legitimation_weight_is_needed_one_at_a_time(fields_table):
    """Without legitimation nothing keeps the weak members engaged: targets fail (article
    'Protective integration')."""
    table, _ = fields_table
    assert [n for n in table.loc["w_legitimacy", "needed_by"] if n != "quiet"]
    assert table.loc["w_legitimacy", "passing"] < table.loc[FULL_MODEL, "passing"]
    assert table.loc["w_legitimacy", "verdict"] == NEEDED


def test_a_field_set_to_a_value_that_changes_nothing_is_inert(fields_table):
    table, no_op = fields_table
    assert table.loc[no_op, "needed_by"] == []
    assert (table.loc[no_op].filter(like="target_") == table.loc[FULL_MODEL].filter(like="target_")).all()
    assert table.loc[no_op, "quiet_future"] == table.loc[FULL_MODEL, "quiet_future"]
    assert table.loc[no_op, "verdict"] == INERT
    assert inert(table.reset_index()) == [no_op]


def test_a_noise_scale_is_reported_but_never_counted_inert(fields_table):
    table, _ = fields_table
    assert table.loc["stance_noise", "verdict"] == NOISE_VERDICT
    assert "stance_noise" not in inert(table.reset_index())


def test_a_field_needed_only_over_the_robustness_ensemble_is_not_inert():
    rows = pd.DataFrame({"variant": ["a", "b", "c"], "kind": [FIELD] * 3, "needed_by": [[], [], [3]],
                         "robust_needed_by": [[], [11], []]})
    assert list(verdicts(rows)["verdict"]) == [INERT, ROBUST_ONLY, NEEDED]
    assert inert(verdicts(rows)) == ["a"]


def _ordinal(path) -> pd.DataFrame:
    rows = pd.read_csv(path, keep_default_na=False)
    return rows[rows["source"].str.startswith(ORDINAL_SOURCE)]


def test_perturbed_casts_move_only_ordinal_codings_within_range(spec):
    original = spec.scenario.cast
    casts = perturbed_casts(3, SPREAD, seed=1)
    coded_attributes = set(_ordinal(DEFAULT_STATES)["attribute"])
    for cast, values in casts:
        assert len(values) == len(_ordinal(DEFAULT_STATES)) + len(_ordinal(DEFAULT_RELATIONS))
        for name, array in cast.attributes.items():
            change = np.abs(array - original.attributes[name])
            assert change.max() <= SPREAD + 1e-12
            assert (change.max() > 0) == (name in coded_attributes), name
            if name in UNIT_INTERVAL:
                assert ((array >= 0) & (array <= 1)).all()
        assert 0 < np.abs(cast.norms - original.norms).max() <= SPREAD + 1e-12
        assert ((cast.norms >= 0) & (cast.norms <= 1)).all()
        for kind in RELATION_KINDS:
            matrix = cast.relations[kind]
            assert ((matrix >= 0) & (matrix <= 1)).all()
            assert np.abs(matrix - original.relations[kind]).max() <= SPREAD + 1e-12
        assert any(np.abs(cast.relations[k] - original.relations[k]).max() > 0 for k in RELATION_KINDS)
    assert not np.array_equal(casts[0][0].norms, casts[1][0].norms)


def test_relations_not_coded_ordinally_stay_as_they_are(spec):
    rows = pd.read_csv(DEFAULT_RELATIONS, keep_default_na=False)
    kept = rows[~rows["source"].str.startswith(ORDINAL_SOURCE)]
    cast, _ = perturbed_casts(1, SPREAD, seed=2)[0]
    codes = cast.codes
    for row in kept.itertuples():
        i, j = codes.index(row.state), codes.index(row.other)
        assert cast.relations[row.kind][i, j] == row.value


def test_data_ensemble_is_reproducible_and_runs_on_the_perturbed_casts(spec):
    history = OmegaConf.to_container(spec.config.scenario, resolve=True)
    seen = []

    def load(name, cast):
        seen.append(cast)
        return scenario_from(sim.compose([f"scenario={name}"]), cast)

    first = data_ensemble(history, load, spec.params, points=2, seeds_per_point=2, seed=7)
    second = data_ensemble(history, load, spec.params, points=2, seeds_per_point=2, seed=7)
    pd.testing.assert_frame_equal(first[0], second[0])
    pd.testing.assert_frame_equal(first[1], second[1])
    summary, per_point = first
    assert list(summary["target"]) == [t.number for t in TARGETS]
    assert list(per_point["point"]) == [0, 1]
    assert len(seen) == 4 * (len(LOADED_TWINS) + 1)   # the twins and the probe its family moves
    assert all(not np.array_equal(cast.norms, spec.scenario.cast.norms) for cast in seen)
    other = perturbed_casts(2, SPREAD, seed=8)
    assert not np.array_equal(other[0][0].norms, seen[0].norms)
