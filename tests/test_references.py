"""The references that measure how informative each validation check is (CI-sized)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from omegaconf import OmegaConf

from sim.core.params import NULL_MODEL, Params
from sim.analysis.calibration import parse_calibration
from sim.analysis.references import (REFERENCES, REGIME_ATTRIBUTES, flat_cast, informativeness, prior_draws,
                                        references, run_references, uninformative)
from sim.analysis.validation import CHECKS, check_outcomes, evaluate_checks, run_views, twin_scenarios
from tests.helpers import packaged_scenario

PRIORS = {"trust_gain": (0.0, 0.6), "deference": (0.0, 3.3), "loyalty": (0.0, 2.4)}


def test_prior_draws_are_reproducible_and_inside_the_prior():
    first, again = prior_draws(PRIORS, Params(), 50, seed=3), prior_draws(PRIORS, Params(), 50, seed=3)
    assert first == again and first != prior_draws(PRIORS, Params(), 50, seed=4)
    for name, (low, high) in PRIORS.items():
        values = np.array([getattr(p, name) for p in first])
        assert values.min() >= low and values.max() <= high and values.std() > 0.1 * (high - low)
    assert all(p.memory == Params().memory for p in first)


def test_flat_cast_levels_regimes_and_norms_but_not_power(spec):
    cast = spec.scenario.cast
    flat = flat_cast(cast)
    states = np.array([k == "state" for k in cast.kinds])
    for name in REGIME_ATTRIBUTES:
        assert np.ptp(flat.attributes[name][states]) == 0
        assert flat.attributes[name][states][0] == pytest.approx(cast.attributes[name][states].mean())
        assert np.array_equal(flat.attributes[name][~states], cast.attributes[name][~states])
    assert np.ptp(flat.norms[states], axis=0).max() == 0
    assert np.array_equal(flat.attributes["power"], cast.attributes["power"])
    assert np.ptp(cast.attributes["insecurity"][states]) > 0


@pytest.fixture(scope="module")
def reference_table(spec):
    """Every check under the three references: 6 prior draws x 2 seeds, the nulls x 3 seeds."""
    calibration = parse_calibration(OmegaConf.to_container(spec.config.calibrate, resolve=True, enum_to_str=True))
    history_raw = OmegaConf.to_container(spec.config.scenario, resolve=True)
    refs = references(history_raw, packaged_scenario, spec.scenario.cast,
                      spec.params, calibration.free, draws=6, prior_seeds=[0, 1], null_seeds=[0, 1, 2])
    assert [len(r.runs) for r in refs] == [12, 3, 3]
    shares, passes = run_references(refs, spec.scenario.cast, spec.params)
    views = run_views(twin_scenarios(spec.scenario, packaged_scenario), spec.params, [0, 1])
    return informativeness(evaluate_checks(check_outcomes(views)), shares), passes


def test_every_check_gets_a_rate_under_every_reference(reference_table):
    table, passes = reference_table
    assert list(table["check"]) == [c.key for c in CHECKS]
    assert table[list(REFERENCES)].apply(lambda col: col.between(0, 1)).all().all()
    assert list(passes.columns) == ["target", *REFERENCES] and len(passes) == 12


def test_a_known_identity_is_reported_uninformative(reference_table):
    """The Belt and Road's investment fall is the investment rule read back (a larger
    outside option lowers the target investment whatever the weights) and the SCO's
    silence on Georgia holds whoever drafts it: every reference meets them, so they are
    consistency checks, not evidence, as declared."""
    table, _ = reference_table
    found = table.set_index("check").loc[["10.investment_falls", "4.sco_action_neutral"]]
    assert set(found.index) <= set(uninformative(table))
    assert (found["kind"] == "consistency").all() and found["as_declared"].all()


def test_a_check_the_flat_data_fails_is_informative(reference_table):
    """Russia's support for separatism costs it trust by the members' separatism exposure:
    with every regime alike, the trust lost over Crimea no longer follows the codings."""
    table, passes = reference_table
    row = table.set_index("check").loc["8.exposed_lose_more"]
    assert row["share"] == 1.0 and row["flat_data"] == 0.0 and row["informative"]
    assert not passes.set_index("target").loc[8, "flat_data"]


def test_the_nulls_run_at_the_parameter_sets_they_are_centred_on(spec):
    """Centred on posterior draws, run i of each null is at draw i (cycling; the null model
    with its switches applied to the draw); the prior keeps drawing around the parameters."""
    calibration = parse_calibration(OmegaConf.to_container(spec.config.calibrate, resolve=True, enum_to_str=True))
    history_raw = OmegaConf.to_container(spec.config.scenario, resolve=True)
    draws = [replace(spec.params, w_legitimacy=2.0), replace(spec.params, w_legitimacy=8.0)]
    prior, null, flat = references(history_raw, packaged_scenario, spec.scenario.cast, spec.params,
                                   calibration.free, draws=2, prior_seeds=[0], null_seeds=[0, 1, 2], centres=draws)
    assert flat.runs == [(draws[0], 0), (draws[1], 1), (draws[0], 2)]
    assert null.runs == [(replace(draw, **NULL_MODEL), seed) for draw, seed in flat.runs]
    assert [p.memory for p, _ in prior.runs] == [spec.params.memory] * 2
    assert references(history_raw, packaged_scenario, spec.scenario.cast, spec.params, calibration.free,
                      draws=1, prior_seeds=[0], null_seeds=[0, 1])[2].runs == [(spec.params, 0), (spec.params, 1)]
