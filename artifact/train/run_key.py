"""What names a run, its phases (and which continues which), and the samples it uses.

Torch-free at import, so that experiment/layout.py (read by the report) stays light."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

PHASES = ("pretrain", "joint", "extended")
PARENT_PHASE = {"joint": "pretrain", "extended": "joint"}  # a phase starts from its parent's checkpoint


@dataclass(frozen=True)
class RunKey:
    """A run: (dataset, method, seed). method is None for the shared pretrain phase."""

    dataset: str
    seed: int
    method: str | None = None

    @property
    def name(self) -> str:
        parts = (self.dataset, self.method, str(self.seed))
        return "-".join(p for p in parts if p is not None)

    def for_phase(self, phase: str) -> RunKey:
        return RunKey(self.dataset, self.seed, None if phase == "pretrain" else self.method)

    def as_dict(self) -> dict:
        return {"dataset": self.dataset, "method": self.method, "seed": self.seed}


@dataclass(frozen=True)
class Splits:
    train: torch.Tensor  # int64 indices into the dataset
    evaluation: torch.Tensor  # int64 indices: the fixed evaluation samples (from validation)
