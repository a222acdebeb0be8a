"""The captured step (train/capture.py): chosen in one place from `train.step_capture`, the
eager step on a CPU whatever the setting, equal to eager on CUDA (skipped without one)."""

from __future__ import annotations

import pytest
import torch

from artifact.train import capture
from artifact.train.step import train_step
from tests.helpers import paper_section


def test_the_eager_step_runs_unless_compile_is_asked_for_on_cuda():
    eager = paper_section("train", step_capture="eager")
    compiled = paper_section("train", step_capture="compile")
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    assert capture.captured_step(train_step, eager, cpu) is train_step
    assert capture.captured_step(train_step, compiled, cpu) is train_step  # CPU: never compiled
    assert capture.captured_step(train_step, eager, cuda) is train_step
    assert capture.uses_capture("compile", cuda) and not capture.uses_capture("compile", cpu)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="the captured step is CUDA only")
def test_the_compiled_step_matches_the_eager_step_on_cuda():
    from artifact.model.hybrid import HybridModel
    from artifact.train.step import StepPlan, make_optimizer
    from tests.helpers import paper_config

    cfg = paper_config("smoke")
    train = cfg.train.model_copy(update={"precision": "fp32"})
    device = torch.device("cuda")
    plan = StepPlan("stage3", 1.0, 8, min(8, cfg.model.latent_sae_width), 0.01)
    losses = {}
    for mode in ("eager", "compile"):
        torch.manual_seed(0)
        model = HybridModel("dsprites", cfg.model, train).to(device)
        optimizer = make_optimizer(list(model.parameters()), train)
        step = capture.captured_step(train_step, train.model_copy(update={"step_capture": mode}), device)
        gen = torch.Generator(device).manual_seed(1)
        x = torch.rand((32, 1, 64, 64), generator=gen, device=device)
        noise = torch.randn((32, cfg.model.n_latents), generator=gen, device=device)
        losses[mode] = torch.stack([step(model, x, noise, optimizer, plan, train).loss.clone()
                                    for _ in range(3)])  # fmt: skip
    torch.testing.assert_close(losses["compile"], losses["eager"], rtol=1e-4, atol=1e-5)
