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
from artifact.train.determinism import (
    configure_determinism,
    configure_host_allocator,
    seed_everything,
)
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
    configure_host_allocator()  # reuse the big gradient buffers instead of re-faulting them each step
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
    from artifact.claims import audit_registry, load_registry, verify_claims

    registry = load_registry()
    audit = audit_registry(registry)  # once: the verdicts read it, and audit.json holds it
    out = Path(cfg.paths.out)
    claims = write_json(
        out / "claims.json",
        verify_claims(aggregate_payload, registry, audit).model_dump(mode="json"),
    )
    audit = write_json(out / "audit.json", audit.model_dump(mode="json"))
    return claims, audit


def run_chain(cfg: RunConfig, dataset: str, seed: int, device: torch.device, fresh: bool = False,
              loaded: tuple[FactorDataset, Splits] | None = None,
              on_epoch: EpochCallback | None = None) -> None:  # fmt: skip
    """Every phase of one (dataset, seed): pretrain, then each method's joint and extended."""
    loaded = loaded or load_for_training(dataset, cfg, device)
    for phase, key in RunPlan.from_config(cfg).phases:
        if (key.dataset, key.seed) == (dataset, seed):
            run_phase(phase, key, cfg, device, fresh, loaded, on_epoch)


def _worker_chain(job: tuple[str, str, int, str, bool, int]) -> str:
    """Entry point of a worker process: one (dataset, seed) chain on the worker's device."""
    cfg_json, dataset, seed, device_name, fresh, n_threads = job
    torch.set_num_threads(n_threads)
    cfg = RunConfig.model_validate_json(cfg_json)
    run_chain(cfg, dataset, seed, torch.device(device_name), fresh)
    return f"{dataset}-{seed}"


def _run_parallel(cfg: RunConfig, device: torch.device, fresh: bool, workers: int,
                  on_chain: Callable[[int, int, str], None] | None) -> None:  # fmt: skip
    """The (dataset, seed) chains are independent: spread them over `workers` processes.

    Job i runs on GPU i mod n_gpus (each worker's chains go to its own GPU when there are as
    many GPUs as workers); on a CPU the cores are split evenly between workers.
    """
    import multiprocessing

    chains = [(d, s) for d in cfg.data.datasets for s in cfg.train.seeds]
    n_gpus = torch.cuda.device_count() if device.type == "cuda" else 0
    n_threads = max(1, torch.get_num_threads() // workers)
    jobs = [
        (cfg.model_dump_json(), d, s, f"cuda:{i % n_gpus}" if n_gpus else "cpu", fresh, n_threads)
        for i, (d, s) in enumerate(chains)
    ]
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        for done, name in enumerate(pool.imap_unordered(_worker_chain, jobs), start=1):
            if on_chain is not None:
                on_chain(done, len(jobs), name)


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
    from artifact.report import build_report

    out = Path(cfg.paths.out)
    plan = RunPlan.from_config(cfg)
    with directory_lock(out):
        for name in cfg.data.datasets:
            prepare_dataset(name, cfg.data, cfg.paths.data_dir)
        if workers > 1:
            _run_parallel(cfg, device, fresh, workers, on_phase)
        else:
            loaded: tuple[FactorDataset, Splits] | None = None
            for number, (phase, key) in enumerate(plan.phases):
                if on_phase is not None:
                    on_phase(number, len(plan.phases), f"{phase} {key.for_phase(phase).name}")
                if (
                    loaded is None or loaded[0].name != key.dataset
                ):  # one dataset resident at a time
                    loaded = load_for_training(key.dataset, cfg, device)
                run_phase(phase, key, cfg, device, fresh, loaded, on_epoch)
        aggregate_payload = aggregate(out, cfg, collect_provenance(cfg))
        write_claims(cfg, aggregate_payload)
        return build_report(out, out / "report")
