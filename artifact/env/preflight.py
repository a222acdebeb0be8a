"""Refuse, before the first epoch, a run this machine cannot finish (issue 6).

The paper's scale (section 3.4, Table 7: about 14 GPU-hours on an RTX 5090) is weeks of CPU
time, so `--profile paper` without CUDA stops at once with the estimate and the smaller
profiles. With CUDA, free GPU memory and free disk are checked against estimates of what the
run needs, so a short card or a full disk fails now rather than hours in.

CPU time model (seconds per image, measured on this project's 2-core reference machine at
batch 512; noisy, shared cores): conv VAE forward+backward 1.5 s per 512 images; dense conv SAE
(4096 x 8192) step 1.1-1.5 s per 512 (we take 1.3), linear in the dictionary width; a frozen
VAE forward is taken as a third of forward+backward. Per (dataset, seed), with N training
images and the epochs of each stage:

    stage 1          e1 * N * vae_step
    stage 2          e2 * N * (vae_forward + sae_step)
    joint, each method           e3 * N * (vae_step + sae_step)
    extended, each listed method e_ext * N * (vae_step + sae_step)
    evaluation       every epoch, n_eval * (vae_forward + sae_step / 3)

At the paper's values (dSprites N = 589,824, Shapes3D N = 400,000; epochs 30 + 10 + 2 x 50 +
100; 3 seeds) that is 589,824 * 623 s / 512 = 199 hours per dSprites seed and 135 per Shapes3D
seed, about 1,000 hours (six weeks) on 2 cores, scaled down linearly for more cores
(optimistic: the measured throughput already uses both reference cores).
"""

from __future__ import annotations

import math
import os
import shutil
from pathlib import Path

import torch

from artifact.config import RunConfig
from artifact.data.spec import get_spec
from artifact.data.splits import n_train
from artifact.errors import HardwareError

REFERENCE_CORES = 2
REFERENCE_BATCH = 512
VAE_STEP_S = 1.5  # forward + backward + loss, per 512 images
VAE_FORWARD_S = VAE_STEP_S / 3  # frozen VAE (stage 2, evaluation)
SAE_STEP_S = 1.3  # dense conv SAE 4096 x 8192 forward + backward, per 512 images
REFERENCE_SAE_WIDTH = 8192
SMALLER_PROFILES = "`--profile laptop` or `--profile smoke`"
# GPU memory beyond the data, the model state and the activations: CUDA context, cuBLAS and
# cuDNN workspaces, allocator fragmentation.
GPU_OVERHEAD_BYTES = int(1.5 * 2**30)
ACTIVATION_COPIES = 3  # forward value, its gradient, and the allocator's slack
BYTES_PER_PARAMETER_GPU = 16  # fp32 weight, gradient and AdamW's two moments
BYTES_PER_PARAMETER_CHECKPOINT = 12  # weight and AdamW's two moments
DISK_MARGIN = 1.2
# A worker's resident memory before any data: Python, torch and its kernels (measured about
# 300 MB per `-j` worker of the smoke profile; rounded up).
PROCESS_BYTES = 400 * 2**20


def preflight(profile: str, device: str, out_dir: Path, run_cfg: RunConfig, workers: int = 1) -> None:
    """Raise HardwareError (one sentence) if this machine cannot run `run_cfg` on `device`
    with `workers` processes: CPU time (paper profile), RAM and disk everywhere, GPU memory."""
    if device != "cuda" and profile == "paper":
        hours = estimate_cpu_seconds(run_cfg, os.cpu_count() or 1) / 3600
        raise HardwareError(
            f"the paper profile needs a CUDA GPU: on this machine's {os.cpu_count()} CPU "
            f"cores it would take about {hours:,.0f} hours ({hours / 24:,.0f} days), so run "
            f"a smaller profile instead: {SMALLER_PROFILES}."
        )
    check_ram(run_cfg, workers, on_cpu=device != "cuda")
    if device == "cuda":
        check_gpu_memory(run_cfg, workers)
    check_disk(out_dir, run_cfg)


def available_ram_bytes() -> int | None:
    """MemAvailable of /proc/meminfo (Linux), else free pages; None when neither is readable."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def estimate_ram_bytes(run_cfg: RunConfig, on_cpu: bool = True) -> int:
    """Host memory of one worker: the interpreter with torch, the dataset (held in RAM before it
    moves to a GPU), and on a CPU the model, activations and codes as well (estimate_gpu_bytes
    less the CUDA overhead)."""
    on_device = estimate_gpu_bytes(run_cfg) - GPU_OVERHEAD_BYTES
    data = max(
        min(get_spec(n).n_images, run_cfg.data.max_images or math.inf)
        * math.prod(get_spec(n).image_shape)
        for n in run_cfg.data.datasets
    )
    return int(PROCESS_BYTES + (on_device if on_cpu else data))


def check_ram(run_cfg: RunConfig, workers: int, on_cpu: bool = True) -> None:
    """`workers` copies of one worker's memory must fit in the memory available now."""
    free = available_ram_bytes()
    per_worker = estimate_ram_bytes(run_cfg, on_cpu)
    if free is None or per_worker * workers <= free:
        return
    fits = free // per_worker
    remedy = (f"use -j {fits} or fewer" if fits >= 1 and workers > 1
              else "free memory or use a smaller profile (`--profile smoke`)")  # fmt: skip
    raise HardwareError(
        f"{workers} worker{'s' if workers > 1 else ''} of the {run_cfg.profile} profile need "
        f"about {per_worker * workers / 2**30:.1f} GiB of memory but {free / 2**30:.1f} GiB is "
        f"available; {remedy}."
    )


def require_cuda() -> None:
    """Fail with one sentence when CUDA is asked for on a machine where torch sees none."""
    if not torch.cuda.is_available():
        raise HardwareError(
            "--device cuda was asked for but no CUDA device is visible; check `nvidia-smi` and "
            "the `--gpus all` flag, or use --device cpu (for a run, with a smaller profile)."
        )


def runs_per_gpu(workers: int, n_gpus: int) -> int:
    """How many `-j` workers may share one GPU (parallel.py gives job i GPU i mod n_gpus)."""
    return max(1, math.ceil(workers / max(1, n_gpus)))


def check_gpu_memory(run_cfg: RunConfig, workers: int = 1) -> None:
    """Every visible GPU must have free the estimated memory of the runs that may share it:
    one run's estimate per worker placed there (each its own process, CUDA context and
    resident dataset, which may be either dataset: each counted at the larger one's size)."""
    require_cuda()
    n_gpus = torch.cuda.device_count()
    sharing = runs_per_gpu(workers, n_gpus)
    need = sharing * estimate_gpu_bytes(run_cfg)
    runs = f"{sharing} runs of the {run_cfg.profile} profile need" if sharing > 1 else (
        f"the {run_cfg.profile} profile needs")  # fmt: skip
    for index in range(n_gpus):
        free, _total = torch.cuda.mem_get_info(index)
        if free < need:
            name = torch.cuda.get_device_name(index)
            raise HardwareError(
                f"GPU {index} ({name}) has {free / 2**30:.1f} GiB free but {runs} "
                f"about {need / 2**30:.1f} GiB; use fewer workers (-j), stop other GPU "
                f"processes or pick another GPU with CUDA_VISIBLE_DEVICES."
            )


def check_disk(out_dir: Path, run_cfg: RunConfig) -> None:
    """The output directory's disk must hold the run's checkpoints (minus what is there)."""
    need = max(0, estimate_disk_bytes(run_cfg) - _bytes_under(Path(out_dir)))
    free = shutil.disk_usage(_existing_parent(Path(out_dir))).free
    if free < need:
        raise HardwareError(
            f"{out_dir} has {free / 2**30:.1f} GiB free but the {run_cfg.profile} profile "
            f"writes about {need / 2**30:.1f} GiB of checkpoints; free space or pass another --out."
        )


def estimate_cpu_seconds(run_cfg: RunConfig, n_cores: int = REFERENCE_CORES) -> float:
    """Training and evaluation time of the whole run on `n_cores` CPU cores (module docstring);
    more cores than the reference's are assumed to speed it up linearly, which is optimistic."""
    train = run_cfg.train
    width = run_cfg.model.conv_sae_width / REFERENCE_SAE_WIDTH
    sae = SAE_STEP_S * width
    joint = VAE_STEP_S + sae
    extended = [m for m in train.methods if m in train.extended.methods]
    n_epochs = (
        train.stage1.n_epochs
        + train.stage2.n_epochs
        + train.stage3.n_epochs * len(train.methods)
        + train.extended.n_epochs * len(extended)
    )
    per_seed = 0.0  # in "seconds per 512 images" x images
    for name in run_cfg.data.datasets:
        images = n_train_images(name, run_cfg)
        if train.max_batches_per_epoch is not None:  # the `slice` profile: a few batches an epoch
            images = min(images, train.max_batches_per_epoch * train.batch_size)
        per_seed += images * (
            train.stage1.n_epochs * VAE_STEP_S
            + train.stage2.n_epochs * (VAE_FORWARD_S + sae)
            + train.stage3.n_epochs * len(train.methods) * joint
            + train.extended.n_epochs * len(extended) * joint
        )
        per_seed += n_epochs * run_cfg.data.n_eval_samples * (VAE_FORWARD_S + sae / 3)
    seconds = per_seed / REFERENCE_BATCH * len(train.seeds)
    return seconds * REFERENCE_CORES / max(1, n_cores)


def n_train_images(name: str, run_cfg: RunConfig) -> int:
    """Training images of a dataset under the run's profile (its `max_images` cap applied)."""
    total = get_spec(name).n_images
    if run_cfg.data.max_images is not None:
        total = min(total, run_cfg.data.max_images)
    return n_train(total, name, run_cfg.data)


def estimate_parameters(run_cfg: RunConfig, dataset: str = "shapes3d") -> int:
    """Trainable parameters: the VAE counted exactly (built on the meta device, no memory), the
    two SAEs as encoder and decoder matrices plus biases (tied: one matrix; b_d only with
    `model.sae_decoder_bias`)."""
    from artifact.model.hybrid import IN_CHANNELS, count_parameters
    from artifact.model.vae import ConvVAE

    with torch.device("meta"):
        vae = count_parameters(ConvVAE(IN_CHANNELS[dataset], run_cfg.model))
    model = run_cfg.model
    matrices = 1 if model.sae_tied else 2
    saes = sum(
        matrices * d * w + w + (d if model.sae_decoder_bias else 0)
        for d, w in (
            (model.conv_feature_dim, model.conv_sae_width),
            (model.n_latents, model.latent_sae_width),
        )
    )
    return vae + saes


def estimate_gpu_bytes(run_cfg: RunConfig) -> int:
    """Peak GPU memory of one run: the largest dataset resident as uint8 (one at a time), the
    model with gradients and AdamW state, a batch's activations, and the CUDA overhead."""
    data = max(
        min(get_spec(n).n_images, run_cfg.data.max_images or math.inf)
        * math.prod(get_spec(n).image_shape)
        for n in run_cfg.data.datasets
    )
    state = estimate_parameters(run_cfg) * BYTES_PER_PARAMETER_GPU
    channels = run_cfg.model.conv_channels
    from artifact.model.vae import encoder_map_sides

    sides = encoder_map_sides(run_cfg.model)
    conv_maps = sum(c * side * side for c, side in zip(channels, sides, strict=True))
    per_image = 2 * conv_maps + 3 * 64 * 64 + run_cfg.model.conv_feature_dim * 2
    per_image += 4 * run_cfg.model.conv_sae_width  # pre-activations, codes, mask, gradient
    activations = ACTIVATION_COPIES * 4 * per_image * run_cfg.train.batch_size
    # The evaluation keeps every sample's codes for the MI and neuron metrics.
    codes = (
        4
        * run_cfg.data.n_eval_samples
        * (run_cfg.model.conv_sae_width + 2 * run_cfg.model.n_latents)
    )
    return int(data + state + activations + codes + GPU_OVERHEAD_BYTES)


def estimate_disk_bytes(run_cfg: RunConfig) -> int:
    """Checkpoints of the whole run (pretrain, joint per method, extended per listed method, for
    every dataset and seed), one extra for the atomic write's temp copy, with a 20% margin."""
    train = run_cfg.train
    per_seed = (
        1 + len(train.methods) + len([m for m in train.methods if m in train.extended.methods])
    )
    n_checkpoints = per_seed * len(train.seeds) * len(run_cfg.data.datasets) + 1
    size = estimate_parameters(run_cfg) * BYTES_PER_PARAMETER_CHECKPOINT
    return int(n_checkpoints * size * DISK_MARGIN)


def _existing_parent(path: Path) -> Path:
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _bytes_under(path: Path) -> int:
    if not path.is_dir():
        return 0
    return sum(f.stat().st_size for f in path.rglob("*.pt") if f.is_file())
