"""Mutual Information Gap (Chen et al. 2018), as disentanglement_lib computes it.

Section 3.4 of the paper: "Mutual Information Gap (MIG) [14]: For dSprites and Shapes3D, we use
the standard MI-based formulation with 10,000 samples." The standard formulation is
disentanglement_lib's `mig._compute_mig`: discretise each code dimension (the VAE latent means)
into 20 equal-width bins over its own range, take the plug-in MI of every (code, factor) pair in
nats, and average over factors the gap between the two most informative code dimensions divided
by the factor's entropy. Drawing the evaluation samples is the caller's job; this is the array
core (`_compute_mig`'s role), so tests and the training loop share it.
"""

from __future__ import annotations

import numpy as np
import torch

from artifact.errors import InputError
from artifact.metrics.mutual_info import as_tensor, discretize, entropy, mutual_info_matrix


def _class_indices(factors: torch.Tensor) -> tuple[torch.Tensor, list[int]]:
    """Relabel each factor column to 0..n_values-1 (MI only sees which samples share a value)."""
    columns, sizes = [], []
    for column in factors.unbind(dim=1):  # K factors (5 or 6), not samples
        values, inverse = torch.unique(column, return_inverse=True)
        columns.append(inverse)
        sizes.append(values.numel())
    return torch.stack(columns, dim=1), sizes


def mig(
    codes: torch.Tensor | np.ndarray, factors: torch.Tensor | np.ndarray, n_bins: int = 20
) -> float:
    """MIG in [0, 1] of codes float [N, D] (D >= 2) against factors int [N, K].

    mean over k of (MI[top1, k] - MI[top2, k]) / H(factor k), MI from `mutual_info_matrix` on
    `discretize(codes, n_bins)`. A factor that takes one value on the N samples has H = 0 and
    makes MIG undefined (disentanglement_lib returns NaN): refused with InputError.
    """
    codes, factors = as_tensor(codes), as_tensor(factors)
    if codes.ndim != 2 or factors.ndim != 2 or codes.shape[0] != factors.shape[0]:
        raise ValueError("codes [N, D] and factors [N, K] must share N")
    if codes.shape[1] < 2:
        raise ValueError("MIG needs at least two code dimensions (it is a gap between two)")
    if factors.is_floating_point():
        raise ValueError("factors must be integer class labels, not floats")
    labels, sizes = _class_indices(factors.to(device=codes.device, dtype=torch.int64))
    constant = [k for k, size in enumerate(sizes) if size < 2]
    if constant:
        raise InputError(
            f"factor(s) {constant} take a single value on the {codes.shape[0]} evaluation "
            "samples, so MIG is undefined; pass only factors that vary, or more samples."
        )
    mi = mutual_info_matrix(discretize(codes, n_bins), labels, n_bins, sizes)  # [D, K]
    top = torch.topk(mi, 2, dim=0).values  # [2, K]
    gap = (top[0] - top[1]) / entropy(labels, sizes)  # [K]
    return float(gap.mean())
