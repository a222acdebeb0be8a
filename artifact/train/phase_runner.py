"""Runs one phase of one run (pretrain = stages 1-2, joint = stage 3, extended), resumably.

A phase saves an atomic checkpoint at most every `train.checkpoint_minutes`, at its end, and
when a signal asks (checkpoint_triggers.py), at a step boundary: between epochs, or inside one
with the batch loop's progress. Saves before the end are written from a CPU copy in a thread
while training goes on (checkpoint.py). A phase resumes from any checkpoint and ends exactly
where an uninterrupted run ends, because each epoch's randomness comes from a generator seeded
by (run, stage, epoch) (phase_plan.epoch_generator) and a checkpoint inside an epoch holds its
generators' states. The epoch itself is epoch_loop.run_epoch; where the files live is the
caller's (experiment/layout.py).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import torch

from artifact.config import RunConfig
from artifact.data import FactorDataset
from artifact.model.hybrid import HybridModel, count_parameters
from artifact.storage.atomic import read_json, write_json
from artifact.train import epoch_loop
from artifact.train.checkpoint import (
    WRITER,
    CorruptCheckpoint,
    load_checkpoint,
    load_latest,
    snapshot,
)
from artifact.train.checkpoint_triggers import CheckpointClock, signals_request_checkpoints, stopped
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
    """Runs one phase of one run, checkpointing by time; `run()` returns its metrics payload.

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
        self.clock = CheckpointClock(cfg.train.checkpoint_minutes)

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
            payload = load_latest(self.paths.parent_checkpoint, phase_digest(self.cfg, parent))
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
        if payload.get("progress") is not None:  # saved inside an epoch: epoch_loop continues it
            state["progress"] = payload["progress"]
        if payload["revival"] is not None:
            state["revival"] = RevivalState.from_state_dict(payload["revival"], self.device)
        return state

    def _payload(self, state: dict, complete: bool, progress: dict | None) -> dict:
        optimizer = state["optimizer"]
        return {
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
            "progress": progress,
        }

    def save_between_steps(self, state: dict, progress: dict | None = None) -> None:
        """A checkpoint at a step boundary, `progress` the batch loop's inside an epoch: copied
        to CPU memory now, written in the background; on a stop request, written, then stop."""
        WRITER.submit(self.checkpoint_path, snapshot(self._payload(state, False, progress)))
        if self.clock.saved():
            WRITER.wait()
            raise stopped()

    def checkpoint_due(self) -> bool:
        return self.clock.due()

    # -- the phase -----------------------------------------------------------------------
    def is_complete(self) -> bool:
        WRITER.wait()  # this process may still be writing it
        if not (self.checkpoint_path.is_file() and self.metrics_path.is_file()):
            return False
        try:
            return bool(load_checkpoint(self.checkpoint_path, self.digest).get("complete"))
        except CorruptCheckpoint:
            # metrics.json is written only after the phase's complete checkpoint, so the phase's
            # results stand; the checkpoint is redone only if a later phase must start from it
            # (experiment/phase.py).
            return self._metrics_are_this_phases()

    def _metrics_are_this_phases(self) -> bool:
        """Whether the metrics file on disk was made with this phase's config."""
        try:
            recorded = RunConfig.model_validate(read_json(self.metrics_path, "run metrics")["config"])
        except Exception:  # unreadable or not a record of a RunConfig: the phase is redone
            return False
        return phase_digest(recorded, self.phase) == self.digest

    def _saved_state(self) -> dict | None:
        """The state of this phase's checkpoint; None, with a note, when it is damaged (the
        phase then starts again from its beginning, and no other phase is redone)."""
        try:
            payload = load_checkpoint(self.checkpoint_path, self.digest)
        except CorruptCheckpoint as error:
            print(f"artifact: {error.path} is truncated or corrupt; redoing the {self.phase} phase "
                  f"of {self.key.name} from its start.", file=sys.stderr, flush=True)  # fmt: skip
            return None
        return self._resume_state(payload)

    def run(self, fresh: bool = False, finish_in_background: bool = False) -> dict:
        """Train what is left of the phase; its checkpoint, summary and metrics are on disk
        when this returns, or with `finish_in_background` are being written by checkpoint.WRITER
        (the next phase can start; checkpoint.flush_checkpoints() waits for them)."""
        if not fresh and self.is_complete():
            return read_json(self.metrics_path, "run metrics")  # completed runs are never redone
        state = self._start_state()
        if not fresh and self.checkpoint_path.is_file():
            state = self._saved_state() or state
        with signals_request_checkpoints():
            try:
                self._train(state)
            except BaseException:  # even SystemExit: the write in flight lands before the exit
                WRITER.wait()
                raise
        payload = self._metrics_payload(state)
        end = self._payload(state, True, None)  # the phase's output, marked complete
        results = snapshot(payload) if finish_in_background else payload

        def write_results() -> None:
            # The summary first: metrics.json is what marks the phase complete (is_complete).
            write_json(self.paths.summary, summary_of(results))
            write_json(self.metrics_path, results)

        if finish_in_background:  # no copy: this phase's tensors change no more once it returns
            WRITER.submit(self.checkpoint_path, end, then=write_results, keep=True)
        else:
            WRITER.submit(self.checkpoint_path, end, then=write_results)
            WRITER.wait()
        if self.clock.saved():  # asked to stop: the phase is complete once its files are written
            WRITER.wait()
            raise stopped()
        return payload

    def _train(self, state: dict) -> None:
        slots = epoch_slots(self.phase, self.cfg)
        for position in range(state["position"], len(slots)):
            stage, epoch = slots[position]
            self._prepare_stage(state, stage, epoch)
            record = epoch_loop.run_epoch(
                state, stage, epoch, position, self.key, self.cfg, self.dataset, self.splits, self
            )
            state["history"].append(record)
            state["timing_s"][stage] = state["timing_s"].get(stage, 0.0) + record["wall_s"]
            state["position"] = position + 1
            if position + 1 < len(slots) and self.checkpoint_due():  # the last: run() saves it
                self.save_between_steps(state)
            if self.on_epoch is not None:
                self.on_epoch(record)

    def _prepare_stage(self, state: dict, stage: str, epoch: int) -> None:
        """A fresh AdamW at the start of stages 1, 2 and 3; extended continues stage 3's.
        A resume inside an epoch (its progress saved) continues that epoch's optimizer and revival."""
        starting = epoch == 0 and stage != "extended" and "progress" not in state
        if state["optimizer"] is None or starting:
            params = stage_parameters(state["model"], stage)
            state["optimizer"] = make_optimizer(params, self.cfg.train)
            saved = state.pop("optimizer_state", None)
            if saved is not None and not starting:
                state["optimizer"].load_state_dict(saved)
        if stage in REVIVAL_STAGES and (
            state["revival"] is None or (starting and stage == "stage3")
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
