"""Seeds, deterministic algorithms, matmul precision and the host allocator, set once per process.

Each epoch draws its randomness from its own seeded generator (phases.epoch_generator); the
global seeds here cover weight initialisation and any library that reads the global RNGs.
"""

from __future__ import annotations

import ctypes
import os
import random

import numpy as np
import torch


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def configure_determinism(device: torch.device, precision: str) -> dict:
    """Deterministic kernels where torch has them; TF32 on GPU when precision is 'tf32' (the paper).

    Returns the settings for the provenance record.
    """
    if device.type == "cuda":
        # cuBLAS needs a fixed workspace for deterministic results (CUDA docs).
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    # torch.use_deterministic_algorithms(True, warn_only=True) without its import of
    # torch._inductor.config (2.4 s a process, a tenth of a smoke DVC stage), which only carries
    # the flag to torch.compile; training compiles nothing.
    torch._C._set_deterministic_algorithms(True, warn_only=True)
    tf32 = device.type == "cuda" and precision == "tf32"
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    torch.backends.cudnn.benchmark = False
    # Deterministic mode would otherwise fill every torch.empty with NaN, a full memory pass per
    # step; every buffer the step allocates is written before it is read.
    torch.utils.deterministic.fill_uninitialized_memory = False
    return {
        "deterministic_algorithms": torch.are_deterministic_algorithms_enabled(),
        "tf32": tf32,
        "precision": precision,
        "cublas_workspace_config": os.environ.get("CUBLAS_WORKSPACE_CONFIG"),
    }


def pick_device(requested: str = "auto") -> torch.device:
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(requested)


def configure_host_allocator() -> bool:
    """Let glibc reuse freed large blocks instead of handing them back to the OS.

    By default each tensor over 32 MB is a fresh mmap, so every step's 134 MB gradients fault in
    their pages again (about 0.1 s per matrix here). Call once per process, before training;
    returns whether it took effect (False where glibc's mallopt is missing).
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3
    return bool(libc.mallopt(m_mmap_threshold, 1 << 30) and libc.mallopt(m_trim_threshold, 1 << 31))
