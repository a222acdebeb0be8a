"""What a newcomer trips on (issue 13): train phases take --profile and refuse the paper profile
without CUDA; flags show no `<bool>` value; the closing hint runs as printed; an impossible
allocation is the machine's limit (exit 5), not a bug."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from artifact.cli.app import app
from artifact.storage.atomic import write_json
from tests.helpers import one_sentence, write_params
from tests.helpers.claims import paper_aggregate

runner = CliRunner()




@pytest.mark.skipif(torch.cuda.is_available(), reason="the refusal is for machines without CUDA")
@pytest.mark.parametrize("phase", ["pretrain", "joint", "extended"])
def test_train_takes_profile_and_refuses_paper_without_cuda(tmp_path, phase):
    method = [] if phase == "pretrain" else ["--method", "topk"]
    result = runner.invoke(app, ["train", phase, "--dataset", "dsprites", "--seed", "42", *method,
                                 "--params", str(write_params(tmp_path)), "--profile", "paper"])  # fmt: skip
    one_sentence(result, 5, "the paper profile needs a CUDA GPU")


def test_train_refuses_a_method_or_seed_its_profile_does_not_plan(tmp_path):
    params = str(write_params(tmp_path, {"train": {"methods": ["topk"], "extended": {"methods": ["topk"]}}}))
    base = ["train", "joint", "--dataset", "dsprites", "--params", params, "--device", "cpu"]
    one_sentence(runner.invoke(app, [*base, "--seed", "42", "--method", "l1"]), 2, "--method l1", "train.methods")
    one_sentence(runner.invoke(app, [*base, "--seed", "7", "--method", "topk"]), 2, "--seed 7", "train.seeds")
    bad = runner.invoke(app, [*base, "--seed", "42", "--method", "sparse"])
    assert bad.exit_code == 2 and "'topk'" in bad.output  # a choice, listed by click


@pytest.mark.parametrize("command", [["verify-claims"], ["reproduce"], ["train", "joint"], ["report"]])
def test_flags_show_no_bool_value_in_help(command):
    result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "160"})
    assert result.exit_code == 0 and "--help" in result.output
    assert "<bool>" not in result.output and "BOOLEAN" not in result.output


def test_device_tpu_is_a_usage_error_listing_the_choices(tmp_path):
    result = runner.invoke(app, ["reproduce", "--params", str(write_params(tmp_path)), "--device", "tpu"])
    assert result.exit_code == 2 and "internal error" not in result.output
    assert "'cuda'" in result.output


def test_the_closing_hint_runs_as_printed(tmp_path, monkeypatch):
    out = tmp_path / "a dir with spaces"
    write_json(out / "aggregate.json", paper_aggregate())
    import artifact.experiment.reproduce as reproduce_module

    monkeypatch.setattr(reproduce_module, "reproduce", lambda *a, **k: out / "report" / "report.md")
    result = runner.invoke(app, ["reproduce", "--params", str(write_params(tmp_path)), "--profile",
                                 "smoke", "--device", "cpu", "--out", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    hint = next(line for line in result.stdout.splitlines() if line.startswith("claims: "))
    command = hint.removeprefix("claims: ")
    ran = subprocess.run(command, shell=True, capture_output=True, text=True, cwd="/", timeout=300)
    assert ran.returncode == 0, (command, ran.stderr)
    assert Path(command.split()[0]).name == "artifact" and "/" in command.split()[0]


@pytest.mark.parametrize("error", [MemoryError(), torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 80 GiB")])
def test_an_impossible_allocation_is_one_sentence_with_the_hardware_code(tmp_path, monkeypatch, error):
    import artifact.experiment.reproduce as reproduce_module

    def allocate(*args, **kwargs):
        raise error

    monkeypatch.setattr(reproduce_module, "reproduce", allocate)
    result = runner.invoke(app, ["reproduce", "--params", str(write_params(tmp_path)), "--profile",
                                 "smoke", "--device", "cpu"])  # fmt: skip
    assert result.exit_code == 5, result.output
    line = result.output.strip().splitlines()[-1]
    assert line.startswith("error: out of memory") and "smaller profile" in line and "bug" not in line
