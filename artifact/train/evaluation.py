"""Evaluation of a model on the fixed evaluation samples (section 3.4).

One pass over the samples collects the latent means (for MIG), the conv SAE's codes a~ (for
dead and specialised neurons, and both threshold sweeps) and the reconstructions (for MSE).
"""

from __future__ import annotations

import torch

from artifact.config import MetricsConfig
from artifact.data import FactorDataset
from artifact.metrics.keys import threshold_label
from artifact.metrics.mig import mig
from artifact.metrics.mse import reconstruction_mse
from artifact.metrics.neurons import neuron_report
from artifact.model.hybrid import HybridModel


@torch.no_grad()
def evaluate(
    model: HybridModel,
    dataset: FactorDataset,
    eval_idx: torch.Tensor,
    k: int | None,
    metrics_cfg: MetricsConfig,
    batch_size: int,
    with_sae: bool,
) -> dict:
    """Metrics of the model on dataset[eval_idx]; neuron metrics only when `with_sae`.

    Returns an evaluation record (docs/architecture.md): mig, mse, and, with the SAE,
    dead_pct, specialised, effective_sparsity_pct, dead_pct_at, specialised_at.
    """
    was_training = model.training
    model.eval()
    n = len(eval_idx)
    device = dataset.images.device
    mus = torch.empty((n, model.latent_sae.d_in), device=device)  # the latent means mu
    codes = torch.empty((n, model.conv_sae.width), device=device) if with_sae else None
    squared_error = torch.zeros((), dtype=torch.float64, device=device)
    n_values = 0
    for start in range(0, n, batch_size):
        index = eval_idx[start : start + batch_size]
        x = dataset.float_batch(index)
        out = model.vae(x, None)
        mus[start : start + len(index)] = out.mu
        # Batch means weighted by batch size: the mean over every pixel of every sample.
        squared_error += reconstruction_mse(x, torch.sigmoid(out.logits)) * x.numel()
        n_values += x.numel()
        if codes is not None:
            codes[start : start + len(index)] = model.conv_sae(out.h, k, return_dense=True).codes
    model.train(was_training)

    factors = dataset.factors[eval_idx]
    record: dict = {
        "mig": float(mig(mus.cpu(), factors.cpu(), n_bins=metrics_cfg.n_bins)),
        "mse": float(squared_error / n_values),
    }
    if codes is None:
        return record | {
            "dead_pct": None,
            "specialised": None,
            "effective_sparsity_pct": None,
            "dead_pct_at": {},
            "specialised_at": {},
        }
    report = neuron_report(codes, factors, dataset.factor_sizes, metrics_cfg)
    return record | {
        "dead_pct": float(report.dead_pct),
        "specialised": int(report.specialised),
        "effective_sparsity_pct": float(report.effective_sparsity_pct),
        "dead_pct_at": {threshold_label(t): float(v) for t, v in report.dead_pct_at.items()},
        "specialised_at": {threshold_label(t): int(v) for t, v in report.specialised_at.items()},
    }
