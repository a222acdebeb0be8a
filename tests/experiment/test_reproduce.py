"""The whole experiment at tiny scale: the same seed gives the same metrics twice, two workers
give what one gives, a second process on the same output directory is refused, a diverged run
stops in one sentence naming where, and an internal bug is one line too."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from artifact.cli import app as cli
from artifact.storage.lock import directory_lock
from artifact.train import epoch_loop
from artifact.train.checkpoint import load_checkpoint
from tests.helpers import ROOT, write_params

VOLATILE = {"wall_s"}  # wall-clock time differs between runs; nothing else may


def comparable(out: Path) -> dict[str, dict]:
    """Every run's per-epoch records and final record, without the wall-clock times."""
    files = {}
    for path in sorted(out.glob("runs/*/*.json")):
        if path.stem.endswith("_summary"):  # a digest of the same file
            continue
        payload = json.loads(path.read_text())
        strip = lambda record: {k: v for k, v in record.items() if k not in VOLATILE}  # noqa: E731
        files[str(path.relative_to(out))] = [strip(r) for r in payload["epochs"]]
    return files


def reproduce(params: Path, out: Path, *extra: str):
    result = CliRunner().invoke(
        cli.app, ["reproduce", "--params", str(params), "--out", str(out), "--profile", "smoke", *extra]
    )
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def serial_run(tmp_path_factory) -> tuple[Path, dict]:
    """One process, at the thread count each of two parallel workers gets (CPU kernels split
    their sums by thread, so bit-identity holds at equal thread counts; the provenance records it)."""
    directory = tmp_path_factory.mktemp("serial")
    params = write_params(directory)
    threads = torch.get_num_threads()
    torch.set_num_threads(max(1, threads // 2))
    try:
        reproduce(params, directory / "first")
        second = reproduce(params, directory / "second")
    finally:
        torch.set_num_threads(threads)
    assert second.exit_code == 0
    return params, comparable(directory / "first"), comparable(directory / "second"), directory / "first"


@pytest.mark.slow
def test_same_seed_and_profile_give_identical_metrics_twice(serial_run):
    _, first, second, _ = serial_run
    assert {"runs/dsprites-topk-42/metrics.json", "runs/dsprites-topk-42/extended.json"} <= set(first)
    assert second == first


@pytest.mark.slow
def test_two_workers_give_each_run_what_one_process_gives(serial_run, tmp_path):
    _, serial, _, _ = serial_run
    params = write_params(tmp_path, {"train": {"seeds": [42, 43]}})
    result = reproduce(params, tmp_path / "parallel", "--workers", "2")
    parallel = comparable(tmp_path / "parallel")
    assert {name.replace("-42/", "-43/") for name in serial} <= set(parallel)  # seed 43 ran too
    assert {name: parallel[name] for name in serial} == serial  # seed 42 is bit-identical
    aggregate = json.loads((tmp_path / "parallel" / "aggregate.json").read_text())
    assert aggregate["metrics"]["dsprites.topk.dead_pct"]["seeds"] == [42, 43]  # it waited for both
    assert "report:" in result.output


@pytest.mark.slow
def test_a_completed_run_is_never_redone(serial_run):
    params, first, _, out = serial_run
    written = {path: path.stat().st_mtime_ns for path in out.glob("runs/*/*")}
    reproduce(params, out)  # resumes by default: every phase is complete
    assert {path: path.stat().st_mtime_ns for path in out.glob("runs/*/*")} == written
    assert comparable(out) == first


def test_a_second_process_on_the_same_output_is_refused_in_one_sentence(tiny_params, tmp_path):
    out = tmp_path / "results"
    with directory_lock(out):  # the first `artifact reproduce`, mid-run
        second = subprocess.run(
            [sys.executable, "-m", "artifact.cli.app", "reproduce", "--params", str(tiny_params),
             "--profile", "smoke", "--out", str(out)],
            cwd=ROOT, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert second.returncode == 4
    error = second.stderr.strip().splitlines()[-1]
    assert error.startswith("error: another artifact process is writing to") and "Traceback" not in second.stderr
    assert not (out / "runs").exists()  # the second process wrote nothing


def test_a_training_stage_is_refused_beside_a_whole_reproduce_of_its_output(tiny_params, tmp_path):
    args = ["train", "pretrain", "--dataset", "dsprites", "--seed", "42", "--params", str(tiny_params)]
    with directory_lock(tmp_path / "results"):  # a `reproduce` of the same output directory
        result = CliRunner().invoke(cli.app, args)
    assert result.exit_code == 4 and "another artifact process is writing to" in result.output


def test_a_loss_that_becomes_nan_stops_the_run_naming_where_and_keeps_the_last_checkpoint(
    tiny_params, monkeypatch
):
    runner = CliRunner()
    # A checkpoint at every step boundary: the last good one is epoch 0's end, as none of the
    # steps after the NaN is saved (train/epoch_loop.py).
    tiny_params = write_params(tiny_params.parent, {"train": {"checkpoint_minutes": 0}})
    args = ["--dataset", "dsprites", "--seed", "42", "--params", str(tiny_params)]
    assert runner.invoke(cli.app, ["data", "prepare", "dsprites", "--params", str(tiny_params)]).exit_code == 0
    assert runner.invoke(cli.app, ["train", "pretrain", *args]).exit_code == 0
    real_step, real_plan_for = epoch_loop.train_step, epoch_loop.plan_for
    now: dict[str, tuple] = {}

    def tracking_plan_for(stage, epoch, method, cfg):  # called once at the start of each epoch
        now["epoch"] = (stage, epoch)
        return real_plan_for(stage, epoch, method, cfg)

    def diverging_step(*args, **kwargs):  # stage 3's second epoch diverges
        stats = real_step(*args, **kwargs)
        if now["epoch"] == ("stage3", 1):
            stats.loss = torch.tensor(float("nan"))
        return stats

    monkeypatch.setattr(epoch_loop, "plan_for", tracking_plan_for)
    monkeypatch.setattr(epoch_loop, "train_step", diverging_step)
    result = runner.invoke(cli.app, ["train", "joint", "--method", "topk", *args])
    assert result.exit_code == 4
    assert result.output.strip().splitlines() == [
        "error: loss became nan in stage3 epoch 1 of dsprites topk seed 42; "
        "the last good checkpoint was kept."
    ]
    out = tiny_params.parent / "results" / "runs" / "dsprites-topk-42"
    kept = load_checkpoint(out / "joint.pt")
    assert kept["position"] == 1 and not kept["complete"]  # epoch 0's state, not the diverged one
    assert not (out / "metrics.json").exists()


def test_an_unexpected_exception_is_one_line_and_exit_70(tiny_params, monkeypatch):
    import artifact.experiment.aggregate

    def broken(*args, **kwargs):
        raise ValueError("synthetic bug")

    monkeypatch.setattr(artifact.experiment.aggregate, "aggregate", broken)
    (tiny_params.parent / "results").mkdir(exist_ok=True)  # aggregate reads an existing --out
    result = CliRunner().invoke(cli.app, ["aggregate", "--params", str(tiny_params)])
    assert result.exit_code == 70
    assert result.output.strip().splitlines() == [
        "error: internal error (ValueError: synthetic bug); this is a bug of the artifact, rerun "
        "with ARTIFACT_TRACEBACK=1 to see where and please report it."
    ]


@pytest.mark.slow
def test_dvc_metrics_files_hold_the_end_points_without_config_or_history(serial_run):
    _, _, _, out = serial_run
    summary = json.loads((out / "runs" / "dsprites-topk-42" / "metrics_summary.json").read_text())
    full = json.loads((out / "runs" / "dsprites-topk-42" / "metrics.json").read_text())
    assert summary["final"] == full["final"] and summary["at_k_start"] == full["at_k_start"]
    assert not {"config", "provenance", "epochs"} & set(summary)
    means = json.loads((out / "summary.json").read_text())
    aggregate = json.loads((out / "aggregate.json").read_text())["metrics"]
    assert means == {key: {"mean": e["mean"], "std": e["std"]} for key, e in aggregate.items()}
