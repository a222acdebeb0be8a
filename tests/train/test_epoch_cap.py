"""A profile's `max_batches_per_epoch` (the `slice` profile) cuts every epoch to its first
batches, and nothing else: the same stages, epochs and evaluation run."""

from __future__ import annotations

import json
import math

from typer.testing import CliRunner

from artifact.cli import app as cli
from artifact.config import load_params, resolve
from artifact.train import epoch_loop
from tests.helpers import write_params


def _pretrain(tmp_path, monkeypatch, cap: int | None) -> tuple[list[int], dict]:
    """Run the pretrain phase; the batch sizes train_step saw and the phase's metrics file."""
    overrides = {"profiles": {"smoke": {"max_batches_per_epoch": cap}}} if cap else None
    params = write_params(tmp_path, overrides)
    sizes: list[int] = []
    real_step = epoch_loop.train_step

    def counting_step(model, x, *args, **kwargs):
        sizes.append(len(x))
        return real_step(model, x, *args, **kwargs)

    monkeypatch.setattr(epoch_loop, "train_step", counting_step)
    runner = CliRunner()
    args = ["--params", str(params)]
    prepared = runner.invoke(cli.app, ["data", "prepare", "dsprites", *args])
    assert prepared.exit_code == 0, prepared.output
    result = runner.invoke(cli.app, ["train", "pretrain", "--dataset", "dsprites", "--seed", "42", *args])
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "results" / "runs" / "dsprites-42" / "pretrain.json").read_text())
    return sizes, metrics | {"cfg": resolve(load_params(params))}


def test_every_epoch_trains_only_its_first_batches_and_still_evaluates(tmp_path, monkeypatch):
    cap = 2
    sizes, metrics = _pretrain(tmp_path, monkeypatch, cap)
    cfg = metrics["cfg"]
    n_epochs = cfg.train.stage1.n_epochs + cfg.train.stage2.n_epochs
    assert cfg.train.max_batches_per_epoch == cap
    assert sizes == [cfg.train.batch_size] * cap * n_epochs  # full batches, `cap` per epoch
    assert [r["stage"] for r in metrics["epochs"]].count("stage1") == cfg.train.stage1.n_epochs
    assert all(r["mig"] is not None for r in metrics["epochs"])  # each epoch still evaluated


def test_without_a_cap_an_epoch_walks_the_whole_training_split(tmp_path, monkeypatch):
    sizes, metrics = _pretrain(tmp_path, monkeypatch, None)
    cfg = metrics["cfg"]
    n_epochs = cfg.train.stage1.n_epochs + cfg.train.stage2.n_epochs
    assert cfg.train.max_batches_per_epoch is None
    per_epoch = len(sizes) // n_epochs
    assert per_epoch == math.ceil(sum(sizes) / n_epochs / cfg.train.batch_size) > 2


def test_the_preflight_time_estimate_counts_only_the_batches_a_capped_epoch_trains():
    from artifact.env.preflight import estimate_cpu_seconds
    from tests.helpers import paper_config

    capped = paper_config("slice")
    whole = capped.model_copy(
        update={"train": capped.train.model_copy(update={"max_batches_per_epoch": None})}
    )
    assert capped.train.max_batches_per_epoch is not None
    # full epochs of 400,000+ images against 3 batches: orders of magnitude apart
    assert estimate_cpu_seconds(capped) < estimate_cpu_seconds(whole) / 50
