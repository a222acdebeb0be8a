"""Training-time readings: one queued DVC experiment per value params.yaml does not hold, each
a valid params file once applied; the table lays each experiment's outcomes side by side."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from artifact.cli.app import app
from artifact.config import load_params
from artifact.experiment.readings import TRAINING_AXES, axis_values, exp_commands, readings_table
from artifact.storage.atomic import write_json
from tests.helpers import ROOT
from tests.helpers.claims import paper_aggregate, shift_out_of_tolerance

PARAMS = load_params(ROOT / "params.yaml")
runner = CliRunner()


def _overrides(argv: list[str]) -> dict:
    nested: dict = {}
    for flag, value in zip(argv, argv[1:], strict=False):
        if flag != "-S" or value.startswith("profile="):
            continue
        path, raw = value.split("=", 1)
        node = nested
        *parents, leaf = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = {"true": True, "false": False}.get(raw, int(raw) if raw.isdigit() else raw)
    return nested


def test_one_experiment_per_other_value_each_a_valid_params_file():
    commands = exp_commands(PARAMS, "smoke")
    expected = sum(
        len(axis_values(m, f)) - 1 for m, f in TRAINING_AXES.values() if f in m.model_fields
    )
    assert len(commands) == expected
    names = [argv[argv.index("--name") + 1] for argv in commands]
    assert len(set(names)) == len(names)
    for argv in commands:
        assert argv[:4] == ["dvc", "exp", "run", "--queue"] and "profile=smoke" in argv
        load_params(ROOT / "params.yaml", overrides=_overrides(argv))  # raises when invalid


def test_plan_prints_the_commands_and_refuses_an_unknown_profile():
    result = runner.invoke(
        app, ["readings", "plan", "--profile", "smoke", "--params", str(ROOT / "params.yaml")]
    )
    assert result.exit_code == 0
    assert result.stdout.count("dvc exp run --queue") == len(exp_commands(PARAMS, "smoke"))
    bad = runner.invoke(
        app, ["readings", "plan", "--profile", "nope", "--params", str(ROOT / "params.yaml")]
    )
    assert bad.exit_code == 2 and "not in" in bad.output


def test_table_lays_outcomes_side_by_side(tmp_path):
    moved = paper_aggregate()
    shift_out_of_tolerance(moved["metrics"]["dsprites.topk.dead_pct"])
    table = readings_table({"as-paper": paper_aggregate(), "moved": moved})
    assert table["claims"]["t1.dsprites.topk.dead_pct"] == {"as-paper": "pass", "moved": "fail"}
    assert next(iter(table["claims"])) in {
        c for c, o in table["claims"].items() if len(set(o.values())) > 1
    }
    for name, payload in (("a", paper_aggregate()), ("b", moved)):
        (tmp_path / name).mkdir()
        write_json(tmp_path / name / "aggregate.json", payload)
    result = runner.invoke(
        app, ["readings", "table", str(tmp_path / "a"), str(tmp_path / "b"), "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["claims"]["t1.dsprites.topk.dead_pct"] == {
        "a": "pass",
        "b": "fail",
    }
