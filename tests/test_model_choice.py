"""ABC model choice: a known variant recovered, probabilities that sum to 1, resumption, bad input."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from sim.errors import InputError
from sim.analysis import model_choice
from sim.analysis.calibration import RESULT_KEYS, Problem, parse_calibration, simulate, statistic_names
from sim.runs.executors import executor
from sim.analysis.model_choice import choose_models, evidence, load_variant
from sim.analysis.validation import twin_scenarios
from tests.helpers import packaged_scenario
from tests.test_bad_input import _run_cli

MODELS = ["protective", "functional", "balancing"]


@pytest.fixture(scope="module")
def scenarios(spec):
    return twin_scenarios(spec.scenario, packaged_scenario)


def _spec(**changes):
    raw = {"name": "choice", "free": {"deference": [0.0, 3.3]}, "targets": [1, 2, 3], "observed": "article",
           "statistics": "shares", "particles": 16, "alpha": 0.5, "generations": 2, "min_acceptance": 0.0,
           "min_improvement": 0.0, "seeds_per_particle": 2, "seed": 3, "backend": "serial", "workers": 1,
           "models": MODELS, "repeats": 1}
    return parse_calibration({**raw, **changes})


def _simulated(spec, scenarios, base, model: str, truth: dict[str, float], seeds: int) -> np.ndarray:
    """The statistics of a variant at known values over `seeds` seeds: an observation."""
    variant = load_variant(model)
    own = variant.spec(spec, 0)
    names = statistic_names(own.targets, own.statistics)
    values = np.array([[truth[n] for n in own.names]])
    with executor("serial", 1, None) as engine:
        problem = Problem(own, {n: scenarios[n] for n in own.scenario_names()}, variant.base(base),
                          np.zeros(len(names)), names, engine)
        return simulate(problem, values, np.arange(seeds)[None, :] + 1000)[0]


@pytest.mark.parametrize("model, truth", [
    ("protective", {"deference": 1.65}),
    ("functional", {"deference": 1.65, "w_functional": 6.0}),
    ("balancing", {"deference": 1.65, "w_balance": 4.0}),
])
def test_data_simulated_from_a_known_variant_recover_it(tmp_path, scenarios, spec, model, truth):
    """Statistics of a variant at known values are the observation; the model choice gives
    that variant the highest posterior probability."""
    choice = replace(_spec(), statistics="shares_and_values")  # values: a simulation has them, the article not
    observed = _simulated(choice, scenarios, spec.params, model, truth, seeds=6)
    table = choose_models(choice, scenarios, spec.params, tmp_path / "known", progress=False, observation=observed)
    best = table.loc[table["probability"].idxmax(), "model"]
    assert best == model, table.to_string()


def test_probabilities_sum_to_one_and_repeats_give_the_monte_carlo_error(tmp_path, scenarios, spec):
    choice = _spec(models=["protective", "functional"], particles=8, generations=1, seeds_per_particle=1,
                   repeats=2, targets=[3])
    table = choose_models(choice, scenarios, spec.params, tmp_path / "sum", progress=False)
    rows = pd.read_csv(tmp_path / "sum" / "model_choice.csv")
    assert rows.groupby("repeat")["probability"].sum().to_numpy() == pytest.approx([1.0, 1.0])
    assert sorted(rows["seed"].unique()) == [3, 4]
    assert table["probability"].sum() == pytest.approx(1.0)
    assert table["sd"].notna().all() and (table["repeats"] == 2).all()
    assert (tmp_path / "sum" / "repeat1" / "functional" / "posterior.parquet").exists()


def test_a_model_choice_on_the_checks_statistics_floors_the_same_statistics_in_every_model(tmp_path, scenarios,
                                                                                           spec):
    """statistics=checks: every model's sampler reads the joint share and the evidence
    checks, on the pooled prior's scales, a statistic without pooled spread at the floor."""
    choice = _spec(models=["protective", "balancing"], particles=8, generations=1, seeds_per_particle=1,
                   targets=[3, 12], statistics="checks")
    table = choose_models(choice, scenarios, spec.params, tmp_path / "checks", progress=False)
    assert table["probability"].sum() == pytest.approx(1.0)
    firsts = [json.loads((tmp_path / "checks" / "repeat0" / m / "generations" / "g000.json").read_text())
              for m in ("protective", "balancing")]
    assert firsts[0]["statistics"] == statistic_names((3, 12), "checks") == firsts[1]["statistics"]
    assert firsts[0]["scales"] == firsts[1]["scales"] and firsts[0]["floored"] == firsts[1]["floored"]
    priors = pd.concat([pd.read_parquet(tmp_path / "checks" / "repeat0" / m / "prior" / "generations" / "g000.parquet")
                        for m in ("protective", "balancing")])
    flat = [n for n in firsts[0]["statistics"] if priors[n].nunique() == 1]
    assert firsts[0]["floored"] == flat
    assert all(scale == 0.5 for n, scale in zip(firsts[0]["statistics"], firsts[0]["scales"]) if n in flat)


def test_a_killed_model_choice_resumes_to_the_same_numbers_on_any_backend(tmp_path, scenarios, spec, monkeypatch):
    small = _spec(models=["protective", "balancing"], particles=8, generations=2, seeds_per_particle=1, targets=[3])
    whole = choose_models(replace(small, backend="local", workers=2), scenarios, spec.params, tmp_path / "a",
                          progress=False)
    original = model_choice._next_generation
    calls = {"n": 0}

    def dies_in_the_second_model(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    monkeypatch.setattr(model_choice, "_next_generation", dies_in_the_second_model)
    with pytest.raises(KeyboardInterrupt):
        choose_models(small, scenarios, spec.params, tmp_path / "b", progress=False)
    assert not (tmp_path / "b" / "model_choice.csv").exists()
    monkeypatch.setattr(model_choice, "_next_generation", original)
    resumed = choose_models(small, scenarios, spec.params, tmp_path / "b", progress=False)
    pd.testing.assert_frame_equal(whole, resumed)
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "a" / "model_choice.csv"),
                                  pd.read_csv(tmp_path / "b" / "model_choice.csv"))
    with pytest.raises(InputError, match="spec_hash"):
        choose_models(replace(small, seed=9), scenarios, spec.params, tmp_path / "b", progress=False)


def test_evidence_weighs_the_particles_within_the_tolerance_over_all_simulated():
    """Generation 0 (weights 1) simulated 4, kept 2; generation 1 simulated 2 new, weights 0.5."""
    g0 = pd.DataFrame({"generation": [0, 0], "weight": [1.0, 1.0], "distance": [0.1, 0.3]})
    g1 = pd.DataFrame({"generation": [0, 1, 1], "weight": [1.0, 0.5, 0.5], "distance": [0.1, 0.05, 0.2]})
    history = [(g0, {"generation": 0, "epsilon": 0.3, "simulated": 4}),
               (g1, {"generation": 1, "epsilon": 0.2, "simulated": 2})]
    assert evidence(history, 0.15) == pytest.approx((1.0 + 0.5) / 6)
    with pytest.raises(ValueError):
        evidence(history, 0.25)


def test_variants_switch_mechanisms_and_set_priors(spec):
    choice = parse_calibration({"free": {"w_legitimacy": [0.0, 12.0], "deference": [0.0, 3.3]},
                                "models": MODELS})
    protective, functional = load_variant("protective"), load_variant("functional")
    assert protective.spec(choice, 0).free == choice.free and protective.base(spec.params) == spec.params
    assert functional.spec(choice, 2).free == {"deference": (0.0, 3.3), "w_functional": (0.0, 24.0)}
    assert functional.spec(choice, 2).seed == choice.seed + 2
    assert functional.base(spec.params).w_legitimacy == 0.0


def test_a_variant_file_with_an_unknown_key_is_refused(tmp_path, monkeypatch):
    (tmp_path / "odd.yaml").write_text("fixed: {w_legitimacy: 0.0}\nswitches: {}\n")
    monkeypatch.setattr(model_choice, "MODELS_DIR", tmp_path)
    with pytest.raises(InputError, match=r"odd.yaml: switches = .* allowed: the keys description, fixed, free"):
        load_variant("odd")


@pytest.mark.parametrize("override, expected", [
    ("calibrate.models=[protective,realism]", ["calibrate.models", "'realism'", "balancing, functional, protective"]),
    ("calibrate.models=[]", ["calibrate.models", "[]", "non-empty list"]),
    ("calibrate.models=[protective,protective]", ["calibrate.models", "distinct"]),
    ("calibrate.repeats=0", ["calibrate.repeats", "[1, 1000]"]),
])
def test_bad_model_choice_settings_are_refused_in_one_line(tmp_path, monkeypatch, capsys, override, expected):
    _run_cli(monkeypatch, capsys, ["task=calibrate", override], tmp_path / "out", expected)


def test_a_single_model_calibration_keeps_its_identity_and_so_its_folder():
    """Only a model choice adds its models and repeats to what the hash covers, so a plain
    calibration's folder and resumption are what they were."""
    plain = parse_calibration({"free": {"deference": [0.0, 3.3]}})
    choice = replace(plain, models=("protective",), repeats=2)
    assert set(plain.identity()) == set(RESULT_KEYS)
    assert set(choice.identity()) - set(plain.identity()) == {"models", "repeats"}
    assert choice.budget() == 2 * plain.budget()
