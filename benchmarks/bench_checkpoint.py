"""Benchmark: what a checkpoint costs training at the paper's sizes (issue 17), before and after
time-based background saves, projected onto the `slice` profile's schedule.

Measures, on a paper-width model (8,192-neuron conv SAE) with AdamW moments filled:
  old_save_s   the former per-epoch save: torch.save into a BytesIO, then write-fsync-rename
  save_s       save_checkpoint now (torch.save straight into the temp file, fsync, rename)
  copy_s       snapshot(): the state copied to CPU memory, the only part training waits for
  step_s       one joint Top-k step (batch 512), alone and while a background write runs
Overhead = the time training waits for checkpoints / the time of the training steps (evaluation
excluded, so the share is an upper bound). Before: every epoch saved synchronously and the next
phase loaded its parent from disk. After (checkpoint_minutes 10, longer than a slice phase):
each phase end hands its state to the background writer while the next phase trains, which
takes over its parent from memory (an extended phase copies the moments and revival counters).

    python benchmarks/bench_checkpoint.py [--dir /tmp] [--repeats 2] [--json out.json]
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from timing import best_seconds  # noqa: E402  (benchmarks/timing.py; a script's folder is on sys.path)

from artifact.config import load_params, resolve  # noqa: E402
from artifact.env.determinism import configure_host_allocator  # noqa: E402
from artifact.model.hybrid import HybridModel  # noqa: E402
from artifact.storage.atomic import atomic_write  # noqa: E402
from artifact.train import checkpoint  # noqa: E402
from artifact.train.phase_plan import epoch_slots  # noqa: E402
from artifact.train.revival import RevivalState  # noqa: E402
from artifact.train.step import StepPlan, make_optimizer, train_step  # noqa: E402


def _old_save(path: Path, payload: dict) -> None:
    buffer = io.BytesIO()
    torch.save({"format": checkpoint.FORMAT, **payload}, buffer)
    atomic_write(path, lambda handle: handle.write(buffer.getbuffer()))


def measure(directory: Path, repeats: int) -> dict:
    configure_host_allocator()
    cfg = resolve(load_params(ROOT / "params.yaml"), "slice")
    train = cfg.train
    model = HybridModel("dsprites", cfg.model, train)
    optimizer = make_optimizer(list(model.parameters()), train)
    k = train.stage3.k_end
    plan = StepPlan("stage3", 1.0, k, min(k, cfg.model.latent_sae_width), 0.01)
    x = torch.rand(train.batch_size, 1, 64, 64)
    noise = torch.randn(train.batch_size, cfg.model.n_latents)
    step = lambda: train_step(model, x, noise, optimizer, plan, train)  # noqa: E731
    step()  # fills the AdamW moments: the checkpoint has its full size
    payload = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "revival": RevivalState.fresh(cfg.model.conv_sae_width).state_dict(),
        "history": [{"epoch": i, "mig": 0.1} for i in range(100)],
    }
    path = directory / "bench.pt"
    result = {
        "old_save_s": best_seconds(lambda: _old_save(path, payload), repeats),
        "save_s": best_seconds(lambda: checkpoint.save_checkpoint(path, payload), repeats),
        "copy_s": best_seconds(lambda: checkpoint.snapshot(payload), repeats),
        "load_s": best_seconds(lambda: checkpoint.load_checkpoint(path), repeats),
        "checkpoint_mb": path.stat().st_size / 2**20,
        "step_s": best_seconds(step, repeats),
    }
    during = []
    for _ in range(repeats):
        writer = checkpoint.BackgroundWriter()
        writer.submit(path, checkpoint.snapshot(payload))
        during.append(best_seconds(step, 1))
        writer.wait()
    result["step_during_write_s"] = min(during)
    return result | _slice_overhead(cfg, result)


def _slice_overhead(cfg, m: dict) -> dict:
    """The slice schedule of one (dataset, seed) chain: its epochs, phases and steps."""
    methods = cfg.train.methods
    phases = [("pretrain", None)] + [("joint", method) for method in methods]
    phases += [("extended", method) for method in cfg.train.extended.methods]
    epochs = {phase: len(epoch_slots(phase, cfg)) for phase, _ in phases}
    n_epochs = sum(epochs[phase] for phase, _ in phases)
    n_steps = n_epochs * cfg.train.max_batches_per_epoch
    n_children = len(phases) - 1  # phases that start from a parent checkpoint
    train_s = n_steps * m["step_s"]
    before_s = n_epochs * m["old_save_s"] + n_children * m["load_s"]
    slowdown = max(0.0, m["step_during_write_s"] - m["step_s"])
    # After: the phase ends hand their live state to the writer (no copy); an extended phase
    # copies the moments and revival counters it takes over (bounded here by a full copy).
    n_copies = len(cfg.train.extended.methods)
    # The steps that overlap a background write run slower where the writer and training share
    # the cores (2 here; a GPU server has cores to spare): counted apart.
    overlapped_steps = min(n_steps, len(phases) * max(1, round(m["save_s"] / m["step_s"])))
    return {
        "slice_chain": {"phases": len(phases), "epochs": n_epochs, "steps": n_steps,
                        "train_s": train_s},  # fmt: skip
        "overhead_before": before_s / train_s,
        "overhead_after": n_copies * m["copy_s"] / train_s,
        "write_contention_after": overlapped_steps * slowdown / train_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as directory:
        result = measure(Path(directory), args.repeats)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json is not None:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
