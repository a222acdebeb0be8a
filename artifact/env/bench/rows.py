"""The rows of `artifact bench`: each is one function that builds a step and counts its useful FLOPs.

To add a row: write `def _my_row(cfg, device) -> Setup` and append `Row("name", _my_row,
requires=("module:attr", ...))` to ROWS; the harness (bench.py) does the timing and memory.

Useful FLOPs (products only; elementwise work, top-k and the optimizer are not counted):
  matmul                 2 B d m
  SAE step, L1           2 B d m (5 + g): encode, decode, 3 backward products, + g = 1 for dh
  SAE step, Top-k        2 B d m + 2 B k d (4 + g): the encoder's forward product is dense; the
                         decode and each backward product need the k active atoms only. The dense
                         path is counted the same: its extra products multiply zeros.
  VAE                    FlopCounterMode on the VAE's forward and backward (convs and linears)
  joint step             VAE + conv SAE (g = 1 when SAE gradients reach the encoder) + latent SAE
  evaluation             VAE forward + SAE forward (2 n d m + 2 n k d) on n samples; the metrics
                         (MI of every neuron, MIG) are timed but not counted
  data_batch             no FLOPs; its time is also given as a share of the joint step's
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch.utils.flop_counter import FlopCounterMode

from artifact.config import RunConfig
from artifact.model.sae import SparseAutoencoder
from artifact.train.losses import sae_loss
from artifact.train.step import make_optimizer

BENCH_DATASET = "shapes3d"  # 3 channels: the costlier of the two datasets


@dataclass
class Setup:
    """A built row: `step()` runs one step; `flops` and `images` are per step."""

    step: Callable[[], object]
    flops: float
    images: int
    extra: dict = field(default_factory=dict)  # more fields for the row's JSON


@dataclass(frozen=True)
class Row:
    name: str
    build: Callable[[RunConfig, torch.device], Setup]
    requires: tuple[str, ...] = ()  # "module:attribute" the row needs (the lead's modules)
    warmup: int = 1
    repeats: int = 2

    def missing(self) -> str | None:
        """Why the row cannot run yet, or None."""
        for need in self.requires:
            module, _, attr = need.partition(":")
            if importlib.util.find_spec(module) is None:
                return f"{module} does not exist yet"
            if attr and not hasattr(importlib.import_module(module), attr):
                return f"{module}.{attr} does not exist yet"
        return None


def matmul_operands(cfg: RunConfig, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """(B x d) and (d x m): the conv SAE encoder's product at cfg's sizes."""
    batch, d_in, width = cfg.train.batch_size, cfg.model.conv_feature_dim, cfg.model.conv_sae_width
    return torch.randn(batch, d_in, device=device), torch.randn(d_in, width, device=device)


def sae_step_flops(batch: int, d_in: int, width: int, k: int | None, input_grad: bool) -> float:
    """Useful FLOPs of one SAE step (module docstring)."""
    g = 1 if input_grad else 0
    if k is None:
        return 2.0 * batch * d_in * width * (5 + g)
    return 2.0 * batch * d_in * width + 2.0 * batch * min(k, width) * d_in * (4 + g)


def _sae_row(k_of: Callable[[RunConfig], int | None], fast_topk: str):
    """An SAE step on fixed features (stage 2: VAE frozen): forward, loss, backward, clip, step."""

    def build(cfg: RunConfig, device: torch.device) -> Setup:
        batch, d_in, width = (
            cfg.train.batch_size,
            cfg.model.conv_feature_dim,
            cfg.model.conv_sae_width,
        )
        k = k_of(cfg)
        sae = SparseAutoencoder(d_in, width, tied=cfg.model.sae_tied, fast_topk=fast_topk).to(
            device
        )
        params = list(sae.parameters())
        optimizer = make_optimizer(params, cfg.train)
        h = torch.randn(batch, d_in, device=device)

        def step():
            out = sae(h, k)
            loss = sae_loss(h, out.h_hat, out.l1, cfg.train.stage2.l1_lambda)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, cfg.train.grad_clip_norm)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)

        return Setup(step, sae_step_flops(batch, d_in, width, k, input_grad=False), batch)

    return build


def _k_start(cfg: RunConfig) -> int:
    return cfg.train.stage3.k_start


def _k_end(cfg: RunConfig) -> int:
    return cfg.train.stage3.k_end


def _vae_flops(vae: torch.nn.Module, channels: int, backward: bool, device: torch.device) -> float:
    """FLOPs of the VAE per image: counted on a batch of 2 (FLOPs are linear in the batch)."""
    x = torch.rand(2, channels, 64, 64, device=device)
    with FlopCounterMode(display=False) as counter:
        out = vae(x, None)
        if backward:
            (out.logits.sum() + out.mu.sum() + out.h.sum()).backward()
    vae.zero_grad(set_to_none=True)
    return counter.get_total_flops() / 2


def _hybrid_row(stage: str, method: str | None):
    """A training step of the whole hybrid model through the lead's train_step."""

    def build(cfg: RunConfig, device: torch.device) -> Setup:
        from artifact.model.hybrid import IN_CHANNELS, HybridModel
        from artifact.train.step import StepPlan, train_step

        batch, train = cfg.train.batch_size, cfg.train
        channels = IN_CHANNELS[BENCH_DATASET]
        model = HybridModel(BENCH_DATASET, cfg.model, train).to(device)
        flops = _vae_flops(model.vae, channels, True, device) * batch
        if stage == "stage1":
            plan = StepPlan(stage, 1.0, None, None, 0.0)
            params = list(model.vae.parameters())
        else:
            k = None if method == "l1" else train.stage3.k_end
            latent_k = None if k is None else min(k, cfg.model.latent_sae_width)
            lam = train.stage3.l1_lambda_end if method == "l1" else train.stage3.topk_l1_lambda
            plan = StepPlan(stage, train.stage1.beta_end, k, latent_k, lam)
            params = list(model.parameters())
            grad = train.stage3.sae_grad_to_encoder
            flops += sae_step_flops(
                batch, cfg.model.conv_feature_dim, cfg.model.conv_sae_width, k, grad
            )
            flops += sae_step_flops(
                batch, cfg.model.n_latents, cfg.model.latent_sae_width, latent_k, grad
            )
        optimizer = make_optimizer(params, train)
        x = torch.rand(batch, channels, 64, 64, device=device)
        noise = torch.randn(batch, cfg.model.n_latents, device=device)
        return Setup(lambda: train_step(model, x, noise, optimizer, plan, train), flops, batch)

    return build


def _synthetic_dataset(n_images: int, device: torch.device):
    """A Shapes3D-shaped FactorDataset of random uint8 images: what the training loop indexes."""
    from artifact.data import FactorDataset
    from artifact.data.spec import get_spec

    spec = get_spec(BENCH_DATASET)
    gen = torch.Generator().manual_seed(0)
    images = torch.randint(
        0, 256, (n_images, 64, 64, spec.n_channels), generator=gen, dtype=torch.uint8
    )
    sizes = torch.tensor(spec.factor_sizes)
    factors = (torch.rand(n_images, len(sizes), generator=gen) * sizes).long()
    dataset = FactorDataset(
        BENCH_DATASET, images, factors, spec.factor_names, spec.factor_sizes, "procedural", None
    )
    return dataset.to(device)


def _data_batch(cfg: RunConfig, device: torch.device) -> Setup:
    """One training batch as the loop draws it: uint8 images in memory, gathered by index, to float."""
    batch = cfg.train.batch_size
    dataset = _synthetic_dataset(min(20_000, 40 * batch), device)
    index = torch.randperm(len(dataset), device=device)[:batch]
    return Setup(lambda: dataset.float_batch(index), 0.0, batch, {"share_of": "joint_topk50"})


def _evaluation(cfg: RunConfig, device: torch.device, with_readings: bool = False) -> Setup:
    """Every metric on n_eval_samples (10,000 at paper scale) at k_end: one evaluation, of the
    registered reading alone (most epochs) or with every configured reading (a phase's last
    epoch and at_k_start: train/phase_plan.readings_due)."""
    from artifact.model.hybrid import HybridModel
    from artifact.train.evaluation import evaluate

    n, batch, k = cfg.data.n_eval_samples, cfg.train.batch_size, cfg.train.stage3.k_end
    dataset = _synthetic_dataset(n, device)
    model = HybridModel(BENCH_DATASET, cfg.model, cfg.train).to(device)
    eval_idx = torch.arange(n, device=device)
    d_in, width = cfg.model.conv_feature_dim, cfg.model.conv_sae_width
    flops = n * (_vae_flops(model.vae, dataset.images.shape[-1], False, device))
    flops += 2.0 * n * d_in * width + 2.0 * n * min(k, width) * d_in

    def step():
        return evaluate(model, dataset, eval_idx, k, cfg.metrics, batch, with_sae=True,
                        with_readings=with_readings)  # fmt: skip

    return Setup(step, flops, n)


_LEAD = ("artifact.model.hybrid:HybridModel", "artifact.train.step:train_step")
_DATA = ("artifact.data:FactorDataset",)
_EVAL = _LEAD + _DATA + ("artifact.train.evaluation:evaluate",)

ROWS: list[Row] = [
    Row("sae_topk500_sparse", _sae_row(_k_start, "sparse")),
    Row("sae_topk500_dense", _sae_row(_k_start, "dense")),
    Row("sae_topk50_sparse", _sae_row(_k_end, "sparse")),
    Row("sae_topk50_dense", _sae_row(_k_end, "dense")),
    Row("sae_l1", _sae_row(lambda cfg: None, "dense")),
    Row("vae_step", _hybrid_row("stage1", None), requires=_LEAD),
    Row("joint_topk50", _hybrid_row("stage3", "topk"), requires=_LEAD),
    Row("joint_l1", _hybrid_row("stage3", "l1"), requires=_LEAD),
    Row("evaluation", _evaluation, requires=_EVAL, warmup=0, repeats=1),
    Row("evaluation_readings", functools.partial(_evaluation, with_readings=True),
        requires=_EVAL, warmup=0, repeats=1),  # fmt: skip
    Row("data_batch", _data_batch, requires=_DATA, repeats=5),
]
