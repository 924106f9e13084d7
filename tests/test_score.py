"""Observed outcomes as data: the file format is checked before any run, and `task=score`
measures how often the model reproduces each record."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.runs.ensemble import run_seeds
from sim.runs.ensemble_view import EnsembleView
from sim.errors import InputError
from sim.analysis.observed import load_observed, parse_observed
from sim.analysis.score import NONE, confusion, score_records, score_summary
from tests.helpers import run_main

EXAMPLE = Path(__file__).resolve().parent.parent / "observed" / "history_2001_2018.yaml"
SEEDS = [0, 1, 2]


def _file(**records: dict) -> dict:
    return {"name": "probe", "records": records}


def _vote(**change) -> dict:
    return {"kind": "vote", "event": "unga_68_262", "state": "KAZ", "outcome": "abstain", **change}


XINJIANG = {"kind": "text", "event": "xinjiang_unrest", "institution": "SCO"}

BAD_FILES = {
    "no records": ({"name": "probe", "records": {}}, "records"),
    "unknown kind": (_file(r={**_vote(), "kind": "poll"}), "records.r.kind"),
    "unknown state": (_file(r=_vote(state="XYZ")), "records.r.state"),
    "external actor voting": (_file(r=_vote(state="WEST")), "records.r.state"),
    "unknown event": (_file(r=_vote(event="atlantis")), "records.r.event"),
    "wrong event kind": (_file(r=_vote(event="georgia_war")), "records.r.event"),
    "date outside horizon": (_file(r={"kind": "status", "state": "UZB", "institution": "CSTO",
                                      "date": "2025-01", "outcome": "suspended"}), "records.r.date"),
    "malformed date": (_file(r={"kind": "status", "state": "UZB", "institution": "CSTO",
                                "date": "2013-13", "outcome": "suspended"}), "records.r.date"),
    "bad outcome value": (_file(r=_vote(outcome="maybe")), "records.r.outcome"),
    "unknown field": (_file(r=_vote(colour="red")), "records.r.colour"),
    "missing field": (_file(r={"kind": "vote", "event": "unga_68_262", "outcome": "yes"}), "records.r.state"),
    "ambiguous text": (_file(r={"kind": "text", "event": "georgia_war", "institution": "SCO",
                                "outcome": "neutral"}), "records.r.topic"),
    "unknown topic": (_file(r={**XINJIANG, "topic": "tea", "outcome": "endorse"}), "records.r.topic"),
    "another institution's statement": (_file(r={"kind": "text", "event": "csto_terrorism_statement",
                                                 "institution": "SCO", "outcome": "endorse"}),
                                        "records.r.institution"),
    "the actor recognising": (_file(r={"kind": "recognition", "event": "georgia_war", "state": "RUS",
                                       "outcome": "recognise"}), "records.r.state"),
    "unknown metric": (_file(r={"kind": "metric", "entity": "SCO", "metric": "happiness", "date": "2010-01",
                                "min": 0.5}), "records.r.metric"),
    "metric without bounds": (_file(r={"kind": "metric", "entity": "SCO", "metric": "cohesion",
                                       "date": "2010-01"}), "records.r.min"),
    "unknown top-level key": ({**_file(r=_vote()), "author": "me"}, "author"),
    "missing name": ({"records": {"r": _vote()}}, "name"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_bad_record_is_one_error_naming_the_field(case, spec):
    raw, field = BAD_FILES[case]
    with pytest.raises(InputError) as error:
        parse_observed(raw, spec.scenario, source="probe.yaml")
    assert error.value.field == field
    assert str(error.value).startswith(f"probe.yaml: {field} = ") and "\n" not in str(error.value)


def test_an_empty_file_is_refused(tmp_path, spec):
    path = tmp_path / "empty.yaml"
    path.write_text("# nothing observed\n")
    with pytest.raises(InputError) as error:
        load_observed(path, spec.scenario)
    assert error.value.source == str(path) and error.value.field == "records"


def test_the_file_is_data_never_code(tmp_path, spec):
    path = tmp_path / "evil.yaml"
    path.write_text("name: !!python/object/apply:os.system ['touch pwned']\nrecords: {}\n")
    with pytest.raises(InputError) as error:
        load_observed(path, spec.scenario)
    assert "valid YAML" in str(error.value) and not (tmp_path / "pwned").exists()


def test_bare_yes_and_no_read_as_votes(spec):
    observed = parse_observed(_file(r=_vote(outcome=True), s=_vote(outcome=False)), spec.scenario)
    assert [r.observed for r in observed.records] == ["yes", "no"]


@pytest.fixture(scope="module")
def view(spec) -> EnsembleView:
    return EnsembleView(*run_seeds(spec.scenario, spec.params, SEEDS))


def test_a_sure_hit_scores_one_a_sure_miss_zero_and_overall_is_their_mean(view, spec):
    assert (view.outcome_per_run(event="xinjiang_unrest", institution="SCO") == "endorse").all()
    observed = parse_observed(_file(hit={**XINJIANG, "outcome": "endorse"},
                                    miss={**XINJIANG, "outcome": "oppose"},
                                    bounds={"kind": "metric", "entity": "SCO", "metric": "cohesion",
                                            "date": "2010-01", "min": 0.0, "max": 1.0}), spec.scenario)
    records, _ = score_records(view, observed)
    shares = records.set_index("id")["match_share"]
    assert shares.to_dict() == {"hit": 1.0, "miss": 0.0, "bounds": 1.0}
    assert records.set_index("id").loc["miss", "model"] == "endorse"
    summary = score_summary(records).set_index("kind")["match_share"]
    assert summary["text"] == 0.5 and summary["overall"] == pytest.approx(2 / 3)


def test_a_decision_that_did_not_happen_is_a_miss(view, spec):
    observed = parse_observed(_file(r={**XINJIANG, "institution": "CSTO", "outcome": "endorse"}), spec.scenario)
    records, outcomes = score_records(view, observed)
    assert records.loc[0, "model"] == NONE and records.loc[0, "match_share"] == 0.0
    assert (outcomes["r"] == NONE).all()


def test_a_metric_before_founding_is_a_miss_not_within_bounds(view, spec):
    observed = parse_observed(_file(r={"kind": "metric", "entity": "CSTO", "metric": "cohesion",
                                       "date": "2002-01", "min": 0.0, "max": 1.0}), spec.scenario)
    records, outcomes = score_records(view, observed)
    assert records.loc[0, "model"] == NONE and records.loc[0, "match_share"] == 0.0
    assert (outcomes["r"] == NONE).all()


def test_confusion_counts_every_three_way_record_and_seed(view, spec):
    observed = load_observed(EXAMPLE, spec.scenario)
    _, outcomes = score_records(view, observed)
    table = confusion(observed, outcomes)
    three_way = [r for r in observed.records if r.kind in ("vote", "text")]
    assert table["count"].sum() == len(three_way) * len(SEEDS)
    assert set(table["kind"]) == {"vote", "text"} and len(table) == 2 * 3 * 4
    assert np.all(table.groupby("kind")["count"].sum() > 0)


def test_score_task_writes_records_summary_confusion_and_config(spec, tmp_path, monkeypatch, capsys):
    out = tmp_path / "score"
    assert run_main(monkeypatch, "task=score", f"observed={EXAMPLE}", "seeds=3", f"hydra.run.dir={out}") == 0
    records = pd.read_csv(out / "score_records.csv")
    summary = pd.read_csv(out / "score_summary.csv")
    assert len(records) == len(load_observed(EXAMPLE, spec.scenario).records)
    assert summary.iloc[-1]["kind"] == "overall"
    assert summary.iloc[-1]["match_share"] == pytest.approx(records["match_share"].mean())
    assert (out / "score_confusion.csv").exists() and (out / "config.yaml").exists()
    printed = capsys.readouterr().out
    assert "Match share" in printed and "Runs: 20 posterior draws x 3 seeds" in printed and ", 60 runs" in printed


@pytest.mark.parametrize("args, field", [(["task=score"], "observed"),
                                          (["task=score", "observed=/no/such/file.yaml"], "observed")])
def test_score_without_a_readable_file_exits_2_in_one_line(args, field, tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    assert run_main(monkeypatch, *args, f"hydra.run.dir={out}") == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"config: {field} = " in err and "Traceback" not in err
    assert not out.exists()


def test_a_bad_record_stops_the_command_before_any_run(tmp_path, monkeypatch, capsys):
    path, out = tmp_path / "bad.yaml", tmp_path / "out"
    path.write_text("name: bad\nrecords:\n  kaz:\n    kind: vote\n    event: unga_68_262\n"
                    "    state: KAZ\n    outcome: perhaps\n")
    assert run_main(monkeypatch, "task=score", f"observed={path}", f"hydra.run.dir={out}") == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"error: {path}: records.kaz.outcome = 'perhaps' is invalid; allowed: yes, abstain, no")
    assert not out.exists()
