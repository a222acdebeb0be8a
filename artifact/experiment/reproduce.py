"""The whole experiment, in order: data -> pretrain -> joint -> extended -> aggregate ->
claims -> audit -> report. `artifact reproduce` calls `reproduce`; the DVC stages call the
single steps (`run_phase`, `aggregate`, `write_claims`, `build_report`) so both paths run the
same code."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch

from artifact.config import RunConfig
from artifact.data import FactorDataset, prepare_dataset
from artifact.experiment.aggregate import aggregate
from artifact.experiment.claims_step import write_claims
from artifact.experiment.layout import report_dir
from artifact.experiment.parallel import run_parallel
from artifact.experiment.phase import EpochCallback, load_for_training, run_phase
from artifact.experiment.plan import RunPlan
from artifact.storage.lock import directory_lock
from artifact.train.checkpoint import flush_checkpoints
from artifact.train.run_key import Splits


def run_chain(cfg: RunConfig, dataset: str, seed: int, device: torch.device, fresh: bool = False,
              loaded: tuple[FactorDataset, Splits] | None = None,
              on_epoch: EpochCallback | None = None) -> None:  # fmt: skip
    """Every phase of one (dataset, seed): pretrain, then each method's joint and extended."""
    loaded = loaded or load_for_training(dataset, cfg, device)
    for phase, key in RunPlan.from_config(cfg).chain(dataset, seed):
        # A phase's output is written while the next phase trains (train/checkpoint.py).
        run_phase(phase, key, cfg, device, fresh, loaded, on_epoch, finish_in_background=True)
    flush_checkpoints()


def reproduce(
    cfg: RunConfig,
    device: torch.device,
    fresh: bool = False,
    on_phase: Callable[[int, int, str], None] | None = None,
    on_epoch: EpochCallback | None = None,
    workers: int = 1,
) -> Path:
    """Run the whole experiment of `cfg` and return the report's path.

    With workers > 1 the (dataset, seed) chains run in parallel processes; the aggregate,
    claims and report wait for all of them.
    """
    out = Path(cfg.paths.out)
    plan = RunPlan.from_config(cfg)
    with directory_lock(out):
        for name in cfg.data.datasets:
            # official (the paper profile's `auto`): a missing file is downloaded first
            prepare_dataset(name, cfg.data, cfg.paths.data_dir, fetch=True)
        if workers > 1:
            run_parallel(cfg, device, fresh, workers, on_phase)
        else:
            loaded: tuple[FactorDataset, Splits] | None = None
            for number, (phase, key) in enumerate(plan.phases):
                if on_phase is not None:
                    on_phase(number, len(plan.phases), f"{phase} {key.for_phase(phase).name}")
                if loaded is None or loaded[0].name != key.dataset:  # one dataset resident at a time
                    loaded = load_for_training(key.dataset, cfg, device)
                run_phase(phase, key, cfg, device, fresh, loaded, on_epoch, finish_in_background=True)
            flush_checkpoints()
        return finish(cfg)


def finish(cfg: RunConfig) -> Path:
    """After every chain: aggregate, claims and audit, report (also the SLURM executor's final
    job); returns the report's path."""
    from artifact.report import build_report

    out = Path(cfg.paths.out)
    aggregate_payload = aggregate(out)  # the runs' own labels, config and provenance
    write_claims(out, aggregate_payload)
    return build_report(out, report_dir(out))
