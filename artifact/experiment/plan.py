"""Which phases an experiment runs, in order, and which (dataset, seed) chains they form."""

from __future__ import annotations

from dataclasses import dataclass

from artifact.config import RunConfig
from artifact.train.run_key import RunKey


@dataclass(frozen=True)
class RunPlan:
    """Every phase the config asks for, in the order they must run."""

    phases: tuple[tuple[str, RunKey], ...]

    @classmethod
    def from_config(cls, cfg: RunConfig) -> RunPlan:
        phases = []
        for dataset in cfg.data.datasets:
            for seed in cfg.train.seeds:
                phases.append(("pretrain", RunKey(dataset, seed)))
                for method in cfg.train.methods:
                    phases.append(("joint", RunKey(dataset, seed, method)))
                    if method in cfg.train.extended.methods and cfg.train.extended.n_epochs > 0:
                        phases.append(("extended", RunKey(dataset, seed, method)))
        return cls(tuple(phases))

    def chain(self, dataset: str, seed: int) -> tuple[tuple[str, RunKey], ...]:
        """The phases of one (dataset, seed): pretrain, then each method's joint and extended."""
        return tuple((p, k) for p, k in self.phases if (k.dataset, k.seed) == (dataset, seed))


def chains(cfg: RunConfig) -> list[tuple[str, int]]:
    """The independent (dataset, seed) chains of an experiment."""
    return [(d, s) for d in cfg.data.datasets for s in cfg.train.seeds]
