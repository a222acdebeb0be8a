"""The one place the training step is chosen: eager, or captured on CUDA (`train.step_capture`).

A joint step is about 300 small kernels, so on a fast GPU it is bound by their launches;
`compile` runs it through torch.compile(mode="reduce-overhead"), which fuses the elementwise
work and replays the step's kernels as CUDA graphs. It is a CUDA option only: on a CPU the
eager step runs whatever the setting (inductor's CPU code would need a compiler on every
machine and gives no launch saving), so CPU metrics never depend on it. The setting is in the
checkpoint digest, as `precision` is: fused kernels round differently from eager ones.

Each k of the stage-3 schedule is a new shape of the Top-k step, so the compile cache keeps
one graph per k (at most `_MAX_GRAPHS`; beyond, torch falls back to eager for new shapes).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import torch

_MAX_GRAPHS = 64  # stage 3 anneals k through at most ~50 values at the paper's schedule


def uses_capture(step_capture: str, device: torch.device) -> bool:
    """Whether the captured step runs: asked for, and on CUDA."""
    return step_capture == "compile" and device.type == "cuda"


@functools.cache
def _compiled(step: Callable) -> Callable:
    import torch._dynamo

    torch._dynamo.config.cache_size_limit = max(torch._dynamo.config.cache_size_limit, _MAX_GRAPHS)
    compiled = torch.compile(step, mode="reduce-overhead", dynamic=False)

    @functools.wraps(step)
    def run(*args, **kwargs):
        # One step is one iteration for the CUDA graphs: the previous step's outputs (its loss,
        # already summed by the caller) may be overwritten from here on.
        torch.compiler.cudagraph_mark_step_begin()
        return compiled(*args, **kwargs)

    return run


def captured_step(step: Callable, cfg, device: torch.device) -> Callable:
    """`step` itself (eager), or its compiled form when `uses_capture` (cfg: the TrainConfig)."""
    if not uses_capture(cfg.step_capture, device):
        return step
    return _compiled(step)
