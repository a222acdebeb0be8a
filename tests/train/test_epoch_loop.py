"""The batch loop's random stream is the one epoch_loop's docstring documents: the order from
torch.randperm on the epoch generator, then one torch.randn((B, n_latents)) per batch from the
same generator (on CPU), and the loop reads no device value until it ends."""

from __future__ import annotations

import torch

from artifact.config import load_params, resolve
from artifact.data import FactorDataset, prepare_dataset
from artifact.experiment.phase import load_for_training, run_phase
from artifact.train import epoch_loop
from artifact.train.phase_plan import epoch_generator, epoch_slots
from artifact.train.run_key import RunKey
from tests.helpers import write_params


def test_each_step_gets_the_documented_batch_and_noise(tmp_path, monkeypatch):
    cfg = resolve(load_params(write_params(tmp_path)))
    prepare_dataset("dsprites", cfg.data, cfg.paths.data_dir)
    seen: list[tuple[str, torch.Tensor, torch.Tensor | None]] = []
    real_step, real_batch = epoch_loop.train_step, FactorDataset.float_batch
    batches: list[torch.Tensor] = []

    def recording_batch(self, index):
        batches.append(index.clone())
        return real_batch(self, index)

    def recording_step(model, x, noise, optimizer, plan, train_cfg):
        seen.append((plan.stage, batches[-1], None if noise is None else noise.clone()))
        return real_step(model, x, noise, optimizer, plan, train_cfg)

    monkeypatch.setattr(FactorDataset, "float_batch", recording_batch)
    monkeypatch.setattr(epoch_loop, "train_step", recording_step)
    key = RunKey("dsprites", 42, None)
    run_phase("pretrain", key, cfg, torch.device("cpu"))

    _, splits = load_for_training("dsprites", cfg, torch.device("cpu"))
    expected = []
    for stage, epoch in epoch_slots("pretrain", cfg):
        generator = epoch_generator(key.for_phase("pretrain"), stage, epoch)
        order = splits.train[torch.randperm(len(splits.train), generator=generator)]
        if cfg.train.max_batches_per_epoch is not None:
            order = order[: cfg.train.max_batches_per_epoch * cfg.train.batch_size]
        for index in order.split(cfg.train.batch_size):
            noise = None
            if stage != "stage2":
                noise = torch.randn((len(index), cfg.model.n_latents), generator=generator)
            expected.append((stage, index, noise))
    assert len(seen) == len(expected) > 2
    for (stage, index, noise), (want_stage, want_index, want_noise) in zip(seen, expected, strict=True):
        assert stage == want_stage and torch.equal(index, want_index)
        assert (noise is None) == (want_noise is None)
        assert noise is None or torch.equal(noise, want_noise)


def test_the_batch_loop_reads_no_device_value_until_it_ends(tmp_path, monkeypatch):
    """Every step's loss stays a tensor: a float()/item() inside the loop would call __float__
    or item on one; the loop's only read is the mean loss after the last batch."""
    cfg = resolve(load_params(write_params(tmp_path)))
    prepare_dataset("dsprites", cfg.data, cfg.paths.data_dir)
    reads = {"inside": 0}
    in_loop = {"on": False}
    real_step, real_batches = epoch_loop.train_step, epoch_loop._train_batches

    class Watched(torch.Tensor):
        def item(self):
            reads["inside"] += in_loop["on"]
            return super().item()

        def __float__(self):
            reads["inside"] += in_loop["on"]
            return super().__float__()

    def watched_step(*args, **kwargs):
        stats = real_step(*args, **kwargs)
        stats.loss = stats.loss.as_subclass(Watched)
        return stats

    def watched_batches(*args, **kwargs):
        in_loop["on"] = True
        try:
            loss_sum, fires = real_batches(*args, **kwargs)
        finally:
            in_loop["on"] = False
        return loss_sum.as_subclass(torch.Tensor), fires

    monkeypatch.setattr(epoch_loop, "train_step", watched_step)
    monkeypatch.setattr(epoch_loop, "_train_batches", watched_batches)
    run_phase("pretrain", RunKey("dsprites", 42, None), cfg, torch.device("cpu"))
    assert reads["inside"] == 0
