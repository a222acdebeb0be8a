"""The training step: one batch, read top to bottom.

schedules (given as a StepPlan) -> forward -> loss -> backward -> clip -> step -> zero grad -> stats.
Stage 1 trains the VAE alone; stage 2 trains the SAEs on a frozen VAE; stage 3 and extended
training optimise everything jointly (section 3.3).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch

from artifact.config import TrainConfig
from artifact.model.hybrid import HybridModel
from artifact.train.losses import sae_loss, vae_loss

STAGES = ("stage1", "stage2", "stage3", "extended")


@dataclass(frozen=True)
class StepPlan:
    """What the schedules prescribe for one epoch of one stage."""

    stage: str  # one of STAGES
    beta: float  # KL weight
    k: int | None  # conv SAE active neurons; None = L1 mode (no Top-k)
    latent_k: int | None  # latent SAE active neurons; None = L1 mode
    l1_lambda: float  # weight of the SAEs' L1 penalty


@dataclass
class StepStats:
    loss: torch.Tensor  # scalar, detached (summed over an epoch by the caller, read once)
    fire_counts: torch.Tensor | None  # [m] int64: samples where each conv-SAE neuron fired


def _autocast(x: torch.Tensor, precision: str):
    if precision == "bf16":
        return torch.autocast(device_type=x.device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()  # fp32, or TF32 set once in determinism.configure_precision


def _vae_forward_loss(model: HybridModel, x: torch.Tensor, noise: torch.Tensor | None,
                      plan: StepPlan, cfg: TrainConfig):  # fmt: skip
    """The VAE's forward pass and its loss (stages 1 and 3): reconstruction + beta * free-bits KL."""
    out = model.vae(x, noise)
    # Free bits are set once, with stage 1's knobs; stage 3 and extended training keep them
    # unless train.stage3.free_bits is off (the paper states them for stage 1 only).
    free_bits = cfg.stage1.free_bits_nats if plan.stage == "stage1" or cfg.stage3.free_bits else 0.0
    loss = vae_loss(out.logits, x, out.mu, out.logvar, plan.beta,
                    free_bits, cfg.stage1.free_bits_mode)  # fmt: skip
    return out, loss


def forward_loss(
    model: HybridModel,
    x: torch.Tensor,
    noise: torch.Tensor | None,
    plan: StepPlan,
    cfg: TrainConfig,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The loss of one batch under `plan`, and the conv SAE's fire counts (None in stage 1)."""
    if plan.stage == "stage1":
        return _vae_forward_loss(model, x, noise, plan, cfg)[1], None
    if plan.stage == "stage2":  # VAE frozen: its features are constants for the SAEs
        with torch.no_grad():
            h, mu, _ = model.vae.encode(x)
        loss = torch.zeros((), device=x.device)
    else:
        out, loss = _vae_forward_loss(model, x, noise, plan, cfg)
        h, mu = out.h, out.mu
        if not cfg.stage3.sae_grad_to_encoder:
            h, mu = h.detach(), mu.detach()
    # The targets of ||h - h_hat||^2: with gradient (the literal joint loss), the encoder can
    # also lower the SAE loss by moving h itself, e.g. shrinking it; detached, only the SAE's
    # input carries the SAE loss to the encoder (train.stage3.sae_target_grad).
    target_h, target_mu = (h, mu) if cfg.stage3.sae_target_grad else (h.detach(), mu.detach())
    conv = model.conv_sae(h, plan.k)
    latent = model.latent_sae(mu, plan.latent_k)
    loss = loss + sae_loss(target_h, conv.h_hat, conv.l1, plan.l1_lambda)
    loss = loss + sae_loss(target_mu, latent.h_hat, latent.l1, plan.l1_lambda)
    return loss, conv.fire_counts


def train_step(
    model: HybridModel,
    x: torch.Tensor,
    noise: torch.Tensor | None,
    optimizer: torch.optim.Optimizer,
    plan: StepPlan,
    cfg: TrainConfig,
) -> StepStats:
    """One optimisation step on batch x [B, C, 64, 64]; noise [B, n_latents] for z = mu + sigma * noise."""
    with _autocast(x, cfg.precision):
        loss, fire_counts = forward_loss(model, x, noise, plan, cfg)
    loss.backward()
    params = [p for group in optimizer.param_groups for p in group["params"]]
    torch.nn.utils.clip_grad_norm_(params, cfg.grad_clip_norm)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return StepStats(loss=loss.detach(), fire_counts=fire_counts)


def make_optimizer(params: list[torch.nn.Parameter], cfg: TrainConfig) -> torch.optim.Optimizer:
    """AdamW (0.9, 0.999), weight decay 1e-5, lr 1e-5; fused where the device supports it."""
    return torch.optim.AdamW(
        params, lr=cfg.lr, betas=tuple(cfg.adam_betas), weight_decay=cfg.weight_decay, fused=True
    )
