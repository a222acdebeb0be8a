"""`reproduce -j N`: the independent (dataset, seed) chains spread over worker processes.

A worker never outlives the `reproduce` that started it: on Linux it asks the kernel for
SIGKILL when its parent dies (prctl PR_SET_PDEATHSIG, via ctypes), and everywhere a watchdog
thread exits it once its parent is gone, so a SIGKILLed parent leaves no orphan training on and
holding the run locks; a resume right after finds them free. Checkpoints are atomic, so a
killed worker loses at most its current epoch.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Callable

import torch

from artifact.config import RunConfig
from artifact.experiment.plan import chains

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
WATCHDOG_PERIOD_S = 0.5


def n_workers(cfg: RunConfig, requested: int) -> int:
    """Workers -j N starts: never more than there are chains to run."""
    return max(1, min(requested, len(chains(cfg))))


def _die_with(parent: int) -> None:
    """Worker initializer: end this process when `parent` (the `reproduce` process) ends."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # no prctl: the watchdog alone
            pass

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(WATCHDOG_PERIOD_S)
        os._exit(1)  # the parent died (before prctl took effect, or without it)

    if os.getppid() != parent:
        os._exit(1)
    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


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
    """Run every chain in at most `workers` processes; return when all have finished.

    Job i runs on GPU i mod n_gpus (each worker's chains go to its own GPU when there are as
    many GPUs as workers); on a CPU the cores are split evenly between workers.
    """
    import multiprocessing

    workers = n_workers(cfg, workers)
    n_gpus = torch.cuda.device_count() if device.type == "cuda" else 0
    n_threads = max(1, torch.get_num_threads() // workers)
    jobs = [
        (cfg.model_dump_json(), d, s, f"cuda:{i % n_gpus}" if n_gpus else "cpu", fresh, n_threads)
        for i, (d, s) in enumerate(chains(cfg))
    ]
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers, initializer=_die_with, initargs=(os.getpid(),)) as pool:
        for done, name in enumerate(pool.imap_unordered(worker_chain, jobs), start=1):
            if on_chain is not None:
                on_chain(done, len(jobs), name)
