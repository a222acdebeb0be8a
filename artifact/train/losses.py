"""Loss terms of section 3.3, pure functions of tensors.

Reductions: every term is summed over its feature dimensions (pixels, latents, h dims) and
averaged over the batch, the literal reading of ||h - h_hat||^2 and of the ELBO per image.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def bernoulli_nll(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """E_q[-log p(x|z)] for a Bernoulli decoder: [B, C, H, W] -> scalar (sum over pixels, batch mean)."""
    return F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / x.shape[0]


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(q(z|x) || N(0, I)) per latent dimension, batch mean: [B, D] -> [D]."""
    return (0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)).mean(dim=0)


def free_bits_kl(kl_per_dim: torch.Tensor, free_bits_nats: float, mode: str) -> torch.Tensor:
    """KL with a free-bits floor ("free bits threshold is 5.0 to prevent posterior collapse").

    `total`: max(sum_j KL_j, free_bits) -- the KL term only pushes once the whole code carries
    more than `free_bits` nats. `per_dim`: sum_j max(KL_j, free_bits) (Kingma et al. 2016).
    """
    if mode == "per_dim":
        return torch.clamp(kl_per_dim, min=free_bits_nats).sum()
    return torch.clamp(kl_per_dim.sum(), min=free_bits_nats)


def vae_loss(
    logits: torch.Tensor,
    x: torch.Tensor,
    mu: torch.Tensor,
    logvar: torch.Tensor,
    beta: float,
    free_bits_nats: float,
    free_bits_mode: str,
) -> torch.Tensor:
    """L_VAE = E[-log p(x|z)] + beta * KL, with the free-bits floor on the KL."""
    kl = free_bits_kl(gaussian_kl(mu, logvar), free_bits_nats, free_bits_mode)
    return bernoulli_nll(logits, x) + beta * kl


def sae_loss(
    h: torch.Tensor, h_hat: torch.Tensor, l1: torch.Tensor, l1_lambda: float
) -> torch.Tensor:
    """L_SAE = ||h - h_hat||^2 + lambda ||a~||_1 (batch mean of each; `l1` already is one)."""
    return (h - h_hat).pow(2).sum(dim=1).mean() + l1_lambda * l1
