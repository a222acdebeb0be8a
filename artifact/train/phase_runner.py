"""Runs one phase of one run (pretrain = stages 1-2, joint = stage 3, extended), resumably.

Every epoch ends in an atomic checkpoint; a phase resumes from the last complete epoch and ends
exactly where an uninterrupted run ends, because each epoch's randomness comes from a generator
seeded by (run, stage, epoch) (phase_plan.epoch_generator). The epoch itself is
epoch_loop.run_epoch; where the files live is the caller's (experiment/layout.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import torch

from artifact.config import RunConfig
from artifact.data import FactorDataset
from artifact.model.hybrid import HybridModel, count_parameters
from artifact.storage.atomic import read_json, write_json
from artifact.train import epoch_loop
from artifact.train.checkpoint import load_checkpoint, save_checkpoint
from artifact.train.phase_plan import REVIVAL_STAGES, epoch_slots, phase_digest, stage_parameters
from artifact.train.revival import RevivalState
from artifact.train.run_key import PARENT_PHASE, RunKey, Splits
from artifact.train.step import make_optimizer

METRICS_SCHEMA = "artifact.run_metrics/1"


def build_model(key: RunKey, cfg: RunConfig, device: torch.device) -> HybridModel:
    torch.manual_seed(key.seed)  # initial weights depend on the seed alone
    return HybridModel(key.dataset, cfg.model, cfg.train).to(device)


def summary_of(payload: dict) -> dict:
    """The run's end points without its config, provenance and per-epoch history."""
    keep = ("final", "at_k_start", "start")
    return {"run": payload["run"], **{name: payload[name] for name in keep if payload.get(name)}}


class PhaseRunner:
    """Runs one phase of one run, checkpointing every epoch; `run()` returns its metrics payload.

    `paths` is an experiment.layout.PhasePaths: checkpoint, metrics (and its summary) and the
    parent phase's checkpoint.
    """

    def __init__(
        self,
        phase: str,
        key: RunKey,
        cfg: RunConfig,
        dataset: FactorDataset,
        splits: Splits,
        paths,
        provenance: dict | None = None,
        on_epoch: Callable[[dict], None] | None = None,
    ):
        self.phase, self.key, self.cfg = phase, key.for_phase(phase), cfg
        self.dataset, self.splits, self.paths = dataset, splits, paths
        self.provenance, self.on_epoch = provenance or {}, on_epoch
        self.device = dataset.images.device
        self.checkpoint_path, self.metrics_path = Path(paths.checkpoint), Path(paths.metrics)
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
            payload = load_checkpoint(self.paths.parent_checkpoint, phase_digest(self.cfg, parent))
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

    # -- the phase -----------------------------------------------------------------------
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
            record = epoch_loop.run_epoch(
                state, stage, epoch, position, self.key, self.cfg, self.dataset, self.splits
            )
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
        write_json(self.paths.summary, summary_of(payload))
        write_json(self.metrics_path, payload)
        return payload

    def _prepare_stage(self, state: dict, stage: str, epoch: int) -> None:
        """A fresh AdamW at the start of stages 1, 2 and 3; extended continues stage 3's."""
        starting = epoch == 0 and stage != "extended"
        if state["optimizer"] is None or starting:
            params = stage_parameters(state["model"], stage)
            state["optimizer"] = make_optimizer(params, self.cfg.train)
            saved = state.pop("optimizer_state", None)
            if saved is not None and not starting:
                state["optimizer"].load_state_dict(saved)
        if stage in REVIVAL_STAGES and (
            state["revival"] is None or (epoch == 0 and stage == "stage3")
        ):
            state["revival"] = RevivalState.fresh(self.cfg.model.conv_sae_width, self.device)

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
