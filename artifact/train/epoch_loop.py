"""One epoch of training: the batch loop, then revival, then evaluation (section 3.3).

`run_epoch` is the loop a newcomer looks for: shuffle with the epoch's generator, one
`train_step` per batch, the revival counters updated from the epoch's firings, and one
evaluation record (MIG, dead %, specialised, MSE, sweeps) at the end.
"""

from __future__ import annotations

import math
import time

import torch

from artifact.config import RunConfig
from artifact.data import FactorDataset
from artifact.errors import TrainingError
from artifact.train.evaluation import evaluate
from artifact.train.phase_plan import epoch_generator, plan_for
from artifact.train.revival import RevivalState, bias_boost, neurons_to_reinitialise, reinitialise_
from artifact.train.run_key import RunKey, Splits
from artifact.train.step import train_step


def where(stage: str, epoch: int, key: RunKey) -> str:
    return f"{stage} epoch {epoch} of {key.dataset} {key.method or 'pretrain'} seed {key.seed}"


def check_finite(numbers: dict, stage: str, epoch: int, key: RunKey) -> None:
    """Stop a diverged run in one sentence; the checkpoint on disk is the last good epoch's."""
    bad = [name for name, value in numbers.items() if value is not None and not math.isfinite(value)]
    if bad:
        raise TrainingError(
            f"{bad[0]} became {numbers[bad[0]]} in {where(stage, epoch, key)}; "
            "the last good checkpoint was kept."
        )


def run_epoch(
    state: dict,
    stage: str,
    epoch: int,
    position: int,
    key: RunKey,
    cfg: RunConfig,
    dataset: FactorDataset,
    splits: Splits,
) -> dict:
    """Train `state["model"]` for one epoch of `stage` and return the epoch's evaluation record."""
    started = time.perf_counter()
    device = dataset.images.device
    model, optimizer, revival = state["model"], state["optimizer"], state["revival"]
    plan = plan_for(stage, epoch, key.method, cfg)
    generator = epoch_generator(key, stage, epoch)
    if revival is not None:
        model.conv_sae.set_boost_(
            bias_boost(revival.cumulative_fires, revival.epochs_done, cfg.train.revival)
        )
    order = splits.train[torch.randperm(len(splits.train), generator=generator)]
    loss_sum = torch.zeros((), dtype=torch.float64, device=device)
    fires = torch.zeros(cfg.model.conv_sae_width, dtype=torch.int64, device=device)
    model.train()
    for index in order.split(cfg.train.batch_size):
        x = dataset.float_batch(index.to(device))
        noise = None
        if stage != "stage2":
            noise = torch.randn((len(index), cfg.model.n_latents), generator=generator).to(device)
        stats = train_step(model, x, noise, optimizer, plan, cfg.train)
        loss_sum += stats.loss.double() * len(index)
        if stats.fire_counts is not None:
            fires += stats.fire_counts
    mean_loss = float(loss_sum / len(order))
    check_finite({"loss": mean_loss}, stage, epoch, key)  # before anything reads the weights
    n_reinitialised = 0
    if revival is not None:
        n_reinitialised = revive_(model, optimizer, revival, fires, len(order), generator, cfg)
    try:
        record = evaluate(
            model,
            dataset,
            splits.evaluation,
            plan.k,
            cfg.metrics,
            cfg.train.batch_size,
            with_sae=stage != "stage1",
        )
    except TrainingError as error:  # a metric met NaN codes: say where
        raise TrainingError(
            f"{str(error).rstrip('.')} in {where(stage, epoch, key)}; "
            "the last good checkpoint was kept."
        ) from None
    record = {
        "stage": stage,
        "epoch": epoch,
        "index": position,
        "k": plan.k,
        "l1_lambda": plan.l1_lambda if stage != "stage1" else None,
        "beta": plan.beta,
        "loss": mean_loss,
        "n_reinitialised": n_reinitialised,
        **record,
        "wall_s": time.perf_counter() - started,
    }
    check_finite({name: record[name] for name in ("mig", "mse", "dead_pct")}, stage, epoch, key)
    return record


def revive_(
    model, optimizer, revival: RevivalState, fires, n_samples: int, generator, cfg: RunConfig
) -> int:
    """Update the revival counters with this epoch's firings; re-initialise if triggered."""
    revival.cumulative_fires += fires
    revival.epoch_fires = fires
    revival.epochs_done += 1
    revival.epochs_inactive = torch.where(fires == 0, revival.epochs_inactive + 1, 0)
    rate = fires.to(torch.float32) / max(1, n_samples)
    threshold = cfg.metrics.dead_threshold
    revive = neurons_to_reinitialise(revival.epochs_inactive, rate, threshold, cfg.train.revival)
    n = reinitialise_(model.conv_sae, optimizer, revive, rate >= threshold, generator)
    if n:
        revival.epochs_inactive[revive] = 0
        revival.n_reinitialised += n
    return n
