"""`reproduce -j N`: the independent (dataset, seed) chains spread over worker processes."""

from __future__ import annotations

from collections.abc import Callable

import torch

from artifact.config import RunConfig
from artifact.experiment.plan import chains


def worker_chain(job: tuple[str, str, int, str, bool, int]) -> str:
    """Entry point of a worker process: one (dataset, seed) chain on the worker's device."""
    from artifact.experiment.reproduce import run_chain

    cfg_json, dataset, seed, device_name, fresh, n_threads = job
    torch.set_num_threads(n_threads)
    cfg = RunConfig.model_validate_json(cfg_json)
    run_chain(cfg, dataset, seed, torch.device(device_name), fresh)
    return f"{dataset}-{seed}"


def run_parallel(cfg: RunConfig, device: torch.device, fresh: bool, workers: int,
                 on_chain: Callable[[int, int, str], None] | None) -> None:  # fmt: skip
    """Run every chain in `workers` processes; return when all have finished.

    Job i runs on GPU i mod n_gpus (each worker's chains go to its own GPU when there are as
    many GPUs as workers); on a CPU the cores are split evenly between workers.
    """
    import multiprocessing

    n_gpus = torch.cuda.device_count() if device.type == "cuda" else 0
    n_threads = max(1, torch.get_num_threads() // workers)
    jobs = [
        (cfg.model_dump_json(), d, s, f"cuda:{i % n_gpus}" if n_gpus else "cpu", fresh, n_threads)
        for i, (d, s) in enumerate(chains(cfg))
    ]
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        for done, name in enumerate(pool.imap_unordered(worker_chain, jobs), start=1):
            if on_chain is not None:
                on_chain(done, len(jobs), name)
