"""Every parameter declares the value that switches its own effect off, inside its range."""

from __future__ import annotations

from dataclasses import fields

import pytest

from sim.core.params import BEHAVIOURAL, NEUTRAL, NOISE, NOISE_SCALES, OBSERVATION, Params, check_params


@pytest.mark.parametrize("name", BEHAVIOURAL)
def test_every_behavioural_field_has_a_neutral_value_check_params_accepts(name):
    low, high = Params.__dataclass_fields__[name].metadata["range"]
    neutral = NEUTRAL[name]
    assert neutral is not None and low <= neutral <= high
    assert getattr(check_params({name: neutral}), name) == neutral


def test_only_the_cohesion_weights_are_observation_weights_without_a_neutral():
    """They define what cohesion measures and must sum to 1, so no ablation switches one off."""
    observation = {f.name for f in fields(Params) if f.metadata["kind"] == OBSERVATION}
    assert observation == {"cohesion_trust", "cohesion_congruence", "cohesion_engagement"}
    assert all(Params.__dataclass_fields__[n].metadata["neutral"] is None for n in observation)
    assert set(NEUTRAL) == set(BEHAVIOURAL) == {f.name for f in fields(Params)} - observation


def test_the_noise_scales_are_marked_and_switch_noise_off():
    assert NOISE_SCALES == {"experience_noise", "stance_noise"}
    assert all(Params.__dataclass_fields__[n].metadata["kind"] == NOISE and NEUTRAL[n] == 0.0 for n in NOISE_SCALES)
