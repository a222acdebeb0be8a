"""Neuron-level metrics of the conv SAE: activation rate, dead %, MI with factors, specialisation.

Section 3.4 of the paper: "We measure specialization by computing mutual information between
neuron activations and each generative factor. Neurons with MI > 0.5 for any single factor are
classified as 'highly specialized'" and "Neurons with activation rate < 0.001 over the
evaluation set are classified as dead". Section 4.6 repeats both counts over 7 specialisation
and 5 dead thresholds; here the MI matrix and the rates are computed once, in one pass over the
activations, and every threshold is applied to them.

The paper does not say how activations are discretised or whether MI is normalised
(docs/interpretations.md, Metrics): `cfg.neuron_binning` and `cfg.mi_normalisation` choose.
The estimator is the one of mutual_info.py (plug-in MI of sklearn's `mutual_info_score`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from artifact.config import MetricsConfig
from artifact.metrics.mutual_info import (
    FactorTable,
    as_tensor,
    bin_equal_width,
    column_range,
    columns_per_chunk,
    entropy,
    factor_table,
    mutual_info_from_counts,
    require_finite,
    sparse_contingency,
)


@dataclass(frozen=True)
class NeuronReport:
    """One evaluation of the conv-SAE neurons on the evaluation samples.

    activation_rate: float64 [M], fraction of samples on which the neuron's activation is > 0.
    mi: float64 [M, K], MI of each neuron with each factor: nats, or MI / H(factor) when
        `mi_normalisation == "factor_entropy"` (the unit the specialisation thresholds apply to).
    dead_pct: percent (0-100) of the M neurons with activation_rate < cfg.dead_threshold.
    specialised: count of neurons with mi > cfg.specialisation_threshold for some factor.
    dead_pct_at / specialised_at: the same at each threshold of cfg.dead_sweep /
        cfg.specialisation_sweep.
    effective_sparsity_pct: mean over samples of the percent of neurons whose activation is 0.
    """

    activation_rate: torch.Tensor
    mi: torch.Tensor
    dead_pct: float
    specialised: int
    dead_pct_at: dict[float, float]
    specialised_at: dict[float, int]
    effective_sparsity_pct: float


def _gather(x: torch.Tensor, sample: torch.Tensor, column: torch.Tensor) -> torch.Tensor:
    """x[sample, column] for a column slice x of a row-major matrix, via one flat index_select
    (several times faster than advanced indexing on CPU)."""
    if x.stride(1) != 1:
        return x[sample, column]
    span = (x.shape[0] - 1) * x.stride(0) + x.shape[1]  # from x[0, 0] to x[-1, -1]
    flat = torch.as_strided(x, (span,), (1,))  # keeps x's storage offset
    return flat.index_select(0, sample * x.stride(0) + column)


def _active_entries(
    x: torch.Tensor, nonnegative: bool
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Entries of x [N, C] that are > 0, and each neuron's activity and range, in one pass.

    Returns (sample [E], column [E], value [E], n_active [C], lo [C], hi [C]). For codes >= 0
    (ReLU / Top-k outputs, checked by the caller) the range follows from the active entries
    alone: a neuron with an inactive sample has min 0; one active on every sample has the min
    of its values.
    """
    n, c = x.shape
    sample, column = torch.nonzero(x > 0, as_tuple=True)  # [E], [E]
    value = _gather(x, sample, column)  # [E]
    n_active = torch.bincount(column, minlength=c)  # [C]
    if not nonnegative:
        lo, hi = column_range(x)  # [C], [C]: dense reductions, only for codes with negatives
        return sample, column, value, n_active, lo, hi
    smallest = torch.full((c,), torch.inf, dtype=x.dtype, device=x.device)
    smallest.scatter_reduce_(0, column, value, reduce="amin")
    lo = torch.where(n_active < n, torch.zeros_like(smallest), smallest)
    hi = torch.zeros(c, dtype=x.dtype, device=x.device).scatter_reduce_(
        0, column, value, reduce="amax"
    )
    return sample, column, value, n_active, lo, hi


Entries = tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]
# A contingency table's discretisation: (binning, n_bins), binning equal_width or zero_and_positive.
TableSpec = tuple[str, int]


def table_spec(binning: str, n_bins: int) -> TableSpec:
    """The table a binning reads: active_inactive is zero_and_positive with 2 bins."""
    return ("zero_and_positive", 2) if binning == "active_inactive" else (binning, n_bins)


def _binned_entries(
    x: torch.Tensor, entries: Entries, nonnegative: bool, n_bins: int, binning: str
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(sample, column, bin) of the entries of x [N, C] that may lie outside bin 0, from the
    active entries of `_active_entries` (computed once per chunk, shared by every binning).

    equal_width: `n_bins` equal-width bins over each neuron's own [min, max], as MIG's codes
        (an activation of 0 shares bin 0 with those below min + (max - min) / n_bins).
    zero_and_positive: bin 0 holds activations <= 0 (inactive); `n_bins - 1` equal-width bins
        over each neuron's own positive range hold the rest (n_bins = 2: active / inactive).
    Entries not returned are in bin 0: for sparse codes most of them, never touched.
    """
    sample, column, value, _, lo, hi = entries
    if binning == "zero_and_positive":
        smallest = torch.full_like(lo, torch.inf).scatter_reduce_(0, column, value, reduce="amin")
        bins = bin_equal_width(value, smallest[column], hi[column], n_bins - 1) + 1
        return sample, column, bins
    if not nonnegative:  # entries at a neuron's minimum are in bin 0; all others are listed
        sample, column = torch.nonzero(x > lo, as_tuple=True)
        value = _gather(x, sample, column)
    return sample, column, bin_equal_width(value, lo[column], hi[column], n_bins)


def _chunk_counts(
    x: torch.Tensor, entries: Entries, nonnegative: bool, specs: Sequence[TableSpec],
    table: FactorTable,
) -> dict[TableSpec, torch.Tensor]:  # fmt: skip
    """Contingency tables [C, B, S] of one chunk for each spec. Active/inactive (2-bin
    zero_and_positive) is the sum of bins 1.. of any finer zero_and_positive table."""
    counts: dict[TableSpec, torch.Tensor] = {}
    for binning, n_bins in sorted(set(specs), key=lambda spec: -spec[1]):  # finest first
        finer = [c for (b, n), c in counts.items() if b == "zero_and_positive" and n > 2]
        if (binning, n_bins) == ("zero_and_positive", 2) and finer:
            counts[(binning, n_bins)] = torch.stack((finer[0][:, 0], finer[0][:, 1:].sum(1)), 1)
            continue
        sample, column, bins = _binned_entries(x, entries, nonnegative, n_bins, binning)
        counts[(binning, n_bins)] = sparse_contingency(
            sample, column, bins, x.shape[1], n_bins, table
        )
    return counts


def neuron_tables(
    activations: torch.Tensor, table: FactorTable, specs: Sequence[TableSpec]
) -> tuple[torch.Tensor, torch.Tensor, dict[TableSpec, torch.Tensor]]:
    """One pass over activations [N, M] in chunks of neurons: rate [M], zeros [M] and the MI
    [M, K] in nats of every table spec; the active entries of a chunk are found once."""
    n, m = activations.shape
    low, high = activations.amin(), activations.amax()  # amin / amax propagate NaN
    require_finite(low, high)
    nonnegative = bool(low >= 0)
    chunk = columns_per_chunk(n)
    rates, zeros, mis = [], [], {spec: [] for spec in specs}
    for start in range(0, m, chunk):  # chunks bound memory; all neurons of a chunk at once
        x = activations[:, start : start + chunk]  # [N, C]
        if x.dtype not in (torch.float32, torch.float64):
            x = x.to(torch.float32)
        entries = _active_entries(x, nonnegative)
        n_active = entries[3]
        rates.append(n_active.to(torch.float64) / n)
        zeros.append(n - n_active if nonnegative else (x == 0).sum(dim=0))
        for spec, counts in _chunk_counts(x, entries, nonnegative, specs, table).items():
            mis[spec].append(mutual_info_from_counts(counts, table))  # [C, K]
    return torch.cat(rates), torch.cat(zeros), {spec: torch.cat(p) for spec, p in mis.items()}


@dataclass(frozen=True)
class NeuronCounts:
    """Dead % and specialised counts at the default thresholds and along both sweeps."""

    dead_pct: float
    specialised: int
    dead_pct_at: dict[float, float]
    specialised_at: dict[float, int]
    effective_sparsity_pct: float


def neuron_counts(
    rate: torch.Tensor, zeros: torch.Tensor, mi: torch.Tensor, n_samples: int, cfg: MetricsConfig
) -> NeuronCounts:
    """The thresholds of cfg applied to rates [M] and MI [M, K] (already in the reading's unit)."""
    dead_thresholds = (cfg.dead_threshold, *cfg.dead_sweep)
    spec_thresholds = (cfg.specialisation_threshold, *cfg.specialisation_sweep)
    dead_t = torch.tensor(dead_thresholds, dtype=torch.float64, device=rate.device)
    spec_t = torch.tensor(spec_thresholds, dtype=torch.float64, device=mi.device)
    dead_pct = ((rate[None, :] < dead_t[:, None]).sum(dim=1) * (100.0 / rate.numel())).tolist()
    best_mi = mi.amax(dim=1) if mi.shape[1] else torch.zeros_like(rate)  # [M]
    specialised = (best_mi[None, :] > spec_t[:, None]).sum(dim=1).tolist()
    return NeuronCounts(
        dead_pct=dead_pct[0],
        specialised=int(specialised[0]),
        dead_pct_at=dict(zip(cfg.dead_sweep, dead_pct[1:], strict=True)),
        specialised_at={
            t: int(c) for t, c in zip(cfg.specialisation_sweep, specialised[1:], strict=True)
        },
        effective_sparsity_pct=float(zeros.sum()) * 100.0 / (n_samples * rate.numel()),
    )


def normalise_by_entropy(mi: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    """MI [M, K] / H(factor) [K]; a factor with H = 0 gives 0 (its MI is 0 too)."""
    h = h.to(mi.device)
    return torch.where(h > 0, mi / torch.where(h > 0, h, 1.0), torch.zeros_like(mi))


def neuron_report(
    activations: torch.Tensor | np.ndarray,
    factors: torch.Tensor | np.ndarray,
    factor_sizes: Sequence[int],
    cfg: MetricsConfig,
) -> NeuronReport:
    """Dead and specialised neurons, and both threshold sweeps, from one pass.

    activations: float [N, M], the conv SAE's post-sparsification codes (the paper's ã) on the
    N evaluation samples; factors: int [N, K] class indices, factors[:, k] < factor_sizes[k].
    """
    activations = as_tensor(activations)
    factors = as_tensor(factors).to(activations.device)
    if activations.ndim != 2 or factors.ndim != 2 or activations.shape[0] != factors.shape[0]:
        raise ValueError("activations [N, M] and factors [N, K] must share N")
    if activations.shape[0] == 0 or activations.shape[1] == 0:
        raise ValueError("neuron_report needs at least one sample and one neuron")
    table = factor_table(factors, factor_sizes)
    spec = table_spec(cfg.neuron_binning, cfg.n_bins)
    rate, zeros, mis = neuron_tables(activations, table, [spec])
    mi = mis[spec]
    if cfg.mi_normalisation == "factor_entropy":
        mi = normalise_by_entropy(mi, entropy(factors, factor_sizes))
    counts = neuron_counts(rate, zeros, mi, activations.shape[0], cfg)
    return NeuronReport(activation_rate=rate, mi=mi, **vars(counts))
