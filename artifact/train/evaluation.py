"""Evaluation of a model on the fixed evaluation samples (section 3.4).

One pass over the samples collects the latent means (for MIG), the conv SAE's codes a~ (for
dead and specialised neurons, and both threshold sweeps) and the reconstructions (for MSE).
The same pass collects the activation matrices of the other evaluation-time readings
(metrics/readings.py): a~ and the pre-cut a, with and without the bias boost.
"""

from __future__ import annotations

import torch

from artifact.config import MetricsConfig
from artifact.data import FactorDataset
from artifact.metrics.mig import mig
from artifact.metrics.mse import reconstruction_mse
from artifact.metrics.neurons import neuron_report
from artifact.metrics.readings import Source, configured, counts_record, evaluate_readings
from artifact.model.hybrid import HybridModel
from artifact.model.sae import SparseAutoencoder
from artifact.model.topk_sparse import topk_select


def _source_buffers(needed: set[Source], n: int, width: int, k: int | None, device) -> dict:
    """One [n, width] buffer per activation matrix; under L1 (k None) a~ is a, so one buffer."""
    buffers: dict[Source, torch.Tensor] = {}
    for activations, boost in sorted(needed, key=lambda s: s[0] != "pre_cut"):
        twin = ("pre_cut" if activations == "codes" else "codes", boost)
        if k is None and twin in buffers:
            buffers[(activations, boost)] = buffers[twin]
        else:
            buffers[(activations, boost)] = torch.empty((n, width), device=device)
    return buffers


def _fill_sources(sae: SparseAutoencoder, h: torch.Tensor, k: int | None, buffers: dict,
                  rows: slice) -> None:  # fmt: skip
    """Write this batch's a = ReLU(W_e h + b_e [+ boost]) and a~ (its Top-k cut) into buffers."""
    for boost in {b for _, b in buffers}:
        bias = sae.b_e + sae.boost if boost == "on" else sae.b_e  # [m]
        pre_b = torch.addmm(bias, h, sae.W_e.t())  # [B, m], bit for bit the model's dense path
        a = torch.relu(pre_b)
        if ("pre_cut", boost) in buffers:
            buffers[("pre_cut", boost)][rows] = a
        if ("codes", boost) in buffers and k is not None:
            _, idx = topk_select(pre_b, min(k, sae.width))  # the model's own ranking (eq. 2)
            codes = torch.zeros_like(a).scatter_(1, idx, a.gather(1, idx))
            buffers[("codes", boost)][rows] = codes
        elif ("codes", boost) in buffers and ("pre_cut", boost) not in buffers:
            buffers[("codes", boost)][rows] = a


@torch.no_grad()
def evaluate(
    model: HybridModel,
    dataset: FactorDataset,
    eval_idx: torch.Tensor,
    k: int | None,
    metrics_cfg: MetricsConfig,
    batch_size: int,
    with_sae: bool,
    with_readings: bool = True,
) -> dict:
    """Metrics of the model on dataset[eval_idx]; neuron metrics only when `with_sae`.

    Returns an evaluation record (docs/architecture.md): mig, mse, and, with the SAE,
    dead_pct, specialised, effective_sparsity_pct, dead_pct_at, specialised_at (the registered
    reading) and `readings`: {reading name: the same metrics under that reading}, empty when
    not `with_readings` (train/phase_plan.readings_due: only where the aggregate reads them).
    """
    was_training = model.training
    model.eval()
    n = len(eval_idx)
    device = dataset.images.device
    mus = torch.empty((n, model.latent_sae.d_in), device=device)  # the latent means mu
    codes = torch.empty((n, model.conv_sae.width), device=device) if with_sae else None
    boost = "on" if metrics_cfg.eval_bias_boost else "off"  # the registered reading's boost
    readings = configured(metrics_cfg, boost) if with_sae and with_readings else ()
    needed = {reading.source for reading in readings}
    buffers = _source_buffers(needed, n, model.conv_sae.width, k, device) if with_sae else {}
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
            # The bias boost is a training-time revival device: off by default here, so a neuron
            # counts as alive on its own pre-activation (metrics.eval_bias_boost).
            sae_out = model.conv_sae(out.h, k, return_dense=True, boost=metrics_cfg.eval_bias_boost)
            codes[start : start + len(index)] = sae_out.codes
            _fill_sources(model.conv_sae, out.h, k, buffers, slice(start, start + len(index)))
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
            "readings": {},
        }
    report = neuron_report(codes, factors, dataset.factor_sizes, metrics_cfg)
    per_reading = evaluate_readings(readings, buffers, mus, factors, dataset.factor_sizes,
                                    metrics_cfg, record["mse"]) if readings else {}  # fmt: skip
    return record | counts_record(report) | {"readings": per_reading}
