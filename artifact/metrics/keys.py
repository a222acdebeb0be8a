"""The names of aggregated metrics: the vocabulary claims and figures refer to.

An aggregate key is `{dataset}.{method}.{name}` (e.g. `shapes3d.l1.dead_pct`) or a global key
such as `model.n_parameters`. A claim whose metric is not in `all_metric_keys()` is refused.
"""

from __future__ import annotations

DATASETS = ("dsprites", "shapes3d")
METHODS = ("topk", "l1")

# Evaluated at the end of stage 3 (k = k_end for Top-k; the last L1 epoch for L1).
FINAL_NAMES = ("mig", "dead_pct", "specialised", "mse", "effective_sparsity_pct")
# The last stage-3 evaluation at k = k_start (Top-k), "pre-sparsification" in section 4.2.
AT_K_START_NAMES = tuple(f"{name}_at_k_start" for name in FINAL_NAMES)
# The end of extended training (Top-k only by default).
EXTENDED_NAMES = tuple(f"extended_{name}" for name in FINAL_NAMES)
# Wall-clock minutes per stage (informational: hardware-dependent).
TIMING_NAMES = ("stage1_minutes", "stage2_minutes", "stage3_minutes", "extended_minutes")

SPECIALISATION_SWEEP = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
DEAD_SWEEP = (0.0005, 0.001, 0.002, 0.005, 0.01)

GLOBAL_KEYS = ("model.n_parameters", "model.conv_sae_width")


def threshold_label(threshold: float) -> str:
    """A threshold as it appears in a key: 0.5 -> '0.5', 0.0005 -> '0.0005'."""
    return f"{threshold:g}" if threshold >= 1e-4 else repr(threshold)


def sweep_names(prefix: str = "") -> tuple[str, ...]:
    spec = tuple(f"{prefix}specialised_thr_{threshold_label(t)}" for t in SPECIALISATION_SWEEP)
    dead = tuple(f"{prefix}dead_pct_thr_{threshold_label(t)}" for t in DEAD_SWEEP)
    return spec + dead


def group_metric_names() -> tuple[str, ...]:
    return (
        FINAL_NAMES
        + AT_K_START_NAMES
        + EXTENDED_NAMES
        + TIMING_NAMES
        + sweep_names()
        + sweep_names("extended_")
    )


def all_metric_keys() -> frozenset[str]:
    keys = {
        f"{dataset}.{method}.{name}"
        for dataset in DATASETS
        for method in METHODS
        for name in group_metric_names()
    }
    return frozenset(keys | set(GLOBAL_KEYS))
