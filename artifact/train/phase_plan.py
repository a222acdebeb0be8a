"""The plan of a phase: its (stage, epoch) slots, what the schedules prescribe for each, which
parameters each stage trains, and the randomness of each epoch. Pure functions of the config.

Stages 1-2 do not depend on the sparsification method, so one pretrain phase per
(dataset, seed) feeds both the Top-k and the L1 run (the paper: L1 keeps "an otherwise identical
architecture and training protocol").
"""

from __future__ import annotations

import hashlib

import torch

from artifact.config import RunConfig
from artifact.model.hybrid import HybridModel
from artifact.train.run_key import RunKey
from artifact.train.schedules import beta_schedule, k_schedule, l1_lambda_schedule
from artifact.train.step import StepPlan

PHASE_STAGES = {"pretrain": ("stage1", "stage2"), "joint": ("stage3",), "extended": ("extended",)}
REVIVAL_STAGES = ("stage3", "extended")
# What each phase's result does not depend on: a change there must not invalidate its
# checkpoint (DVC reruns only the stages whose params changed; their parents stay valid).
# The run set, and when a phase saves (checkpoint_minutes: a resume is exact, so never the result).
_RUN_SET = {"methods", "seeds", "checkpoint_minutes"}
PHASE_INDEPENDENT = {
    "pretrain": {"data": {"datasets"}, "train": _RUN_SET | {"stage3", "extended", "revival"}},
    "joint": {"data": {"datasets"}, "train": _RUN_SET | {"extended"}},
    "extended": {"data": {"datasets"}, "train": _RUN_SET},
}


def phase_digest(cfg: RunConfig, phase: str) -> str:
    """Digest of the config values a phase's result depends on."""
    return cfg.digest(exclude=PHASE_INDEPENDENT[phase])


def latent_k(k: int, cfg: RunConfig) -> int:
    """The latent SAE's k for the conv SAE's k: the paper's k, capped at the latent width.

    A profile scales the conv SAE's width and k together but not the latent SAE (20 wide), so
    its k is the conv k unscaled: min(k, 20) = 20 at the paper's k and at every profile's.
    """
    return min(cfg.model.latent_sae_width, round(k / cfg.model.sae_width_scale))


def plan_for(stage: str, epoch: int, method: str | None, cfg: RunConfig) -> StepPlan:
    """What the schedules prescribe for `epoch` of `stage` (section 3.3)."""
    train = cfg.train
    beta_end = train.stage1.beta_end  # stages after 1 keep the annealed end value
    if stage == "stage1":
        return StepPlan(stage, beta_schedule(epoch, train.stage1), None, None, 0.0)
    if stage == "stage2":
        k = train.stage2.k
        return StepPlan(stage, beta_end, k, latent_k(k, cfg), train.stage2.l1_lambda)
    if method == "l1":
        if stage == "stage3":
            l1_lambda = l1_lambda_schedule(epoch, train.stage3)
        else:
            l1_lambda = train.stage3.l1_lambda_end
        return StepPlan(stage, beta_end, None, None, l1_lambda)
    k = k_schedule(epoch, train.stage3) if stage == "stage3" else train.stage3.k_end
    return StepPlan(stage, beta_end, k, latent_k(k, cfg), train.stage3.topk_l1_lambda)


def epoch_slots(phase: str, cfg: RunConfig) -> list[tuple[str, int]]:
    """The (stage, epoch) pairs of a phase, in order."""
    n_epochs = {
        "stage1": cfg.train.stage1.n_epochs,
        "stage2": cfg.train.stage2.n_epochs,
        "stage3": cfg.train.stage3.n_epochs,
        "extended": cfg.train.extended.n_epochs,
    }
    return [(stage, epoch) for stage in PHASE_STAGES[phase] for epoch in range(n_epochs[stage])]


def epoch_generator(key: RunKey, stage: str, epoch: int) -> torch.Generator:
    """The only source of randomness of an epoch (batch order, reparameterisation, revival).

    Seeded by (run, stage, epoch), not drawn from a global stream, so a phase resumed at any
    epoch ends exactly where an uninterrupted run ends.
    """
    digest = hashlib.sha256(f"{key.name}|{stage}|{epoch}".encode()).digest()
    return torch.Generator().manual_seed(int.from_bytes(digest[:8], "little") & (2**63 - 1))


def stage_parameters(model: HybridModel, stage: str) -> list[torch.nn.Parameter]:
    """Stage 1 trains the VAE, stage 2 the SAEs (VAE frozen), stage 3 and extended everything."""
    if stage == "stage1":
        return list(model.vae.parameters())
    if stage == "stage2":
        return model.sae_parameters()
    return list(model.parameters())


def readings_due(stage: str, epoch: int, method: str | None, cfg: RunConfig) -> bool:
    """Whether an epoch's evaluation also computes the evaluation-time readings.

    Only the records the aggregate reads carry them (experiment/aggregate.reading_values): a
    phase's last epoch (pretrain's stage 2, joint's stage 3, extended) and the joint run's
    `at_k_start`, the last stage-3 epoch at k_start (phase_runner._at_k_start). Every other
    epoch computes the registered reading alone: at paper width the readings' dense pre-cut
    matrices cost about 50 matmuls an evaluation, and 1,440 epochs would pay it for nothing.
    """
    if stage == "stage1":
        return False  # the VAE alone: no neurons to read
    if epoch == getattr(cfg.train, stage).n_epochs - 1:
        return True
    if stage != "stage3" or method != "topk":
        return False
    k_start = cfg.train.stage3.k_start
    return k_schedule(epoch, cfg.train.stage3) == k_start != k_schedule(epoch + 1, cfg.train.stage3)
