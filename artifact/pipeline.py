"""The whole experiment, in order: data -> pretrain -> joint -> extended -> aggregate ->
claims -> audit -> report. `artifact reproduce` calls `reproduce`; the DVC stages call the
single steps (`run_phase`, `aggregate`, ...) so both paths run the same code."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from artifact.aggregate import aggregate
from artifact.config import RunConfig
from artifact.data import FactorDataset, eval_indices, load_dataset, prepare_dataset, split_indices
from artifact.io import write_json
from artifact.lock import directory_lock
from artifact.provenance import collect_provenance
from artifact.train.determinism import configure_determinism, seed_everything
from artifact.train.phases import PhaseRunner, RunKey, Splits

EpochCallback = Callable[[str, dict], None]  # (run name, evaluation record)


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
) -> dict:
    """One phase of one run (a DVC stage, or one step of `reproduce`)."""
    settings = configure_determinism(device, cfg.train.precision)
    seed_everything(key.seed)
    dataset, splits = loaded or load_for_training(key.dataset, cfg, device)
    provenance = collect_provenance(cfg, {dataset.name: dataset.checksum or "unknown"})
    provenance["determinism"] = provenance.get("determinism", {}) | settings
    run_dir = Path(cfg.paths.out) / "runs" / key.for_phase(phase).name
    callback = (
        (lambda record: on_epoch(f"{phase} {key.for_phase(phase).name}", record))
        if on_epoch
        else None
    )
    with directory_lock(run_dir):
        runner = PhaseRunner(phase, key, cfg, dataset, splits, cfg.paths.out, provenance, callback)
        return runner.run(fresh=fresh)


def write_claims(cfg: RunConfig, aggregate_payload: dict) -> tuple[Path, Path]:
    """claims.json and audit.json beside aggregate.json (what the report reads)."""
    from artifact.claims import audit_paper, verify_claims

    out = Path(cfg.paths.out)
    claims = write_json(
        out / "claims.json", verify_claims(aggregate_payload).model_dump(mode="json")
    )
    audit = write_json(out / "audit.json", audit_paper().model_dump(mode="json"))
    return claims, audit


def reproduce(
    cfg: RunConfig,
    device: torch.device,
    fresh: bool = False,
    on_phase: Callable[[int, int, str], None] | None = None,
    on_epoch: EpochCallback | None = None,
) -> Path:
    """Run the whole experiment of `cfg` and return the report's path."""
    from artifact.report import build_report

    out = Path(cfg.paths.out)
    plan = RunPlan.from_config(cfg)
    with directory_lock(out):
        for name in cfg.data.datasets:
            prepare_dataset(name, cfg.data, cfg.paths.data_dir)
        loaded: dict[str, tuple[FactorDataset, Splits]] = {}
        for number, (phase, key) in enumerate(plan.phases):
            if on_phase is not None:
                on_phase(number, len(plan.phases), f"{phase} {key.for_phase(phase).name}")
            if key.dataset not in loaded:  # one dataset resident at a time
                loaded = {key.dataset: load_for_training(key.dataset, cfg, device)}
            run_phase(phase, key, cfg, device, fresh, loaded[key.dataset], on_epoch)
        provenance = collect_provenance(
            cfg, {name: ds.checksum or "unknown" for name, (ds, _) in loaded.items()}
        )
        aggregate_payload = aggregate(out, cfg, provenance)
        write_claims(cfg, aggregate_payload)
        return build_report(out, out / "report")
