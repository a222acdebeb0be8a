"""`artifact verify-claims` and `artifact audit-paper` through typer's CliRunner: exit codes,
formats and one-sentence errors."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from artifact.cli.claims import register
from artifact.storage.atomic import write_json
from tests.helpers.claims import paper_aggregate, shift_out_of_tolerance

app = typer.Typer()
register(app)
runner = CliRunner()


def metrics_dir(tmp_path, aggregate: dict | None = None):
    write_json(tmp_path / "aggregate.json", aggregate or paper_aggregate())
    return tmp_path


def test_verify_claims_exits_zero_when_every_checked_claim_reproduces(tmp_path):
    result = runner.invoke(app, ["verify-claims", "--metrics", str(metrics_dir(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "reproduced" in result.stdout and "t1.dsprites.topk.dead_pct" in result.stdout


def test_verify_claims_exits_nonzero_when_a_claim_fails(tmp_path):
    aggregate = paper_aggregate()
    shift_out_of_tolerance(aggregate["metrics"]["dsprites.topk.dead_pct"])
    result = runner.invoke(
        app,
        ["verify-claims", "--metrics", str(metrics_dir(tmp_path, aggregate)), "--format", "json"],
    )
    assert result.exit_code == 1
    verdicts = {c["id"]: c["verdict"] for c in json.loads(result.stdout)["claims"]}
    assert verdicts["t1.dsprites.topk.dead_pct"] == "not_reproduced"


def test_strict_fails_on_a_missing_metric_and_plain_does_not(tmp_path):
    aggregate = paper_aggregate()
    del aggregate["metrics"]["shapes3d.l1.mig"]
    directory = metrics_dir(tmp_path, aggregate)
    assert runner.invoke(app, ["verify-claims", "--metrics", str(directory)]).exit_code == 0
    assert (
        runner.invoke(app, ["verify-claims", "--metrics", str(directory), "--strict"]).exit_code
        == 1
    )


def test_a_smoke_run_exits_zero_and_reports_not_comparable(tmp_path):
    directory = metrics_dir(tmp_path, paper_aggregate("smoke", "procedural"))
    result = runner.invoke(app, ["verify-claims", "--metrics", str(directory), "--format", "json"])
    assert result.exit_code == 0
    summary = json.loads(result.stdout)["summary"]
    assert summary["reproduced"] == 0 and summary["not_comparable"] > 200


def test_markdown_output_is_a_table_with_every_claim(tmp_path):
    result = runner.invoke(
        app, ["verify-claims", "--metrics", str(metrics_dir(tmp_path)), "--format", "markdown"]
    )
    assert result.exit_code == 0
    rows = [line for line in result.stdout.splitlines() if line.startswith("| ") and "`" in line]
    assert len(rows) == json.loads(runner.invoke(
        app, ["verify-claims", "--metrics", str(tmp_path), "--format", "json"]).stdout)["summary"]["total"]  # fmt: skip


@pytest.mark.parametrize(("setup", "message"), [
    (lambda d: d / "missing", "does not exist"),
    (lambda d: d, "has no aggregate.json"),
    (lambda d: (d / "aggregate.json").write_text("{not json") and d, "not valid JSON"),
    (lambda d: (d / "aggregate.json").write_text('{"metrics": {"a.b": {"std": 1}}}') and d, "key 'schema'"),
])  # fmt: skip
def test_verify_claims_exits_two_with_one_sentence_when_it_cannot_run(tmp_path, setup, message):
    result = runner.invoke(app, ["verify-claims", "--metrics", str(setup(tmp_path))])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_audit_paper_prints_findings_as_json_and_as_a_table():
    result = runner.invoke(app, ["audit-paper", "--format", "json"])
    assert result.exit_code == 0
    findings = {f["id"] for f in json.loads(result.stdout)["findings"]}
    assert "formula:eq4.k_schedule" in findings
    table = runner.invoke(app, ["audit-paper"])
    assert table.exit_code == 0 and "contradiction" in table.stdout


def test_audit_paper_refuses_a_malformed_claims_directory(tmp_path):
    result = runner.invoke(app, ["audit-paper", "--claims", str(tmp_path / "none")])
    assert result.exit_code == 2 and "does not exist" in result.output
