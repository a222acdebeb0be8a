"""One epoch of training: the batch loop, then evaluation, then revival (section 3.3).

`run_epoch` is the loop a newcomer looks for: shuffle with the epoch's generator, one
`train_step` per batch, one evaluation record (MIG, dead %, specialised, MSE, sweeps) of the
model the epoch trained, then the revival counters updated from the epoch's firings (and any
re-initialisation, which the next epoch trains and evaluates).

The random stream of an epoch, in order (G = phase_plan.epoch_generator(run, stage, epoch), a
CPU generator):
    order = train indices permuted by torch.randperm(n_train, generator=G)   (then capped to
            the profile's max_batches_per_epoch)
    per batch, except in stage 2: noise = torch.randn((B, n_latents), generator=N), where N is
            G itself on CPU and, on CUDA, a CUDA generator seeded with G.initial_seed() (the
            noise is made on the device, not copied from the host)
    then revival's draws, from G.
So on CPU the stream is exactly the one before noise moved to the device. The batch loop does
not synchronise with the device: the order is copied once an epoch, the loss and fire counts
are summed on the device and read once, after the loop (tests/train/test_epoch_loop.py), and
when a checkpoint is due inside the epoch (every few minutes), whether the loss is still finite.
"""

from __future__ import annotations

import math
import time

import torch

from artifact.config import RunConfig
from artifact.data import FactorDataset
from artifact.errors import TrainingError
from artifact.train.capture import captured_step
from artifact.train.evaluation import evaluate
from artifact.train.phase_plan import epoch_generator, plan_for, readings_due
from artifact.train.revival import (
    RevivalState,
    bias_boost,
    boost_count_scale,
    inactive_this_epoch,
    neurons_to_reinitialise,
    reinitialise_,
)
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
    checkpoints=None,
) -> dict:
    """Train `state["model"]` for one epoch of `stage` and return the epoch's evaluation record.

    `checkpoints` (the PhaseRunner) is asked between steps whether a save is due
    (`checkpoint_due()`) and saves with the loop's progress (`save_between_steps`); a
    `state["progress"]` saved so continues this epoch where it stopped.
    """
    started = time.perf_counter()
    device = dataset.images.device
    model, optimizer, revival = state["model"], state["optimizer"], state["revival"]
    plan = plan_for(stage, epoch, key.method, cfg)
    generator = epoch_generator(key, stage, epoch)
    order = splits.train[torch.randperm(len(splits.train), generator=generator)]
    if cfg.train.max_batches_per_epoch is not None:  # a `slice` profile: the first few batches
        order = order[: cfg.train.max_batches_per_epoch * cfg.train.batch_size]
    if revival is not None:
        count_scale = boost_count_scale(dataset.name, len(order), cfg.data)
        model.conv_sae.set_boost_(bias_boost(
            revival.cumulative_fires, revival.epochs_done, cfg.train.revival, count_scale
        ))  # fmt: skip
    noise_generator = generator
    if device.type == "cuda":
        noise_generator = torch.Generator(device).manual_seed(generator.initial_seed())
    loss_sum, fires = _train_batches(state, stage, plan, order, generator, noise_generator,
                                     cfg, dataset, checkpoints)  # fmt: skip
    mean_loss = float(loss_sum / len(order))  # the epoch's one read of a device value
    check_finite({"loss": mean_loss}, stage, epoch, key)  # before anything reads the weights
    # Evaluate the model the epoch trained, then revive: neurons just re-drawn from the active
    # ones' statistics have not been trained a step, so measuring them would move the dead %
    # on every epoch a revival fires (Tables 1 and 3 would depend on where those fall).
    try:
        record = evaluate(
            model,
            dataset,
            splits.evaluation,
            plan.k,
            cfg.metrics,
            cfg.train.batch_size,
            with_sae=stage != "stage1",
            with_readings=readings_due(stage, epoch, key.method, cfg),
        )
    except TrainingError as error:  # a metric met NaN codes: say where
        raise TrainingError(
            f"{str(error).rstrip('.')} in {where(stage, epoch, key)}; "
            "the last good checkpoint was kept."
        ) from None
    n_reinitialised = 0
    if revival is not None:
        n_reinitialised = revive_(model, optimizer, revival, fires, len(order), generator, cfg)
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


def _train_batches(state, stage, plan, order, generator, noise_generator, cfg, dataset,
                   checkpoints) -> tuple[torch.Tensor, torch.Tensor]:  # fmt: skip
    """The batch loop: (sum of batch loss x batch size [float64], conv-SAE fire counts [m]), on
    the device. Between steps a due checkpoint is saved with the loop's progress."""
    device, model, optimizer = dataset.images.device, state["model"], state["optimizer"]
    batches = order.to(device).split(cfg.train.batch_size)  # one host-to-device copy an epoch
    step = captured_step(train_step, cfg.train, device)
    progress = state.pop("progress", None)
    if progress is None:
        start = 0
        loss_sum = torch.zeros((), dtype=torch.float64, device=device)
        fires = torch.zeros(cfg.model.conv_sae_width, dtype=torch.int64, device=device)
    else:  # resumed inside the epoch: the generators as they were after batch start - 1
        start = progress["batch"]
        loss_sum, fires = progress["loss_sum"].to(device), progress["fires"].to(device)
        generator.set_state(progress["rng"])
        if noise_generator is not generator:
            noise_generator.set_state(progress["noise_rng"])
    model.train()
    for i in range(start, len(batches)):
        # A diverged state is never saved (the epoch's end reports it): the finiteness read is
        # the loop's one device read, and only when a save is due (every few minutes).
        if (checkpoints is not None and i > start and checkpoints.checkpoint_due()
                and bool(torch.isfinite(loss_sum))):  # fmt: skip
            noise_rng = noise_generator.get_state() if noise_generator is not generator else None
            checkpoints.save_between_steps(state, {"batch": i, "rng": generator.get_state(),
                                                   "noise_rng": noise_rng, "loss_sum": loss_sum,
                                                   "fires": fires})  # fmt: skip
        index = batches[i]
        x = dataset.float_batch(index)
        noise = None
        if stage != "stage2":
            noise = torch.randn((len(index), cfg.model.n_latents), generator=noise_generator,
                                device=noise_generator.device)  # fmt: skip
        stats = step(model, x, noise, optimizer, plan, cfg.train)
        loss_sum += stats.loss.double() * len(index)
        if stats.fire_counts is not None:
            fires += stats.fire_counts
    return loss_sum, fires


def revive_(
    model, optimizer, revival: RevivalState, fires, n_samples: int, generator, cfg: RunConfig
) -> int:
    """Update the revival counters with this epoch's firings; re-initialise if triggered."""
    revival.cumulative_fires += fires
    revival.epoch_fires = fires
    revival.epochs_done += 1
    rate = fires.to(torch.float32) / max(1, n_samples)
    threshold = cfg.metrics.dead_threshold
    inactive = inactive_this_epoch(fires, rate, threshold, cfg.train.revival)
    revival.epochs_inactive = torch.where(inactive, revival.epochs_inactive + 1, 0)
    revive = neurons_to_reinitialise(revival.epochs_inactive, rate, threshold, cfg.train.revival)
    n = reinitialise_(model.conv_sae, optimizer, revive, rate >= threshold, generator)
    if n:
        revival.epochs_inactive[revive] = 0
        revival.n_reinitialised += n
    return n
