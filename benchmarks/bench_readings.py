"""Benchmark: one evaluation with the registered reading only vs with metrics.readings.

Times `artifact.train.evaluation.evaluate` (the forward pass over the evaluation samples, MIG,
the neuron metrics, MSE) at a profile's sizes, on a freshly initialised model whose bias boost is
set (so boost on/off differ) and whose codes are Top-k at --k, twice: `metrics.readings: []`
(today's evaluation) and the params.yaml readings. The issue's budget: the second at most 3x
the first. Random weights: pre-cut activations are about half positive, as a trained
encoder's ReLU outputs are at least as sparse, so this is the dense (expensive) end.

    .venv/bin/python benchmarks/bench_readings.py [--profile cpu] [--k 50] [--repeats 2]

Not part of the test suite; on a shared machine timings are noisy (best of --repeats).
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import torch
from timing import best_seconds  # noqa: E402  (benchmarks/timing.py; a script's folder is on sys.path)

from artifact.config import load_params, resolve
from artifact.data.dataset import FactorDataset
from artifact.data.spec import get_spec
from artifact.metrics.readings import configured
from artifact.model.hybrid import HybridModel
from artifact.train.evaluation import evaluate


def _dataset(name: str, n: int, seed: int = 0) -> FactorDataset:
    spec = get_spec(name)
    rng = np.random.default_rng(seed)
    factors = np.stack([rng.integers(0, s, n) for s in spec.factor_sizes], axis=1)
    channels = 1 if name == "dsprites" else 3
    images = rng.integers(0, 2 if name == "dsprites" else 256, size=(n, 64, 64, channels))
    return FactorDataset(name, torch.as_tensor(images, dtype=torch.uint8), torch.as_tensor(factors),
                         spec.factor_names, spec.factor_sizes, "procedural", None)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="cpu")
    parser.add_argument("--dataset", default="shapes3d")
    parser.add_argument("--k", type=int, default=None, help="default: the profile's k_end")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    cfg = resolve(load_params("params.yaml"), args.profile)
    k = args.k or cfg.train.stage3.k_end
    n = cfg.data.n_eval_samples
    torch.manual_seed(0)
    model = HybridModel(args.dataset, cfg.model, cfg.train)
    model.conv_sae.set_boost_(0.1 * torch.rand(model.conv_sae.width))
    dataset = _dataset(args.dataset, n)
    index = torch.arange(n)
    only = cfg.metrics.model_copy(update={"readings": ()})
    rows = {}
    for label, metrics in (("registered", only), ("readings", cfg.metrics)):

        def run(metrics=metrics):
            return evaluate(model, dataset, index, k, metrics, cfg.train.batch_size, with_sae=True)

        rows[label] = best_seconds(run, args.repeats)
    boost = "on" if cfg.metrics.eval_bias_boost else "off"
    result = {
        "profile": args.profile, "dataset": args.dataset, "n_eval": n,
        "width": cfg.model.conv_sae_width, "k": k, "threads": torch.get_num_threads(),
        "n_readings": len(configured(cfg.metrics, boost)),
        "registered_s": rows["registered"], "readings_s": rows["readings"],
        "ratio": rows["readings"] / rows["registered"],
    }  # fmt: skip
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
