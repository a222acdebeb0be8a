"""Benchmark: neuron-factor MI of the conv SAE, vectorised vs the per-pair sklearn loop.

The paper's evaluation (section 3.4) computes, every epoch, the MI of each of the 8192 conv-SAE
neurons with each generative factor on 10,000 evaluation samples. This times
`artifact.metrics.neuron_report` (activation rates, binning, MI of all neuron-factor pairs, both
threshold sweeps) against the reference: per neuron, disentanglement_lib's histogram binning
(np.histogram + np.digitize), then `sklearn.metrics.mutual_info_score` per factor. The loop is
timed on a subset of neurons and extrapolated linearly to all of them (its cost per neuron does
not depend on the neuron); the subset's values are checked against the vectorised ones.

Codes: Top-k-like, k = 500 (the densest point of the paper's k schedule: 6.1% non-zero) and
k = 50, Shapes3D's factor sizes; a fully dense matrix (every entry positive) as the worst case
of the estimator. Peak memory: the process's peak resident set (VmHWM, reset before the call
where Linux allows it, after malloc_trim) above the resident set just before the call (the
330 MB input included there), and the process's ru_maxrss.

    .venv/bin/python benchmarks/bench_metrics.py [--loop-neurons 64] [--repeats 3] [--json out.json]

Not part of the test suite. On a shared 2-core machine timings are noisy: the best of
`--repeats` runs is reported, with the median.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import os
import platform
import resource
import statistics
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import mutual_info_score

from artifact.config import load_params, resolve
from artifact.metrics.neurons import neuron_report

PAPER = resolve(load_params(Path(__file__).resolve().parents[1] / "params.yaml"), "paper")  # the paper's values

N_SAMPLES, N_NEURONS = 10_000, 8192
SHAPES3D_SIZES = [10, 10, 10, 8, 4, 15]


def make_factors(rng: np.random.Generator) -> np.ndarray:
    return np.stack([rng.integers(0, size, N_SAMPLES) for size in SHAPES3D_SIZES], axis=1)


def make_codes(factors: np.ndarray, k: int | None, seed: int) -> torch.Tensor:
    """[N, M] float32 codes, built in row blocks so generation does not set the memory peak.

    k: Top-k codes (k positive entries per sample; neuron biases make some neurons dead and
    some always on; a quarter of the neurons are tied to a factor). None: dense, all positive.
    """
    gen = torch.Generator().manual_seed(seed)
    bias = torch.linspace(-4.0, 2.0, N_NEURONS)  # [M]
    tied = torch.arange(N_NEURONS) % len(SHAPES3D_SIZES)  # [M] the factor a neuron may follow
    codes = torch.empty(N_SAMPLES, N_NEURONS)
    for start in range(0, N_SAMPLES, 1000):  # blocks of samples
        f = torch.from_numpy(factors[start : start + 1000])  # [B, K]
        scores = torch.randn(f.shape[0], N_NEURONS, generator=gen) + bias
        scores[:, : N_NEURONS // 4] += 0.5 * f[:, tied[: N_NEURONS // 4]]
        if k is None:
            codes[start : start + f.shape[0]] = scores.sigmoid()
            continue
        values, index = scores.topk(k, dim=1)
        block = torch.zeros_like(scores).scatter_(1, index, values.relu() + 1e-3)
        codes[start : start + f.shape[0]] = block
    return codes


def loop_reference(codes: np.ndarray, factors: np.ndarray, n_bins: int) -> np.ndarray:
    """disentanglement_lib's way: one neuron, one factor at a time. codes [N, m] -> MI [m, K]."""
    mi = np.zeros((codes.shape[1], factors.shape[1]))
    for neuron in range(codes.shape[1]):
        column = codes[:, neuron]
        binned = np.digitize(column, np.histogram(column, n_bins)[1][:-1])
        for factor in range(factors.shape[1]):
            mi[neuron, factor] = mutual_info_score(factors[:, factor], binned)
    return mi


def _rss_kib(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    """Hand freed heap back to the OS (so the baseline is the live data), then reset VmHWM."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
        return True
    except OSError:
        return False


def bench_case(name: str, k: int | None, args: argparse.Namespace) -> dict:
    rng = np.random.default_rng(0)
    factors = make_factors(rng)
    codes = make_codes(factors, k, seed=1)
    cfg = PAPER.metrics
    nonzero_pct = float((codes > 0).float().mean()) * 100

    times, peaks = [], []
    for _ in range(args.repeats):
        gc.collect()
        reset = _reset_peak()
        before = _rss_kib("VmRSS")
        start = time.perf_counter()
        report = neuron_report(codes, torch.from_numpy(factors), SHAPES3D_SIZES, cfg)
        times.append(time.perf_counter() - start)
        peak = _rss_kib("VmHWM")
        if reset and before is not None and peak is not None:
            peaks.append((peak - before) / 1024)

    subset = np.linspace(0, N_NEURONS - 1, args.loop_neurons).astype(int)
    sub_codes = codes[:, subset].numpy()
    start = time.perf_counter()
    reference = loop_reference(sub_codes, factors, cfg.n_bins)
    loop_s = (time.perf_counter() - start) * N_NEURONS / len(subset)
    max_diff = float(np.abs(report.mi[subset].numpy() - reference).max())

    best = min(times)
    return {
        "case": name,
        "nonzero_pct": round(nonzero_pct, 2),
        "vectorised_s_best": round(best, 3),
        "vectorised_s_median": round(statistics.median(times), 3),
        "loop_s_extrapolated": round(loop_s, 1),
        "loop_neurons_timed": len(subset),
        "ratio_best": round(loop_s / best, 1),
        "ratio_median": round(loop_s / statistics.median(times), 1),
        "peak_extra_mib": round(max(peaks), 1) if peaks else None,
        "max_abs_diff_vs_loop": max_diff,
        "dead_pct": round(report.dead_pct, 2),
        "specialised": report.specialised,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--loop-neurons", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cases", default="topk500,topk50,dense")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    cases = {"topk500": 500, "topk50": 50, "dense": None}
    results = []
    for name in args.cases.split(","):
        result = bench_case(name, cases[name], args)
        results.append(result)
        print(json.dumps(result))
    summary = {
        "n_samples": N_SAMPLES,
        "n_neurons": N_NEURONS,
        "factor_sizes": SHAPES3D_SIZES,
        "torch_threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(),
        "machine": platform.processor() or platform.machine(),
        "ru_maxrss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "results": results,
    }
    print(json.dumps({k: v for k, v in summary.items() if k != "results"}))
    if args.json is not None:
        tmp = args.json.with_suffix(args.json.suffix + ".tmp")
        tmp.write_text(json.dumps(summary, indent=2) + "\n")
        os.replace(tmp, args.json)


if __name__ == "__main__":
    main()
