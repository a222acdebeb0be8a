"""Malformed aggregate.json or run metrics files are refused in one sentence naming the file and
the key (issue 13), and `--strict` fails whenever a claim could not be checked."""

from __future__ import annotations

import json
import math

import pytest
from typer.testing import CliRunner

from artifact.cli.app import app
from artifact.storage.atomic import read_json
from tests.fixtures.report_synthetic import config, write_runs
from tests.helpers.claims import paper_aggregate

runner = CliRunner()


def write_raw(path, payload) -> None:
    """JSON as a hand edit would leave it: NaN and Infinity allowed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, allow_nan=True))


def refused(result, *needles: str) -> None:
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    for needle in needles:
        assert needle in lines[0], lines[0]


def _set(entry: str, key: str, value):
    def edit(payload):
        payload["metrics"][entry][key] = value
    return edit


ENTRY = "dsprites.topk.dead_pct"
BROKEN_AGGREGATES = {
    "nan mean": (_set(ENTRY, "mean", math.nan), f"metrics.{ENTRY}.mean"),
    "infinite value": (lambda p: p["metrics"][ENTRY]["values"].__setitem__(0, math.inf),
                       f"metrics.{ENTRY}.values.0"),
    "negative n": (_set(ENTRY, "n", -3), f"metrics.{ENTRY}.n"),
    "zero n": (_set(ENTRY, "n", 0), f"metrics.{ENTRY}.n"),
    "seeds not matching values": (_set(ENTRY, "seeds", [42, 43]), f"metrics.{ENTRY}.seeds"),
    "values not matching n": (_set(ENTRY, "values", [1.0]), f"metrics.{ENTRY}.values"),
    "negative std": (_set(ENTRY, "std", -1.0), f"metrics.{ENTRY}.std"),
    "unknown schema": (lambda p: p.update(schema="artifact.aggregate/99"), "'schema'"),
    "old schema": (lambda p: p.update(schema="artifact.aggregate/1"), "'schema'"),
    "no run list": (lambda p: p.pop("runs"), "'runs'"),
    "no config": (lambda p: p.pop("config"), "'config'"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BROKEN_AGGREGATES))
def test_a_malformed_aggregate_is_refused_naming_the_file_and_the_key(tmp_path, case):
    edit, key = BROKEN_AGGREGATES[case]
    payload = paper_aggregate()
    edit(payload)
    write_raw(tmp_path / "aggregate.json", payload)
    result = runner.invoke(app, ["verify-claims", "--metrics", str(tmp_path)])
    refused(result, str(tmp_path / "aggregate.json"), key)


def test_strict_fails_on_an_aggregate_with_no_metrics_at_all(tmp_path):
    for profile, source in (("paper", "official"), ("smoke", "procedural")):
        payload = paper_aggregate(profile, source)
        payload["metrics"] = {}
        write_raw(tmp_path / "aggregate.json", payload)
        plain = runner.invoke(app, ["verify-claims", "--metrics", str(tmp_path)])
        strict = runner.invoke(app, ["verify-claims", "--metrics", str(tmp_path), "--strict"])
        assert plain.exit_code == 0, plain.output
        assert strict.exit_code == 1, (profile, strict.output)


def test_strict_passes_a_complete_paper_aggregate(tmp_path):
    write_raw(tmp_path / "aggregate.json", paper_aggregate())
    assert runner.invoke(app, ["verify-claims", "--metrics", str(tmp_path), "--strict"]).exit_code == 0


def _edit_run(key_path: str, value):
    def edit(payload):
        node = payload
        *parents, last = key_path.split(".")
        for part in parents:
            node = node[part]
        node[last] = value
    return edit


BROKEN_RUNS = {
    "nan metric": (_edit_run("final.mig", math.nan), "final.mig"),
    "infinite timing": (_edit_run("timing_s.stage3", math.inf), "timing_s.stage3"),
    "unknown schema": (_edit_run("schema", "artifact.run_metrics/9"), "'schema'"),
    "negative parameter count": (_edit_run("n_parameters", -5), "'n_parameters'"),
    "edited config": (_edit_run("config.model.conv_sae_width", 8192), "'config_digest'"),
    "relabelled profile": (_edit_run("profile", "paper"), "'config.profile'"),
    "unknown data source": (_edit_run("data_source", "imagined"), "'data_source'"),
    "run key of another run": (_edit_run("run.seed", 44), "'run'"),
    "no final record": (_edit_run("final", None), "'final'"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BROKEN_RUNS))
def test_a_malformed_run_metrics_file_is_refused_by_aggregate_naming_the_file_and_the_key(tmp_path, case):
    out = tmp_path / "out"
    write_runs(config("smoke", seeds=(42, 43)), out)
    path = out / "runs" / "dsprites-topk-43" / "metrics.json"
    payload = read_json(path)
    edit, key = BROKEN_RUNS[case]
    edit(payload)
    write_raw(path, payload)
    result = runner.invoke(app, ["aggregate", "--out", str(out)])
    refused(result, str(path), key)
    assert not (out / "aggregate.json").exists()
