"""One phase of one run, as a DVC stage or one step of `reproduce` runs it: determinism set,
data resident on the device, provenance recorded, the run directory locked."""

from __future__ import annotations

import sys
from collections.abc import Callable

import torch

from artifact.config import RunConfig
from artifact.data import FactorDataset, eval_indices, load_dataset, split_indices
from artifact.env.determinism import (
    configure_determinism,
    configure_host_allocator,
    seed_everything,
)
from artifact.env.provenance import collect_provenance
from artifact.experiment.layout import phase_paths
from artifact.storage.lock import directory_lock
from artifact.train.checkpoint import CorruptCheckpoint
from artifact.train.phase_runner import PhaseRunner
from artifact.train.run_key import PARENT_PHASE, RunKey, Splits

EpochCallback = Callable[[str, dict], None]  # (run name, evaluation record)


def load_for_training(
    name: str, cfg: RunConfig, device: torch.device
) -> tuple[FactorDataset, Splits]:
    """The prepared dataset resident on `device`, and its seeded train / evaluation indices."""
    dataset = load_dataset(name, cfg.data, cfg.paths.data_dir).to(device)
    train_idx, val_idx = split_indices(len(dataset), name, cfg.data)
    return dataset, Splits(train=train_idx, evaluation=eval_indices(val_idx, cfg.data))


def run_phase(
    phase: str,
    key: RunKey,
    cfg: RunConfig,
    device: torch.device,
    fresh: bool = False,
    loaded: tuple[FactorDataset, Splits] | None = None,
    on_epoch: EpochCallback | None = None,
    finish_in_background: bool = False,
    redo_parent: bool = True,
) -> dict:
    """One phase of one run (a DVC stage, or one step of `reproduce`); returns its metrics.

    finish_in_background: the phase's files are still being written when this returns, so the
    next phase can start (train.checkpoint.flush_checkpoints() waits for them)."""
    settings = configure_determinism(device, cfg.train.precision)
    configure_host_allocator()  # reuse the big gradient buffers instead of re-faulting them each step
    seed_everything(key.seed)
    dataset, splits = loaded or load_for_training(key.dataset, cfg, device)
    provenance = collect_provenance(cfg, {dataset.name: dataset.checksum or "unknown"})
    provenance["determinism"] = provenance.get("determinism", {}) | settings
    paths = phase_paths(cfg.paths.out, key, phase)
    name = key.for_phase(phase).name
    callback = (lambda record: on_epoch(f"{phase} {name}", record)) if on_epoch else None
    with directory_lock(paths.run_dir):
        runner = PhaseRunner(phase, key, cfg, dataset, splits, paths, provenance, callback)
        try:
            return runner.run(fresh=fresh, finish_in_background=finish_in_background)
        except CorruptCheckpoint as error:
            if not redo_parent or error.path != paths.parent_checkpoint:
                raise
    # The phase this one continues from has a damaged checkpoint (its results stood, so it was
    # not redone while nothing needed it): redo that phase alone, then this one.
    parent = PARENT_PHASE[phase]
    print(f"artifact: {paths.parent_checkpoint} is truncated or corrupt; redoing the {parent} "
          f"phase of {key.for_phase(parent).name} first.", file=sys.stderr, flush=True)  # fmt: skip
    run_phase(parent, key, cfg, device, True, (dataset, splits), on_epoch, finish_in_background)
    return run_phase(phase, key, cfg, device, fresh, (dataset, splits), on_epoch,
                     finish_in_background, redo_parent=False)  # fmt: skip
