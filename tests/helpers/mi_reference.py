"""Test helper: the reference MI estimators the vectorised metrics are held to
(disentanglement_lib's `_histogram_discretize` and its per-pair sklearn loop)."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import mutual_info_score


def reference_discretize(values: np.ndarray, n_bins: int) -> np.ndarray:
    """disentanglement_lib `utils._histogram_discretize` on [N, D] (its layout is [D, N]), minus 1."""
    out = np.zeros(values.shape, dtype=np.int64)
    for d in range(values.shape[1]):
        column = values[:, d]
        out[:, d] = np.digitize(column, np.histogram(column, n_bins)[1][:-1]) - 1
    return out


def reference_mi(codes_binned: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """disentanglement_lib `utils.discrete_mutual_info`: the per-pair sklearn loop, [D, K]."""
    return np.array(
        [
            [mutual_info_score(factors[:, k], codes_binned[:, d]) for k in range(factors.shape[1])]
            for d in range(codes_binned.shape[1])
        ]
    )


def random_factors(rng: np.random.Generator, n: int, sizes: list[int]) -> np.ndarray:
    return np.stack([rng.integers(0, size, n) for size in sizes], axis=1)
