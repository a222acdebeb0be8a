"""Preflight: the paper profile refuses a CPU with an estimate; a GPU run is checked for memory
and disk before it starts (the CUDA path is driven here with a stand-in torch.cuda)."""

from __future__ import annotations

import shutil
from collections import namedtuple
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from artifact.config import load_params, resolve
from artifact.env import preflight as pf
from artifact.errors import ExitCode, HardwareError
from artifact.model.hybrid import HybridModel, count_parameters

ROOT = Path(__file__).resolve().parents[2]
PAPER = resolve(load_params(ROOT / "params.yaml"), "paper")
GiB = 2**30


def with_train(cfg, **update):
    return cfg.model_copy(update={"train": cfg.train.model_copy(update=update)})


def test_paper_profile_on_cpu_refuses_with_the_estimate_and_the_smaller_profiles(tmp_path):
    with pytest.raises(HardwareError) as caught:
        pf.preflight("paper", "cpu", tmp_path, PAPER)
    message = str(caught.value)
    assert caught.value.exit_code == ExitCode.HARDWARE
    assert "hours" in message and "--profile laptop" in message and "--profile smoke" in message
    assert message.count(". ") == 0 and message.endswith(".")  # one sentence


@pytest.mark.parametrize("profile", ["cpu", "smoke"])
def test_smaller_profiles_run_on_cpu(tmp_path, profile):
    pf.preflight(profile, "cpu", tmp_path, resolve(load_params(ROOT / "params.yaml"), profile))


def test_paper_estimate_is_the_docstrings_arithmetic():
    """589,824 dSprites and 400,000 Shapes3D training images, 623 s per 512 images per seed,
    3 seeds, plus 240 evaluations of 10,000 samples per (dataset, seed)."""
    train = (589_824 + 400_000) * 623 / 512 * 3
    evaluation = 2 * 3 * 240 * 10_000 * (0.5 + 1.3 / 3) / 512
    assert pf.estimate_cpu_seconds(PAPER, 2) == pytest.approx(train + evaluation)
    assert 40 * 24 < pf.estimate_cpu_seconds(PAPER, 2) / 3600 < 45 * 24  # about six weeks


@settings(max_examples=20, deadline=None)
@given(n_seeds=st.integers(1, 6), n_cores=st.integers(1, 64))
def test_estimate_is_linear_in_seeds_and_inverse_in_cores(n_seeds, n_cores):
    one_seed = pf.estimate_cpu_seconds(with_train(PAPER, seeds=(42,)), 2)
    estimate = pf.estimate_cpu_seconds(with_train(PAPER, seeds=tuple(range(n_seeds))), n_cores)
    assert estimate == pytest.approx(one_seed * n_seeds * 2 / n_cores)


def test_estimate_shrinks_with_the_profile():
    params = load_params(ROOT / "params.yaml")
    paper, cpu, smoke = (
        pf.estimate_cpu_seconds(resolve(params, p)) for p in ("paper", "cpu", "smoke")
    )
    assert paper > cpu > smoke > 0


@pytest.mark.parametrize(
    "model_update",
    [
        {},
        {"sae_decoder_bias": True},
        {"vae_layout": "conv8x8_fc", "conv_channels": (32, 32, 64, 64), "fc_hidden": 256},
    ],
)
def test_parameter_estimate_counts_the_real_model(model_update):
    cfg = resolve(load_params(ROOT / "params.yaml"), "smoke")
    cfg = cfg.model_copy(update={"model": cfg.model.model_copy(update=model_update)})
    model = HybridModel("shapes3d", cfg.model, cfg.train)
    assert pf.estimate_parameters(cfg, "shapes3d") == count_parameters(model)


def test_paper_scale_model_is_the_papers_68_6_million_parameters_order():
    assert 68e6 < pf.estimate_parameters(PAPER) < 70e6


FakeDisk = namedtuple("FakeDisk", "total used free")


@pytest.fixture
def fake_gpu(monkeypatch):
    """torch.cuda as one GPU with a settable amount of free memory."""
    state = {"free": 80 * GiB}
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda index=0: (state["free"], 141 * GiB))
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index=0: "Stand-in GPU")
    return state


def test_gpu_with_room_passes(tmp_path, fake_gpu, monkeypatch):
    monkeypatch.setattr(shutil, "disk_usage", lambda path: FakeDisk(0, 0, 500 * GiB))
    pf.preflight("paper", "cuda", tmp_path, PAPER)


def test_gpu_short_of_memory_refuses_before_the_run(tmp_path, fake_gpu, monkeypatch):
    monkeypatch.setattr(shutil, "disk_usage", lambda path: FakeDisk(0, 0, 500 * GiB))
    fake_gpu["free"] = pf.estimate_gpu_bytes(PAPER) - 1
    with pytest.raises(HardwareError, match=r"GPU 0 \(Stand-in GPU\) has .* GiB free"):
        pf.preflight("paper", "cuda", tmp_path, PAPER)


def test_disk_short_of_the_checkpoints_refuses_before_the_run(tmp_path, fake_gpu, monkeypatch):
    monkeypatch.setattr(shutil, "disk_usage", lambda path: FakeDisk(0, 0, GiB))
    with pytest.raises(HardwareError, match="GiB of checkpoints"):
        pf.preflight("paper", "cuda", tmp_path / "not-yet" / "out", PAPER)


def test_checkpoints_already_written_count_towards_the_disk_need(tmp_path):
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "joint.pt").write_bytes(b"0" * 4096)
    assert pf._bytes_under(tmp_path) == 4096


def test_cuda_requested_without_a_device_refuses(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(HardwareError, match="no CUDA device"):
        pf.preflight("smoke", "cuda", tmp_path, PAPER)


def test_paper_gpu_memory_estimate_fits_the_papers_32_gb_card():
    """The paper trained on an RTX 5090 (32 GB): the estimate must not refuse that card."""
    assert 6 * GiB < pf.estimate_gpu_bytes(PAPER) < 30 * GiB


def test_workers_sharing_one_gpu_need_the_sum_of_their_estimates(tmp_path, fake_gpu, monkeypatch):
    monkeypatch.setattr(shutil, "disk_usage", lambda path: FakeDisk(0, 0, 500 * GiB))
    monkeypatch.setattr(pf, "available_ram_bytes", lambda: 1024 * GiB)  # the host is not the test
    one = pf.estimate_gpu_bytes(PAPER)
    fake_gpu["free"] = 2 * one  # room for two runs on the one GPU, not three
    pf.preflight("paper", "cuda", tmp_path, PAPER, workers=2)
    with pytest.raises(HardwareError, match=r"has .* GiB free but 3 runs of the paper profile need"):
        pf.preflight("paper", "cuda", tmp_path, PAPER, workers=3)
    assert pf.runs_per_gpu(4, 2) == 2 and pf.runs_per_gpu(1, 4) == 1
