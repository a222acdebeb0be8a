"""The phases of a run: pretrain (stages 1-2), joint (stage 3) and extended training.

Stages 1-2 do not depend on the sparsification method, so one pretrain checkpoint per
(dataset, seed) feeds both the Top-k and the L1 run (the paper: L1 keeps "an otherwise identical
architecture and training protocol"). Every epoch ends in an atomic checkpoint; a phase resumes
from the last complete epoch and ends exactly where an uninterrupted run ends, because each
epoch's randomness comes from a generator seeded by (run, stage, epoch), not from a global stream.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from artifact.config import RunConfig
from artifact.data import FactorDataset
from artifact.errors import TrainingError
from artifact.io import read_json, write_json
from artifact.model.hybrid import HybridModel, count_parameters
from artifact.train.checkpoint import load_checkpoint, save_checkpoint
from artifact.train.evaluate import evaluate
from artifact.train.revival import RevivalState, bias_boost, neurons_to_reinitialise, reinitialise_
from artifact.train.schedules import beta_schedule, k_schedule, l1_lambda_schedule
from artifact.train.step import StepPlan, make_optimizer, train_step

PHASE_STAGES = {"pretrain": ("stage1", "stage2"), "joint": ("stage3",), "extended": ("extended",)}
PHASE_FILES = {
    "pretrain": ("pretrain.pt", "pretrain.json"),
    "joint": ("joint.pt", "metrics.json"),
    "extended": ("extended.pt", "extended.json"),
}
PARENT_PHASE = {"joint": "pretrain", "extended": "joint"}
REVIVAL_STAGES = ("stage3", "extended")
# What each phase's result does not depend on: a change there must not invalidate its
# checkpoint (DVC reruns only the stages whose params changed; their parents stay valid).
_RUN_SET = {"methods", "seeds"}
PHASE_INDEPENDENT = {
    "pretrain": {"data": {"datasets"}, "train": _RUN_SET | {"stage3", "extended", "revival"}},
    "joint": {"data": {"datasets"}, "train": _RUN_SET | {"extended"}},
    "extended": {"data": {"datasets"}, "train": _RUN_SET},
}


def phase_digest(cfg: RunConfig, phase: str) -> str:
    """Digest of the config values a phase's result depends on."""
    return cfg.digest(exclude=PHASE_INDEPENDENT[phase])


METRICS_SCHEMA = "artifact.run_metrics/1"


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


def phase_paths(out_dir: Path, key: RunKey, phase: str) -> tuple[Path, Path]:
    """(checkpoint, metrics JSON) of a phase of a run."""
    run_dir = Path(out_dir) / "runs" / key.for_phase(phase).name
    checkpoint, metrics = PHASE_FILES[phase]
    return run_dir / checkpoint, run_dir / metrics


def plan_for(stage: str, epoch: int, method: str | None, cfg: RunConfig) -> StepPlan:
    """What the schedules prescribe for `epoch` of `stage` (section 3.3)."""
    train, latent_width = cfg.train, cfg.model.latent_sae_width
    beta_end = train.stage1.beta_end  # stages after 1 keep the annealed end value
    if stage == "stage1":
        return StepPlan(stage, beta_schedule(epoch, train.stage1), None, None, 0.0)
    if stage == "stage2":
        k = train.stage2.k
        return StepPlan(stage, beta_end, k, min(k, latent_width), train.stage2.l1_lambda)
    if method == "l1":
        if stage == "stage3":
            l1_lambda = l1_lambda_schedule(epoch, train.stage3)
        else:
            l1_lambda = train.stage3.l1_lambda_end
        return StepPlan(stage, beta_end, None, None, l1_lambda)
    k = k_schedule(epoch, train.stage3) if stage == "stage3" else train.stage3.k_end
    return StepPlan(stage, beta_end, k, min(k, latent_width), train.stage3.topk_l1_lambda)


def epoch_slots(phase: str, cfg: RunConfig) -> list[tuple[str, int]]:
    """The (stage, epoch) pairs of a phase, in order."""
    n_epochs = {
        "stage1": cfg.train.stage1.n_epochs,
        "stage2": cfg.train.stage2.n_epochs,
        "stage3": cfg.train.stage3.n_epochs,
        "extended": cfg.train.extended.n_epochs,
    }
    return [(stage, epoch) for stage in PHASE_STAGES[phase] for epoch in range(n_epochs[stage])]


def epoch_generator(key: RunKey, stage: str, epoch: int) -> torch.Generator:
    """The only source of randomness of an epoch (batch order, reparameterisation, revival)."""
    digest = hashlib.sha256(f"{key.name}|{stage}|{epoch}".encode()).digest()
    return torch.Generator().manual_seed(int.from_bytes(digest[:8], "little") & (2**63 - 1))


def build_model(key: RunKey, cfg: RunConfig, device: torch.device) -> HybridModel:
    torch.manual_seed(key.seed)  # initial weights depend on the seed alone
    return HybridModel(key.dataset, cfg.model, cfg.train).to(device)


def _stage_parameters(model: HybridModel, stage: str) -> list[torch.nn.Parameter]:
    if stage == "stage1":
        return list(model.vae.parameters())
    if stage == "stage2":
        return model.sae_parameters()
    return list(model.parameters())


def summary_path(metrics_path: Path) -> Path:
    """metrics.json -> metrics_summary.json: what `dvc metrics show` lists for a run."""
    return metrics_path.with_name(f"{metrics_path.stem}_summary.json")


def summary_of(payload: dict) -> dict:
    """The run's end points without its config, provenance and per-epoch history."""
    keep = ("final", "at_k_start", "start")
    return {"run": payload["run"], **{name: payload[name] for name in keep if payload.get(name)}}


def _where(stage: str, epoch: int, key: RunKey) -> str:
    return f"{stage} epoch {epoch} of {key.dataset} {key.method or 'pretrain'} seed {key.seed}"


def _check_finite(numbers: dict, stage: str, epoch: int, key: RunKey) -> None:
    """Stop a diverged run in one sentence; the checkpoint on disk is the last good epoch's."""
    bad = [name for name, value in numbers.items() if value is not None and not math.isfinite(value)]
    if bad:
        raise TrainingError(
            f"{bad[0]} became {numbers[bad[0]]} in {_where(stage, epoch, key)}; "
            "the last good checkpoint was kept."
        )


class PhaseRunner:
    """Runs one phase of one run, checkpointing every epoch; `run()` returns its metrics payload."""

    def __init__(
        self,
        phase: str,
        key: RunKey,
        cfg: RunConfig,
        dataset: FactorDataset,
        splits: Splits,
        out_dir: Path,
        provenance: dict | None = None,
        on_epoch: Callable[[dict], None] | None = None,
    ):
        self.phase, self.key, self.cfg = phase, key.for_phase(phase), cfg
        self.dataset, self.splits, self.out_dir = dataset, splits, Path(out_dir)
        self.provenance, self.on_epoch = provenance or {}, on_epoch
        self.device = dataset.images.device
        self.checkpoint_path, self.metrics_path = phase_paths(out_dir, key, phase)
        self.digest = phase_digest(cfg, phase)

    # -- state ---------------------------------------------------------------------------
    def _start_state(self) -> dict:
        """Model, optimizer and revival state at the phase's first epoch."""
        model = build_model(self.key, self.cfg, self.device)
        state = {
            "model": model,
            "optimizer": None,
            "revival": None,
            "position": 0,
            "history": [],
            "timing_s": {},
            "parent_history": [],
        }
        parent = PARENT_PHASE.get(self.phase)
        if parent is not None:
            parent_path = phase_paths(self.out_dir, self.key, parent)[0]
            payload = load_checkpoint(parent_path, phase_digest(self.cfg, parent))
            model.load_state_dict(payload["model"])
            state["parent_history"] = payload["history"]
            if self.phase == "extended":  # extended training continues stage 3 as it was
                state["optimizer_state"] = payload["optimizer"]
                state["revival"] = RevivalState.from_state_dict(payload["revival"], self.device)
        return state

    def _resume_state(self, payload: dict) -> dict:
        state = self._start_state()
        state["model"].load_state_dict(payload["model"])
        state.update(
            position=payload["position"], history=payload["history"], timing_s=payload["timing_s"]
        )
        state["optimizer_state"] = payload["optimizer"]
        if payload["revival"] is not None:
            state["revival"] = RevivalState.from_state_dict(payload["revival"], self.device)
        return state

    def _save(self, state: dict, complete: bool) -> None:
        optimizer = state["optimizer"]
        save_checkpoint(
            self.checkpoint_path,
            {
                "run": self.key.as_dict(),
                "phase": self.phase,
                "complete": complete,
                "config": json.dumps(self.cfg.model_dump(mode="json")),
                "config_digest": phase_digest(self.cfg, self.phase),
                "position": state["position"],
                "model": state["model"].state_dict(),
                "optimizer": optimizer.state_dict() if optimizer is not None else None,
                "revival": state["revival"].state_dict() if state["revival"] is not None else None,
                "history": state["history"],
                "parent_history": state["parent_history"],
                "timing_s": state["timing_s"],
            },
        )

    # -- the loop ------------------------------------------------------------------------
    def is_complete(self) -> bool:
        if not (self.checkpoint_path.is_file() and self.metrics_path.is_file()):
            return False
        return bool(load_checkpoint(self.checkpoint_path, self.digest).get("complete"))

    def run(self, fresh: bool = False) -> dict:
        if not fresh and self.is_complete():
            return read_json(self.metrics_path, "run metrics")  # completed runs are never redone
        state = self._start_state()
        if not fresh and self.checkpoint_path.is_file():
            state = self._resume_state(load_checkpoint(self.checkpoint_path, self.digest))
        slots = epoch_slots(self.phase, self.cfg)
        first = state["position"]
        for position in range(first, len(slots)):
            stage, epoch = slots[position]
            self._prepare_stage(state, stage, epoch)
            record = self._run_epoch(state, stage, epoch, position)
            state["history"].append(record)
            state["timing_s"][stage] = state["timing_s"].get(stage, 0.0) + record["wall_s"]
            state["position"] = position + 1
            # The last epoch's checkpoint is the phase's output: written once, marked complete.
            self._save(state, complete=position + 1 == len(slots))
            if self.on_epoch is not None:
                self.on_epoch(record)
        if first == len(slots):  # nothing left to train (an empty phase, or killed before the metrics)
            self._save(state, complete=True)
        payload = self._metrics_payload(state)
        # The summary first: metrics.json is what marks the phase complete (is_complete).
        write_json(summary_path(self.metrics_path), summary_of(payload))
        write_json(self.metrics_path, payload)
        return payload

    def _prepare_stage(self, state: dict, stage: str, epoch: int) -> None:
        """A fresh AdamW at the start of stages 1, 2 and 3; extended continues stage 3's."""
        starting = epoch == 0 and stage != "extended"
        if state["optimizer"] is None or starting:
            params = _stage_parameters(state["model"], stage)
            state["optimizer"] = make_optimizer(params, self.cfg.train)
            saved = state.pop("optimizer_state", None)
            if saved is not None and not starting:
                state["optimizer"].load_state_dict(saved)
        if stage in REVIVAL_STAGES and (
            state["revival"] is None or (epoch == 0 and stage == "stage3")
        ):
            state["revival"] = RevivalState.fresh(self.cfg.model.conv_sae_width, self.device)

    def _run_epoch(self, state: dict, stage: str, epoch: int, position: int) -> dict:
        started = time.perf_counter()
        model, optimizer, revival = state["model"], state["optimizer"], state["revival"]
        plan = plan_for(stage, epoch, self.key.method, self.cfg)
        generator = epoch_generator(self.key, stage, epoch)
        if revival is not None:
            model.conv_sae.set_boost_(
                bias_boost(revival.cumulative_fires, revival.epochs_done, self.cfg.train.revival)
            )
        order = self.splits.train[torch.randperm(len(self.splits.train), generator=generator)]
        loss_sum = torch.zeros((), dtype=torch.float64, device=self.device)
        fires = torch.zeros(self.cfg.model.conv_sae_width, dtype=torch.int64, device=self.device)
        model.train()
        for index in order.split(self.cfg.train.batch_size):
            x = self.dataset.float_batch(index.to(self.device))
            noise = None
            if stage != "stage2":
                noise = torch.randn((len(index), self.cfg.model.n_latents), generator=generator).to(
                    self.device
                )
            stats = train_step(model, x, noise, optimizer, plan, self.cfg.train)
            loss_sum += stats.loss.double() * len(index)
            if stats.fire_counts is not None:
                fires += stats.fire_counts
        mean_loss = float(loss_sum / len(order))
        _check_finite({"loss": mean_loss}, stage, epoch, self.key)  # before anything reads the weights
        n_reinitialised = 0
        if revival is not None:
            n_reinitialised = self._revive(model, optimizer, revival, fires, len(order), generator)
        try:
            record = evaluate(
                model,
                self.dataset,
                self.splits.evaluation,
                plan.k,
                self.cfg.metrics,
                self.cfg.train.batch_size,
                with_sae=stage != "stage1",
            )
        except TrainingError as error:  # a metric met NaN codes: say where
            raise TrainingError(
                f"{str(error).rstrip('.')} in {_where(stage, epoch, self.key)}; "
                "the last good checkpoint was kept."
            ) from None
        record = {
            "stage": stage,
            "epoch": epoch,
            "index": position,
            "k": plan.k,
            "l1_lambda": plan.l1_lambda if stage != "stage1" else None,
            "beta": plan.beta,
            "loss": mean_loss,
            "n_reinitialised": n_reinitialised,
            **record,
            "wall_s": time.perf_counter() - started,
        }
        _check_finite({name: record[name] for name in ("mig", "mse", "dead_pct")}, stage, epoch, self.key)
        return record

    def _revive(
        self, model, optimizer, revival: RevivalState, fires, n_samples: int, generator
    ) -> int:
        """Update the revival counters with this epoch's firings; re-initialise if triggered."""
        revival.cumulative_fires += fires
        revival.epoch_fires = fires
        revival.epochs_done += 1
        revival.epochs_inactive = torch.where(fires == 0, revival.epochs_inactive + 1, 0)
        rate = fires.to(torch.float32) / max(1, n_samples)
        threshold = self.cfg.metrics.dead_threshold
        revive = neurons_to_reinitialise(
            revival.epochs_inactive, rate, threshold, self.cfg.train.revival
        )
        n = reinitialise_(model.conv_sae, optimizer, revive, rate >= threshold, generator)
        if n:
            revival.epochs_inactive[revive] = 0
            revival.n_reinitialised += n
        return n

    def _metrics_payload(self, state: dict) -> dict:
        history = state["history"]
        payload = {
            "schema": METRICS_SCHEMA,
            "run": {**self.key.as_dict(), "phase": self.phase},
            "profile": self.cfg.profile,
            "data_source": self.dataset.source,
            "config": self.cfg.model_dump(mode="json"),
            "config_digest": self.cfg.digest(),
            "provenance": self.provenance,
            "n_parameters": count_parameters(state["model"]),
            "epochs": (state["parent_history"] if self.phase == "joint" else []) + history,
            "final": history[-1] if history else None,
            "timing_s": state["timing_s"],
        }
        if self.phase == "joint":
            payload["at_k_start"] = _at_k_start(payload["epochs"], self.cfg)
        if self.phase == "extended":
            payload["start"] = state["parent_history"][-1] if state["parent_history"] else None
        return payload


def _at_k_start(records: list[dict], cfg: RunConfig) -> dict | None:
    """The last evaluation before sparsification: the last stage-3 epoch at k = k_start (Top-k),
    or the end of stage 2 (k = 500 there) for the L1 run."""
    k_start = cfg.train.stage3.k_start
    candidates = [r for r in records if r["stage"] == "stage3" and r["k"] == k_start]
    candidates = candidates or [r for r in records if r["stage"] == "stage2"]
    return candidates[-1] if candidates else None
