"""`artifact env`: the provenance record on stdout, as JSON or a table; errors in one line."""

from __future__ import annotations

import json

import typer
from typer.testing import CliRunner

from artifact.cli.env import flatten, register
from artifact.config import load_params, resolve

runner = CliRunner()


def make_app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:  # a group, so `env` is a subcommand as in the real CLI
        pass

    register(app)
    return app


def test_env_json_is_the_provenance_record_of_the_given_params(tiny_params):
    result = runner.invoke(make_app(), ["env", "--json", "--params", str(tiny_params)])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    cfg = resolve(load_params(tiny_params))
    assert record["params_digest"] == cfg.digest()
    assert record["profile"] == "smoke"
    assert record["determinism"]["deterministic_algorithms"] is True  # what a run would record


def test_env_table_lists_every_fact(tiny_params):
    result = runner.invoke(make_app(), ["env", "--params", str(tiny_params)])
    assert result.exit_code == 0, result.output
    for fact in ("git_commit", "torch", "hardware.cpu", "determinism.seeds", "params_digest"):
        assert fact in result.stdout


def test_env_outside_a_checkout_records_the_environment_alone(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(make_app(), ["env", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["params_digest"] is None


def test_env_with_a_missing_params_file_fails_in_one_line(tmp_path):
    result = runner.invoke(make_app(), ["env", "--params", str(tmp_path / "absent.yaml")])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "does not exist" in result.output


def test_flatten_joins_nested_keys_and_keeps_lists():
    assert flatten({"a": {"b": 1, "c": {"d": [1, 2]}}, "e": {}}) == [
        ("a.b", 1),
        ("a.c.d", [1, 2]),
        ("e", {}),
    ]
