"""Test helper (not a test): run one (dataset, seed) chain, optionally SIGKILL-ing the process
at a chosen point, so tests can check that a resumed run ends where an uninterrupted run ends.

usage: python tests/fault_driver.py PARAMS [STAGE EPOCH WHERE]
WHERE term sends SIGTERM instead (at the second step): the run should save and stop with exit
code 4, the one sentence on stderr, as `artifact` would.
WHERE: step (inside the training loop), evaluate (during evaluation), save (after the
checkpoint's temp file is written, before the rename; for a checkpoint submitted during that
epoch, whichever thread writes it).
"""

from __future__ import annotations

import os
import signal
import sys

import torch

from artifact.config import load_params, resolve
from artifact.errors import ArtifactError
from artifact.experiment.reproduce import run_chain
from artifact.storage import atomic as artifact_io
from artifact.train import checkpoint, epoch_loop


def _die() -> None:
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def install_kill(stage: str, epoch: int, where: str) -> None:
    current = {}
    original_run_epoch = epoch_loop.run_epoch

    def run_epoch(state, stage_, epoch_, *args):
        current["at"] = (stage_, epoch_)
        return original_run_epoch(state, stage_, epoch_, *args)

    def armed() -> bool:
        return current.get("at") == (stage, epoch)

    original_evaluate, original_step, original_replace = epoch_loop.evaluate, epoch_loop.train_step, artifact_io.os.replace
    calls = {"step": 0}
    original_submit = checkpoint.BackgroundWriter.submit
    writing = {"armed": False}  # was the write in flight submitted during the chosen epoch?

    def submit(self, path, payload, **kwargs):
        self.wait()  # the previous write is done: what is written next is this one
        writing["armed"] = armed()
        return original_submit(self, path, payload, **kwargs)

    def evaluate(*args, **kwargs):
        if where == "evaluate" and armed():
            _die()
        return original_evaluate(*args, **kwargs)

    def train_step(*args, **kwargs):
        if where in ("step", "term") and armed():
            calls["step"] += 1
            if calls["step"] == 2 and where == "step":
                _die()
            if calls["step"] == 2 and where == "term":
                os.kill(os.getpid(), signal.SIGTERM)  # handled: a save at the next step, then stop
        return original_step(*args, **kwargs)

    def replace(src, dst):
        if where == "save" and writing["armed"] and str(dst).endswith(".pt"):
            _die()
        return original_replace(src, dst)

    epoch_loop.run_epoch = run_epoch
    epoch_loop.evaluate, epoch_loop.train_step = evaluate, train_step
    checkpoint.BackgroundWriter.submit = submit
    artifact_io.os.replace = replace


def main(argv: list[str]) -> None:
    cfg = resolve(load_params(argv[0]))
    if len(argv) == 4:
        install_kill(argv[1], int(argv[2]), argv[3])
    try:
        for dataset in cfg.data.datasets:
            for seed in cfg.train.seeds:
                run_chain(cfg, dataset, seed, torch.device("cpu"))
    except ArtifactError as error:  # as the CLI ends: one sentence, the error's exit code
        print(error, file=sys.stderr)
        sys.exit(error.exit_code)


if __name__ == "__main__":
    main(sys.argv[1:])
