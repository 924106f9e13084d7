"""The command-line tasks, run as `python -m sim ...` would run them (in-process)."""

from __future__ import annotations

import re
from dataclasses import fields

import mesa
import numpy as np
import pandas as pd
import pytest
import yaml

from sim.app.config import TASKS
from sim.app.listing import GLOSSARY
from sim.core.observables import INSTITUTION_METRICS
from sim.core.params import MECHANISMS, NEUTRAL, Params
from sim.io.store import read_table
from sim.app.tasks import TASK_TABLE, TaskEntry
from sim.analysis.validation import TARGETS
from tests.helpers import run_main


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("main") / "run"
    with pytest.MonkeyPatch.context() as patch:
        assert run_main(patch, "seeds=[4,9]", "posterior_draws=2", f"hydra.run.dir={folder}") == 0
    return folder


def test_main_job_writes_tables_config_and_figure(run_folder, capsys):
    series = pd.read_parquet(run_folder / "timeseries.parquet")
    decisions = pd.read_parquet(run_folder / "decisions.parquet")
    saved = yaml.safe_load((run_folder / "config.yaml").read_text())
    assert list(series.columns) == ["run", "seed", "step", "date", "entity", "metric", "value"]
    assert sorted(series["seed"].unique()) == [4, 9]
    assert {"declaration", "recognition", "vote", "intervention", "membership"} <= set(decisions["kind"])
    assert saved["seeds"] == [4, 9] and saved["config"]["scenario"]["name"] == "history"
    assert len(saved["code_version"]["git_commit"]) in (40, len("unknown"))
    assert saved["code_version"]["libraries"]["numpy"] == np.__version__
    assert saved["code_version"]["libraries"]["mesa"] == mesa.__version__
    assert (run_folder / "cohesion.png").stat().st_size > 20_000


def test_runs_summary_has_one_row_per_run_with_the_final_quarter(run_folder):
    summary = pd.read_parquet(run_folder / "runs_summary.parquet")
    series = pd.read_parquet(run_folder / "timeseries.parquet")
    saved = yaml.safe_load((run_folder / "config.yaml").read_text())
    assert list(summary["run"]) == [0, 1, 2, 3] and list(summary["seed"]) == [4, 9, 4, 9]
    assert list(summary["draw"]) == [0, 0, 1, 1]           # the default: each posterior draw on each seed
    draws = saved["posterior"]["draws"]
    for name, value in saved["config"]["params"].items():  # a drawn value where the posterior has one
        assert summary[name].tolist() == [d.get(name, value) for d in draws for _ in (4, 9)], name
    last = series[series["step"] == series["step"].max()]
    reporters = ["SCO.cohesion", "CSTO.trust", "SCO.congruence", "CSTO.engagement", "SCO.functional_output",
                 "CSTO.n_active", "CSTO.n_suspended", "SCO.n_observer", "UZB.engagement.CSTO", "KAZ.engagement.SCO"]
    for column in reporters:
        entity, _, metric = column.partition(".")
        rows = last[(last["entity"] == entity) & (last["metric"] == metric)].sort_values("run")
        assert summary[column].tolist() == rows["value"].tolist(), column
    states = series.loc[series["metric"].astype(str).str.startswith("engagement."), ["entity", "metric"]]
    assert len(states.drop_duplicates()) == sum(c.count(".") == 2 for c in summary.columns)


def test_plot_task_draws_from_a_run_folder(run_folder, monkeypatch):
    assert run_main(monkeypatch, "task=plot", f"results={run_folder}") == 0
    figures = {p.name for p in (run_folder / "figures").iterdir()}
    assert {"cohesion.png", "components.svg", "trust_heatmap_SCO.png", "membership_timeline.png"} <= figures


def test_compare_task_writes_paired_differences(tmp_path, monkeypatch, capsys):
    out = tmp_path / "compare"
    assert run_main(monkeypatch, "task=compare", "scenarios=[history,no_crimea]", "seeds=3",
                "compare.dates=[2002-01,2012-01,2018-10]", "compare.metrics=[cohesion]",
                f"hydra.run.dir={out}") == 0
    table = pd.read_parquet(out / "compare.parquet")
    assert len(table) == 2 * 3 and set(table["scenario"]) == {"no_crimea"}
    before = table[table["date"] == "2002-01"].set_index("institution")
    assert pd.isna(before.loc["CSTO", "difference"]) and before.loc["SCO", "difference"] == 0  # CSTO: 2003
    early = table[table["date"] == "2012-01"]
    assert (early["difference"] == 0).all()          # the histories agree before 2014
    late = table[table["date"] == "2018-10"]
    assert (late["ci_low"] > 0).all()                # and diverge after
    printed = capsys.readouterr().out
    assert "bootstrap 95% interval" in printed and "not founded" in printed
    assert "over 20 posterior draws x 3 seeds, paired" in printed    # the default: over the posterior


def _categories_as_strings(frame: pd.DataFrame) -> pd.DataFrame:
    """A Parquet table as its CSV reads back: categories as strings."""
    return frame.astype({c: str for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)})


@pytest.mark.parametrize("fmt", ["parquet", "csv", "both"])
def test_run_writes_its_tables_in_the_chosen_format(tmp_path, monkeypatch, fmt):
    out = tmp_path / fmt
    assert run_main(monkeypatch, "seeds=[4,9]", f"output.format={fmt}",
                f"hydra.run.dir={out}") == 0
    suffixes = {"parquet": {"parquet"}, "csv": {"csv"}, "both": {"parquet", "csv"}}[fmt]
    for name in ("timeseries", "decisions", "runs_summary"):
        assert {s for s in ("parquet", "csv") if (out / f"{name}.{s}").exists()} == suffixes, name
    if fmt == "both":
        for name in ("timeseries", "decisions", "runs_summary"):
            parquet = pd.read_parquet(out / f"{name}.parquet")
            csv = read_table(out / f"{name}.csv", dates=("date",) if "date" in parquet else ())
            pd.testing.assert_frame_equal(_categories_as_strings(parquet), csv)
        assert (out / "timeseries.csv").read_text().splitlines()[0].startswith("run,seed,step,date,")
        assert (out / "decisions.csv").read_text().splitlines()[1].split(",")[3] == "2001-04-01"
    if fmt == "csv":   # the figures of a folder written as CSV
        assert run_main(monkeypatch, "task=plot", f"results={out}") == 0
        assert (out / "figures" / "cohesion.svg").exists()


def test_wide_output_has_one_row_per_run_and_quarter_with_reporters_as_columns(tmp_path, monkeypatch):
    out = tmp_path / "wide"
    assert run_main(monkeypatch, "seeds=[4,9]", "output.format=wide", f"hydra.run.dir={out}") == 0
    long = pd.read_parquet(out / "timeseries.parquet")
    wide = read_table(out / "timeseries_wide.csv", dates=("date",))
    assert list(wide.columns[:4]) == ["run", "seed", "step", "date"]
    assert len(wide) == long.groupby(["run", "step"]).ngroups and not wide.duplicated(["run", "step"]).any()
    assert {"SCO.cohesion", "CSTO.n_active", "UZB.engagement.CSTO"} <= set(wide.columns)
    assert len(wide.columns) == 4 + long.groupby(["entity", "metric"], observed=True).ngroups
    row = long[(long["run"] == 1) & (long["step"] == 40) & (long["entity"] == "SCO") & (long["metric"] == "cohesion")]
    shown = wide.loc[(wide["run"] == 1) & (wide["step"] == 40), "SCO.cohesion"]
    assert shown.iloc[0] == pytest.approx(row["value"].iloc[0])
    assert run_main(monkeypatch, "task=plot", f"results={out}") == 0     # the long table is kept for the figures


def test_compare_writes_its_table_as_csv_and_parquet_alike(tmp_path, monkeypatch):
    out = tmp_path / "compare"
    assert run_main(monkeypatch, "task=compare", "scenarios=[history,no_crimea]", "seeds=2", "output.format=both",
                "compare.dates=[2015-01]", "compare.metrics=[cohesion]", "compare.resamples=100",
                f"hydra.run.dir={out}") == 0
    pd.testing.assert_frame_equal(read_table(out / "compare.parquet"), read_table(out / "compare.csv"))


def test_a_wrong_output_format_is_one_line(monkeypatch, capsys):
    assert run_main(monkeypatch, "output.format=xlsx") == 2
    error = capsys.readouterr().err.strip()
    assert error == "error: command line: output.format = 'xlsx' is invalid; allowed: parquet, csv, both, wide"


def test_validate_exits_non_zero_when_a_target_fails(tmp_path, monkeypatch, capsys):
    out = tmp_path / "validate"
    code = run_main(monkeypatch, "task=validate", "validate.seeds=3", "params.mandate_cost=0",
                f"hydra.run.dir={out}")
    table = pd.read_csv(out / "validation.csv")
    assert code == 1
    assert table.set_index("target").loc[7, "result"] == "FAIL"   # no revision cost, no suspension
    assert "Some targets FAIL" in capsys.readouterr().out


def test_validate_writes_the_ablation_and_data_robustness_tables(tmp_path, monkeypatch, capsys):
    out = tmp_path / "validate"
    status = run_main(monkeypatch, "task=validate", "validate.seeds=1", "validate.ablation=true",
                      "validate.data_points=1", "validate.seeds_per_point=1", f"hydra.run.dir={out}")
    assert status == (0 if (pd.read_csv(out / "validation.csv")["result"] == "PASS").all() else 1)
    ablation = pd.read_csv(out / "ablation.csv")
    assert list(ablation["variant"]) == ["full model", *NEUTRAL, *MECHANISMS, "null model"]
    assert {f"target_{t.number}" for t in TARGETS} | {"kind", "neutral", "verdict"} <= set(ablation.columns)
    assert ablation.loc[0, "needed_by"] == "[]"
    assert len(pd.read_csv(out / "data_robustness.csv")) == len(TARGETS)
    assert len(pd.read_csv(out / "data_robustness_points.csv")) == 1
    printed = capsys.readouterr().out
    assert "Ablation, one field at a time, over 1 seeds" in printed and "Data robustness: 1 casts" in printed
    section = printed.split("Ablation, one field", 1)[1].split("Data robustness", 1)[0]
    assert max(len(line) for line in section.splitlines()) <= 100


def test_sweep_task_runs_and_resumes_from_the_command_line(tmp_path, monkeypatch):
    args = ["task=sweep", "sweep.backend=serial", "sweep.seeds_per_point=1", "sweep.chunk_size=3",
            "~sweep.parameters.memory", "sweep.parameters.rally_gain.values=[1.0,2.0]",
            f"sweep.dir={tmp_path / 'sweep'}",
            f"hydra.run.dir={tmp_path / 'out'}"]
    assert run_main(monkeypatch, *args) == 0
    runs = pd.read_parquet(tmp_path / "sweep" / "runs.parquet")
    assert len(runs) == 2 and (runs["status"] == "done").all()
    assert run_main(monkeypatch, *args[:-2], "sweep.seeds_per_point=2", f"sweep.dir={tmp_path / 'sweep'}",
                f"hydra.run.dir={tmp_path / 'out2'}") == 2   # a different spec in the same folder


def test_list_prints_tasks_scenarios_events_and_metrics_without_an_output_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert run_main(monkeypatch, "task=list") == 0
    printed = capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []                     # no results/ folder
    for task in TASKS:
        assert re.search(rf"^  {task} +\S", printed, re.M)
    assert re.search(r"^  no_crimea +History without the annexation of Crimea", printed, re.M)
    assert re.search(r"^  separatism_support +A state backs separatists", printed, re.M)
    for metric in (*INSTITUTION_METRICS, "trust_in.<STATE>", "engagement.<INSTITUTION>", "legitimacy"):
        assert re.search(rf"^  {re.escape(metric)} +\S", printed, re.M)
    for field in fields(Params):
        low, high = field.metadata["range"]
        assert re.search(rf"^  {field.name} +{field.default:g} in \[{low:g}, {high:g}\]: \S", printed, re.M)
    assert f"Parameters (params.NAME=VALUE; {len(fields(Params))})" in printed
    assert max(map(len, printed.splitlines())) <= 100


def test_every_task_runs_through_its_entry_in_the_task_table(tmp_path, monkeypatch):
    assert list(TASK_TABLE) == list(TASKS)
    ran, checked = [], []
    monkeypatch.setitem(TASK_TABLE, "score", TaskEntry(lambda spec, out, load: ran.append((spec.config.task, out)),
                                                        lambda spec, load: checked.append(spec.config.task)))
    assert run_main(monkeypatch, "task=score", "observed=observed/history_2001_2018.yaml",
                    f"hydra.run.dir={tmp_path / 'out'}") == 0
    assert checked == ["score"] and ran == [("score", tmp_path / "out")]


def test_help_is_short_lists_the_tasks_and_explains_the_words(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert run_main(monkeypatch, "--help") == 0
    printed = capsys.readouterr().out
    lines = printed.splitlines()
    assert len(lines) < 60 and max(map(len, lines)) <= 100
    for task in TASKS:
        assert re.search(rf"^  {task} +\S", printed, re.M)
    for term in GLOSSARY:
        assert re.search(rf"^  {re.escape(term)} +\S", printed, re.M)
    assert "params_schema" not in printed and "verbose=true" in printed
    assert list(tmp_path.iterdir()) == []
