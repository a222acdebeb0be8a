"""Honest by construction (issue 13): every step after training takes the profile, data source,
config and provenance from the runs' own metrics files, never from params.yaml, so no verdict
says `reproduced` for runs that did not use the paper's setup. Through the CLI (CliRunner)."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from artifact.cli.app import app
from artifact.config import load_params, resolve
from artifact.storage.atomic import read_json, write_json
from tests.fixtures.report_synthetic import config, write_runs
from tests.helpers import ROOT

runner = CliRunner()
PAPER_PARAMS = ROOT / "params.yaml"  # profile: paper


def cli(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def verdicts(out) -> dict:
    result = cli("verify-claims", "--metrics", out, "--format", "json")
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def one_sentence(result, code: int, *needles: str) -> None:
    assert result.exit_code == code, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in result.output
    for needle in needles:
        assert needle in lines[0], lines[0]


def relabel(out, **labels) -> None:
    """Edit labels the runs record (data_source is not part of the config digest)."""
    for path in (out / "runs").glob("*/*.json"):
        payload = read_json(path)
        if "schema" in payload:
            write_json(path, payload | labels)


@pytest.fixture
def smoke_runs(tmp_path):
    out = tmp_path / "out"
    write_runs(config("smoke"), out)
    return out


def test_aggregate_beside_a_paper_params_file_keeps_the_runs_own_profile_and_config(smoke_runs):
    result = cli("aggregate", "--params", PAPER_PARAMS, "--out", smoke_runs)
    assert result.exit_code == 0, result.output
    assert "smoke profile" in result.stdout
    payload = read_json(smoke_runs / "aggregate.json")
    smoke = config("smoke")
    assert payload["profile"] == "smoke" and payload["config"]["profile"] == "smoke"
    assert payload["config_digest"] == smoke.digest()
    assert payload["metrics"]["model.conv_sae_width"]["mean"] == smoke.model.conv_sae_width
    assert len(payload["runs"]) == 12
    report = verdicts(smoke_runs)
    assert report["summary"]["reproduced"] == 0 and report["summary"]["not_comparable"] > 200


def test_smoke_runs_on_official_data_reproduce_nothing(smoke_runs):
    relabel(smoke_runs, data_source="official")
    assert cli("aggregate", "--out", smoke_runs).exit_code == 0
    assert cli("claims", "--out", smoke_runs).exit_code == 0
    claims = read_json(smoke_runs / "claims.json")
    assert claims["summary"]["reproduced"] == 0
    width = next(c for c in claims["claims"] if c["id"] == "s3.1.conv_sae_width")
    assert width["verdict"] == "not_comparable" and width["observed"]["mean"] != 8192


@pytest.mark.parametrize("labels", [{"profile": "paper"}, {"data_source": "official"},
                                    {"profile": "paper", "data_source": "official"}])  # fmt: skip
def test_an_aggregate_whose_labels_were_edited_is_refused(smoke_runs, labels):
    assert cli("aggregate", "--out", smoke_runs).exit_code == 0
    path = smoke_runs / "aggregate.json"
    write_json(path, read_json(path) | labels)
    key = next(iter(labels))
    one_sentence(cli("verify-claims", "--metrics", smoke_runs), 2, str(path), f"'{key}'")
    shutil.rmtree(smoke_runs / "runs")  # judged on its embedded run records: still refused
    one_sentence(cli("verify-claims", "--metrics", smoke_runs), 2, f"'{key}'")


def test_an_edited_config_in_the_aggregate_is_refused(smoke_runs):
    assert cli("aggregate", "--out", smoke_runs).exit_code == 0
    path = smoke_runs / "aggregate.json"
    payload = read_json(path)
    payload["config"] = resolve(load_params(PAPER_PARAMS), "paper").model_dump(mode="json")
    payload["profile"] = "paper"
    write_json(path, payload)
    one_sentence(cli("verify-claims", "--metrics", smoke_runs), 2, "config_digest")


@pytest.mark.parametrize(("left", "right", "named"), [
    ("smoke", "cpu", "profiles"),
    ("smoke", "data", "data sources"),
    ("smoke", "seeds", "config digests"),
])  # fmt: skip
def test_runs_of_different_profiles_sources_or_configs_are_refused_naming_two(tmp_path, left, right, named):
    out = tmp_path / "out"
    write_runs(config(left), out)
    if right == "data":
        for path in (out / "runs" / "dsprites-topk-42").glob("*.json"):
            write_json(path, read_json(path) | {"data_source": "official"})
    else:
        other = tmp_path / "other"
        write_runs(config(right) if right != "seeds" else config(left, seeds=(42, 43, 44, 45)), other)
        shutil.rmtree(out / "runs" / "shapes3d-l1-44")
        shutil.copytree(other / "runs" / "shapes3d-l1-44", out / "runs" / "shapes3d-l1-44")
    result = cli("aggregate", "--out", out)
    one_sentence(result, 2, named)
    assert sum(name in result.output for name in ("dsprites-l1-42", "dsprites-topk-42", "shapes3d-l1-44")) == 2
    assert not (out / "aggregate.json").exists()


def test_paper_runs_reproduce_only_with_every_seed_present(tmp_path):
    out = tmp_path / "out"
    write_runs(config("paper"), out)
    assert cli("aggregate", "--out", out).exit_code == 0
    assert verdicts(out)["summary"]["reproduced"] > 50
    shutil.rmtree(out / "runs" / "dsprites-topk-43")
    # The aggregate still lists the deleted run: refused until it is rebuilt.
    one_sentence(cli("verify-claims", "--metrics", out), 2, "does not match the runs")
    one_sentence(cli("report", "--metrics", out), 2, "does not match the runs")
    assert cli("aggregate", "--out", out).exit_code == 0
    report = verdicts(out)
    assert report["summary"]["reproduced"] == 0
    assert "dsprites-topk-43" in report["provenance"]["not_comparable_because"]


def test_a_setting_departing_from_the_paper_makes_measured_claims_not_comparable(tmp_path):
    out = tmp_path / "out"
    overrides = {"data": {"datasets": ["dsprites", "shapes3d"]},
                 "train": {"methods": ["topk", "l1"], "lr": 1e-3}}  # fmt: skip
    write_runs(resolve(load_params(PAPER_PARAMS, overrides), "paper"), out)
    assert cli("aggregate", "--out", out).exit_code == 0
    report = verdicts(out)
    by_id = {c["id"]: c for c in report["claims"]}
    assert by_id["s3.3.lr"]["verdict"] == "not_reproduced"  # the departing setting itself
    assert by_id["s3.3.batch_size"]["verdict"] == "reproduced"
    measured = [c for c in report["claims"] if c["kind"] in ("mean_std", "derived", "ordering", "trend")]
    assert measured and all(c["verdict"] in ("not_comparable", "paper_inconsistent") for c in measured)
    assert "train.lr" in report["provenance"]["not_comparable_because"]


def test_claims_and_report_read_the_runs_not_params(smoke_runs, tmp_path):
    assert cli("aggregate", "--params", PAPER_PARAMS, "--out", smoke_runs).exit_code == 0
    assert cli("claims", "--params", PAPER_PARAMS, "--out", smoke_runs).exit_code == 0
    assert read_json(smoke_runs / "claims.json")["provenance"]["aggregate_profile"] == "smoke"
    result = cli("report", "--metrics", smoke_runs)
    assert result.exit_code == 0, result.output
    assert "Not a reproduction" in (smoke_runs / "report" / "report.md").read_text()
