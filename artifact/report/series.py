"""Per-epoch series shaped for plotting: runs aligned on the eq. 4 clock t and seed statistics.
Pure functions over `inputs.Run`; no drawing here."""

from __future__ import annotations

import functools

import numpy as np

from artifact.report.inputs import STAGES, Run

SAE_STAGES = ("stage2", "stage3")  # dead and specialised exist once the SAE does
QUANTITIES = {
    "dead_pct": "dead neurons (% of dictionary)",
    "specialised": "specialised neurons (count)",
    "mig": "MIG (normalised, 0-1)",
    "mse": "reconstruction MSE (per pixel)",
}
PAPER_WIDTH_CLAIM = "s3.1.conv_sae_width"  # "dictionary D_conv in R^{4096 x 8192}"


@functools.cache
def paper_width() -> int:
    """The paper's conv-SAE width, from claims/ (the one home of the paper's numbers)."""
    from artifact.claims import load_registry

    return int(load_registry().by_id[PAPER_WIDTH_CLAIM].value.mean)
T_LABEL = "epoch t (stage 3 from t = 0, eq. 4; stage 2 at t < 0)"


def stack(runs: list[Run], name: str, stages: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(t,) and (n_runs, n_t) values on the union of the runs' t; NaN where a run has none."""
    pieces = [run.series(name, stages) for run in runs]
    t = np.unique(np.concatenate([p[0] for p in pieces])) if pieces else np.zeros(0)
    values = np.full((len(pieces), len(t)), np.nan)
    for row, (run_t, run_values) in enumerate(pieces):
        values[row, np.searchsorted(t, run_t)] = run_values
    return t, values


def seed_mean_std(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sample std (ddof=1, as aggregate.json) over runs; std 0 where one run has a value."""
    count = np.sum(np.isfinite(values), axis=0)  # (n_t,)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, np.nansum(values, axis=0) / np.maximum(count, 1), np.nan)
        squares = np.nansum((values - mean) ** 2, axis=0)
        std = np.where(count > 1, np.sqrt(squares / np.maximum(count - 1, 1)), 0.0)
    return mean, std


def schedule(values: np.ndarray) -> np.ndarray:
    """(n_t,) the first run's finite value at each t: a schedule shared by the seeds."""
    finite = np.isfinite(values)  # (n_runs, n_t)
    first = np.argmax(finite, axis=0)
    picked = values[first, np.arange(values.shape[1])]
    return np.where(finite.any(axis=0), picked, np.nan)


def stage_bounds(run: Run) -> dict[str, tuple[float, float]]:
    bounds = {}
    for stage in STAGES:
        t = run.t[run.mask((stage,))]
        if len(t):
            bounds[stage] = (float(t.min()), float(t.max()))
    return bounds


def end_t(run: Run, stage: str = "stage3") -> float | None:
    t = run.t[run.mask((stage,))]
    return float(t.max()) if len(t) else None


def k_start_t(run: Run) -> float | None:
    """t of the evaluation the paper calls 'pre-sparsification (k = 500)': the last stage-3
    epoch at the starting k, else the end of stage 2 (as the training code's `at_k_start`)."""
    t, k = run.series("k", ("stage3",))
    k_start = np.nanmax(k) if np.isfinite(k).any() else np.nan
    at_start = t[k == k_start]
    if run.method == "topk" and len(at_start):
        return float(at_start.max())
    return end_t(run, "stage2")


def counts_comparable(run: Run) -> bool:
    """Whether the paper's neuron counts may be marked beside this run's: counts scale with the
    dictionary width, so a scaled-down profile's counts are not on the paper's scale."""
    return run.width is None or run.width == paper_width()
