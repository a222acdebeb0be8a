"""Discretisation, entropy and plug-in mutual information: the estimator behind every MI metric.

Section 3.4 of the paper measures MIG "with the standard MI-based formulation" and neuron
specialisation "by computing mutual information between neuron activations and each
generative factor". Both use the estimator of disentanglement_lib (`utils.make_discretizer`
with `_histogram_discretize`, `utils.discrete_mutual_info`): each continuous column is cut into
`n_bins` equal-width bins over its own range, then MI is the plug-in estimate of
`sklearn.metrics.mutual_info_score`, in nats.

disentanglement_lib loops over (code, factor) pairs; here one `torch.bincount` fills the
contingency tables of all pairs of a chunk of columns at once, and entries in bin 0 are never
touched (their counts follow from the factor marginals), which is what makes MI over 8192
mostly-zero sparse-autoencoder neurons cheap (benchmarks/bench_metrics.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from artifact.errors import TrainingError

# Upper bound on the (sample, column) entries of one chunk of columns and on the indices fed to
# one bincount: peak memory does not grow with the number of columns (benchmarks/bench_metrics.py:
# ~50 MiB above the input for Top-k codes, ~300 MiB for a fully dense 10,000 x 8192 matrix).
CHUNK_ELEMENTS = 1 << 21


def as_tensor(values: torch.Tensor | np.ndarray) -> torch.Tensor:
    """Accept numpy arrays (disentanglement_lib's inputs) as well as tensors, without copying."""
    return values if isinstance(values, torch.Tensor) else torch.as_tensor(values)


def _float_dtype(values: torch.Tensor) -> torch.Tensor:
    # Edges are computed in the data's own precision, as np.histogram does; half precisions and
    # integers go to float32 (numpy has no bfloat16, and integer data get float edges there too).
    if values.dtype in (torch.float32, torch.float64):
        return values
    return values.to(torch.float32)


def require_finite(*tensors: torch.Tensor) -> None:
    """Refuse NaN or infinite values (np.histogram does too): they mean the model diverged."""
    if not all(bool(torch.isfinite(t).all()) for t in tensors):
        raise TrainingError(
            "the evaluated codes or activations contain NaN or infinite values; the model "
            "diverged, so lower train.lr or check the checkpoint."
        )


def column_range(values: torch.Tensor, dim: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """(min, max) over `dim` (the samples), refusing NaN or infinite values."""
    lo, hi = values.amin(dim=dim), values.amax(dim=dim)
    require_finite(lo, hi)
    return lo, hi


def bin_equal_width(
    values: torch.Tensor, lo: torch.Tensor, hi: torch.Tensor, n_bins: int
) -> torch.Tensor:
    """Bin index in [0, n_bins) of each value, bins equal-width over its column's [lo, hi].

    values float, lo/hi broadcastable to it (the range of each value's column): [N, D] with [D],
    or flat [E] with [E] so that callers can bin only the entries they need. The result equals
    `np.digitize(x, np.histogram(column, n_bins)[1][:-1]) - 1` bit for bit: the edges are built
    with the same float operations as np.linspace (`i * step + lo`, last edge = hi), and a first
    guess `floor((x - lo) / step)` is corrected against those edges until they bracket x.
    Columns with hi == lo go to bin 0.
    """
    step = (hi - lo) / n_bins
    varying = step > 0
    safe_step = torch.where(varying, step, torch.ones_like(step))
    index = torch.floor((values - lo) / safe_step).clamp_(0, n_bins - 1).to(torch.int64)
    index = torch.where(varying, index, torch.zeros_like(index))

    def edge(i: torch.Tensor) -> torch.Tensor:
        value = i.to(values.dtype) * step + lo  # np.linspace: arange * step, then += start
        return torch.where(i >= n_bins, hi, value)

    for _ in range(n_bins):  # one round in practice: rounding can put the guess one bin off
        below = varying & (values < edge(index))
        above = varying & (index < n_bins - 1) & (values >= edge(index + 1))
        if not bool((below | above).any()):
            break
        index = index - below.to(torch.int64) + above.to(torch.int64)
    return index


def discretize(values: torch.Tensor | np.ndarray, n_bins: int) -> torch.Tensor:
    """[N, D] float -> [N, D] int64 bin indices in [0, n_bins).

    disentanglement_lib's `_histogram_discretize`: `n_bins` equal-width bins over each column's
    own [min, max] (np.histogram edges, np.digitize), shifted to start at 0. A constant column
    is all bin 0 (disentanglement_lib puts it in one middle bin; MI is the same).
    """
    values = _float_dtype(as_tensor(values))
    if values.ndim != 2:
        raise ValueError(f"discretize expects [N, D] values, got shape {tuple(values.shape)}")
    lo, hi = column_range(values)  # [D], [D]
    return bin_equal_width(values, lo, hi, n_bins)  # [N, D]


@dataclass(frozen=True)
class FactorTable:
    """The factors laid out once for every chunk of columns.

    The K factors' values are concatenated on one axis of S = sum(sizes) values: `shifted`
    [N, K] is each sample's position on it, `marginal` [S] the count of each value, `block`
    [S, K] float64 the indicator "value s belongs to factor k" (sums over a factor's values are
    matrix products with it).
    """

    sizes: tuple[int, ...]
    shifted: torch.Tensor
    marginal: torch.Tensor
    block: torch.Tensor

    @property
    def n_values(self) -> int:
        return sum(self.sizes)


def factor_table(factors: torch.Tensor, factor_sizes: Sequence[int]) -> FactorTable:
    """Check factors [N, K] are class indices below their sizes and lay them out."""
    sizes = tuple(int(size) for size in factor_sizes)
    if factors.ndim != 2 or factors.shape[1] != len(sizes):
        raise ValueError(f"factors {tuple(factors.shape)} do not match factor_sizes {list(sizes)}")
    if factors.is_floating_point():
        raise ValueError("factors must be integer class indices, not floats")
    factors = factors.to(torch.int64)
    size_t = torch.tensor(sizes, dtype=torch.int64, device=factors.device)  # [K]
    if factors.numel() and bool(((factors < 0) | (factors >= size_t)).any()):
        raise ValueError(f"factor labels must lie in [0, size) for sizes {list(sizes)}")
    shifted = factors + (torch.cumsum(size_t, 0) - size_t)  # [N, K]
    owner = torch.repeat_interleave(torch.arange(len(sizes), device=factors.device), size_t)
    return FactorTable(
        sizes=sizes,
        shifted=shifted,
        marginal=torch.bincount(shifted.reshape(-1), minlength=sum(sizes)),  # [S]
        block=torch.nn.functional.one_hot(owner, len(sizes)).to(torch.float64),  # [S, K]
    )


def _xlogx(counts: torch.Tensor) -> torch.Tensor:
    counts = counts.to(torch.float64)
    return torch.special.xlogy(counts, counts)


def sparse_contingency(
    sample: torch.Tensor,
    column: torch.Tensor,
    bin_index: torch.Tensor,
    n_columns: int,
    n_code_bins: int,
    table: FactorTable,
) -> torch.Tensor:
    """Contingency tables [C, n_code_bins, S] of C columns against all K factors at once.

    Only the listed entries (sample [E], column [E], bin_index [E]) are counted; every other
    (sample, column) entry is taken to be in bin 0, whose counts are the factor marginals minus
    the listed ones. Exact for any input; fast when most entries are in bin 0. Counts add up,
    so the entries go to bincount in pieces of at most CHUNK_ELEMENTS indices.
    """
    size = n_columns * n_code_bins * table.n_values
    counts = torch.zeros(size, dtype=torch.int64, device=table.shifted.device)
    # int32 indices halve bincount's memory traffic.
    dtype = torch.int32 if size < 2**31 else torch.int64
    shifted = table.shifted.to(dtype)  # [N, K]
    piece = max(1, CHUNK_ELEMENTS // len(table.sizes))
    for start in range(0, sample.numel(), piece):  # pieces of entries: bounds the [E, K] index
        part = slice(start, start + piece)
        cell = ((column[part] * n_code_bins + bin_index[part]) * table.n_values).to(dtype)  # [E']
        index = cell[:, None] + shifted.index_select(0, sample[part])  # [E', K]
        counts += torch.bincount(index.reshape(-1), minlength=size)
    counts = counts.view(n_columns, n_code_bins, table.n_values)  # [C, B, S]
    counts[:, 0, :] += table.marginal - counts.sum(dim=1)
    return counts


def mutual_info_from_counts(counts: torch.Tensor, table: FactorTable) -> torch.Tensor:
    """[C, B, S] contingency tables -> [C, K] float64 plug-in MI in nats.

    MI = H(code) + H(factor) - H(code, factor) with H = log N - sum n log n / N; equal to
    sklearn's `mutual_info_score` to ~1e-12. A constant code or factor gets exactly 0, as
    sklearn returns, and round-off never makes MI negative.
    """
    code_counts = counts[:, :, : table.sizes[0]].sum(dim=-1)  # [C, B]: any factor's block sums to N
    n = torch.tensor(float(table.shifted.shape[0]), dtype=torch.float64, device=counts.device)
    joint = _xlogx(counts).sum(dim=1) @ table.block  # [C, K]
    code_term = _xlogx(code_counts).sum(dim=1)  # [C]
    factor_term = _xlogx(table.marginal) @ table.block  # [K]
    mi = torch.log(n) - (code_term[:, None] + factor_term[None, :] - joint) / n  # [C, K]
    code_constant = (code_counts > 0).sum(dim=1) <= 1  # [C]
    factor_constant = ((table.marginal > 0).to(torch.float64) @ table.block) <= 1  # [K]
    degenerate = code_constant[:, None] | factor_constant[None, :]
    return torch.where(degenerate, torch.zeros_like(mi), mi.clamp_min(0.0))


def columns_per_chunk(n_samples: int) -> int:
    """How many columns to hold at once so a chunk has at most CHUNK_ELEMENTS entries."""
    return max(1, CHUNK_ELEMENTS // max(1, n_samples))


def mutual_info_matrix(
    codes_binned: torch.Tensor | np.ndarray,
    factors: torch.Tensor | np.ndarray,
    n_code_bins: int,
    factor_sizes: Sequence[int],
) -> torch.Tensor:
    """[D, K] float64 MI in nats between each binned code column and each factor.

    codes_binned [N, D] int in [0, n_code_bins), factors [N, K] int in [0, factor_sizes[k]).
    Entry (d, k) equals `sklearn.metrics.mutual_info_score(factors[:, k], codes_binned[:, d])`
    (disentanglement_lib's `discrete_mutual_info`); all pairs of a chunk of columns come from
    one bincount, chunks bound memory.
    """
    codes_binned, factors = as_tensor(codes_binned), as_tensor(factors)
    if codes_binned.ndim != 2 or codes_binned.shape[0] != factors.shape[0]:
        raise ValueError("codes_binned [N, D] and factors [N, K] must share N")
    if codes_binned.numel() and not (
        int(codes_binned.min()) >= 0 and int(codes_binned.max()) < n_code_bins
    ):
        raise ValueError(f"codes_binned must lie in [0, {n_code_bins})")
    table = factor_table(factors.to(codes_binned.device), factor_sizes)
    n, d = codes_binned.shape
    chunk = columns_per_chunk(n)
    parts = [torch.zeros(0, len(table.sizes), dtype=torch.float64, device=codes_binned.device)]
    for start in range(0, d, chunk):  # chunks of columns, not single columns
        block = codes_binned[:, start : start + chunk].T.to(torch.int64)  # [C, N]
        column, sample = torch.nonzero(block, as_tuple=True)  # entries outside bin 0, by column
        bins = block[column, sample]
        counts = sparse_contingency(sample, column, bins, block.shape[0], n_code_bins, table)
        parts.append(mutual_info_from_counts(counts, table))
    return torch.cat(parts)


def entropy(labels: torch.Tensor | np.ndarray, n_values: Sequence[int]) -> torch.Tensor:
    """[N, K] int labels -> [K] float64 plug-in entropy in nats (disentanglement_lib's
    `discrete_entropy`, which is `mutual_info_score(y, y)`)."""
    table = factor_table(as_tensor(labels), n_values)
    n = torch.tensor(float(table.shifted.shape[0]), dtype=torch.float64, device=table.block.device)
    return (torch.log(n) - (_xlogx(table.marginal) @ table.block) / n).clamp_min(0.0)
