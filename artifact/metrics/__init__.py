"""Metrics of section 3.4 of the paper: MIG, neuron dead / specialised counts, MSE.

Pure functions: arrays in, numbers out, no I/O. Aggregate key names live in `keys.py`.
The functions are imported on first use, so `artifact.metrics.keys` (read by claims, aggregate
and report) does not pull in torch.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from artifact.metrics.mig import mig
    from artifact.metrics.mse import reconstruction_mse
    from artifact.metrics.mutual_info import discretize, entropy, mutual_info_matrix
    from artifact.metrics.neurons import NeuronReport, neuron_report

_HOME = {
    "mig": "artifact.metrics.mig",
    "reconstruction_mse": "artifact.metrics.mse",
    "discretize": "artifact.metrics.mutual_info",
    "entropy": "artifact.metrics.mutual_info",
    "mutual_info_matrix": "artifact.metrics.mutual_info",
    "NeuronReport": "artifact.metrics.neurons",
    "neuron_report": "artifact.metrics.neurons",
}
__all__ = [
    "NeuronReport",
    "discretize",
    "entropy",
    "mig",
    "mutual_info_matrix",
    "neuron_report",
    "reconstruction_mse",
]


def __getattr__(name: str) -> object:
    if name not in _HOME:
        raise AttributeError(f"module 'artifact.metrics' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOME[name]), name)


class _Package(types.ModuleType):
    """Importing the submodule `mig` binds the package attribute `mig` to that module; bind the
    function instead, so `artifact.metrics.mig(...)` works whichever import came first."""

    def __setattr__(self, name: str, value: object) -> None:
        if name in _HOME and isinstance(value, types.ModuleType) and hasattr(value, name):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
