"""Seeds, deterministic algorithms and matmul precision, set once per process.

Each epoch draws its randomness from its own seeded generator (phases.epoch_generator); the
global seeds here cover weight initialisation and any library that reads the global RNGs.
"""

from __future__ import annotations

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
    torch.use_deterministic_algorithms(True, warn_only=True)
    tf32 = device.type == "cuda" and precision == "tf32"
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    torch.backends.cudnn.benchmark = False
    return {
        "deterministic_algorithms": True,
        "tf32": tf32,
        "precision": precision,
        "cublas_workspace_config": os.environ.get("CUBLAS_WORKSPACE_CONFIG"),
    }


def pick_device(requested: str = "auto") -> torch.device:
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(requested)
