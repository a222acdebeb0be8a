"""Reachability: can a claimed count or rate be attained at all under a reading, by any training?

Under a reading (metrics/readings.py) some numbers are capped by construction, before any run:

- MI cap. A neuron active on a fraction p of the samples, binned into B bins whose bin 0 holds
  at least its inactive samples, has a binned entropy of at most h(p) + p ln(B - 1) (bin 0 at
  1 - p, the active mass spread evenly over the other bins; ln B once 1 - p < 1/B under
  equal-width bins), and MI with a factor is at most that and at most H(factor) = ln(n_values).
  Active/inactive is B = 2: h(p) <= ln 2 nats = 1 bit. Normalised by H(factor) the score is
  min(cap, H_k) / H_k, largest for the factor with the fewest values.
- Top-k budget. On the codes a~ each sample has at most k active neurons, so the neurons' rates
  sum to at most k: at most ceil(k / p*) - 1 neurons can exceed a threshold whose MI cap needs
  p > p*; at most floor(k / r) can have rate >= r (a dead-% floor); the fraction of zeros is at
  least 1 - k / width (an effective-sparsity floor). Pre-cut activations and L1 codes have no
  budget: every neuron may fire on every sample, so only the cap itself binds.

Functions are pure and vectorised over thresholds and rates (numpy arrays in, arrays out).
"""

from __future__ import annotations

import math

import numpy as np

# Bisection steps for p*: the bracket [0, 1] shrinks to 2^-60, below any rate N samples resolve.
_STEPS = 60


def binary_entropy(p: np.ndarray) -> np.ndarray:
    """h(p) in nats, 0 at p = 0 and p = 1."""
    p = np.asarray(p, dtype=np.float64)
    q = 1.0 - p
    with np.errstate(divide="ignore", invalid="ignore"):
        out = -np.where(p > 0, p * np.log(p), 0.0) - np.where(q > 0, q * np.log(q), 0.0)
    return out


def entropy_cap(p: np.ndarray, n_bins: int, binning: str) -> np.ndarray:
    """Upper bound in nats on the binned entropy (hence on MI) of a neuron active on fraction p."""
    p = np.asarray(p, dtype=np.float64)
    if binning == "active_inactive":
        n_bins = 2
    spread = binary_entropy(p) + p * math.log(n_bins - 1)
    if binning == "equal_width":  # bin 0 holds the zeros and maybe some actives
        return np.where(1.0 - p >= 1.0 / n_bins, spread, math.log(n_bins))
    return spread


def mi_score_cap(
    p: np.ndarray, n_bins: int, binning: str, unit: str, normalisation: str,
    factor_sizes: tuple[int, ...],
) -> np.ndarray:  # fmt: skip
    """Upper bound on max_k MI(neuron, factor k) in the reading's unit, for rate p."""
    cap = entropy_cap(p, n_bins, binning)[..., None]  # [..., 1]
    h = np.log(np.asarray(factor_sizes, dtype=np.float64))  # [K]: uniform grid factors
    mi = np.minimum(cap, h)  # [..., K]
    if normalisation == "factor_entropy":
        return (mi / h).max(axis=-1)
    return mi.max(axis=-1) / (math.log(2) if unit == "bits" else 1.0)


def _peak(n_bins: int, binning: str) -> float:
    """The rate at which the cap stops growing (it is increasing on [0, peak])."""
    if binning == "active_inactive":
        return 0.5
    return (n_bins - 1) / n_bins if binning == "equal_width" else 1.0 - 1.0 / n_bins


def min_rate(thresholds: np.ndarray, **reading) -> np.ndarray:
    """p* = the smallest rate whose MI cap exceeds each threshold; inf where none does."""
    t = np.asarray(thresholds, dtype=np.float64)
    peak = _peak(reading["n_bins"], reading["binning"])
    lo, hi = np.zeros_like(t), np.full_like(t, peak)
    for _ in range(_STEPS):  # vectorised bisection: the cap is increasing on [0, peak]
        mid = (lo + hi) / 2
        above = mi_score_cap(mid, **reading) > t
        hi, lo = np.where(above, mid, hi), np.where(above, lo, mid)
    reachable = mi_score_cap(np.full_like(t, peak), **reading) > t
    return np.where(reachable, hi, np.inf)


def max_specialised(thresholds: np.ndarray, width: int, k: int | None, **reading) -> np.ndarray:
    """The most neurons whose MI can exceed each threshold; k None: no Top-k budget."""
    return specialised_budget(min_rate(thresholds, **reading), width, k)


def specialised_budget(p_star: np.ndarray, width: int, k: int | None) -> np.ndarray:
    """The most neurons that can fire at a rate above p* each (inf: none can): all of them
    without a Top-k budget, else fewer than k / p*."""
    p_star = np.asarray(p_star, dtype=np.float64)
    if k is None:
        return np.where(np.isfinite(p_star), width, 0)
    with np.errstate(divide="ignore"):
        budget = np.ceil(k / p_star) - 1  # c neurons above p*: c p* < sum of rates <= k
    return np.where(np.isfinite(p_star), np.minimum(width, budget), 0).astype(np.int64)


def dead_floor_pct(thresholds: np.ndarray, width: int, k: int | None) -> np.ndarray:
    """The least dead % at each rate threshold: at most floor(k / r) neurons reach rate r."""
    r = np.asarray(thresholds, dtype=np.float64)
    if k is None:
        return np.zeros_like(r)
    alive = np.minimum(width, np.floor(k / r))
    return 100.0 * (width - alive) / width


def sparsity_floor_pct(width: int, k: int | None) -> float:
    """The least effective sparsity (% of zero activations per sample): 1 - k / width."""
    return 0.0 if k is None else 100.0 * max(0.0, 1.0 - k / width)
