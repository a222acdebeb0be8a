"""The environment record that every metrics file, aggregate and claims report carries.

A number is only checkable years later if it says where it came from: which commit (and whether
the tree had edits), which Python, packages, torch/CUDA/cuDNN build, which GPU or CPU, which
determinism settings, which data (source and checksums), which resolved params (their sha256)
and, inside the container, which image. The paper names its setup in one line (section 3.4:
"PyTorch 2.3, NVIDIA RTX 5090 GPU with TF32 precision"); this record is that line, complete.

Reading the environment is this module's job, so it is the one module below the CLI that reads
environment variables, /proc and git. It records nothing personal: no hostname, user or path.
Facts that cannot change while a process runs (git state, package versions, CPU model, the image
record) are read once per process and cached: `collect_provenance` is called for every run and
must stay well under half a second.
"""

from __future__ import annotations

import functools
import importlib.metadata
import os
import platform
import subprocess
from pathlib import Path

import torch

from artifact.config import RunConfig

SCHEMA = "artifact.provenance/1"
REPO_ROOT = Path(__file__).resolve().parents[2]
# Written by the Dockerfile at build time (key=value lines: base_image, git_commit, lock_sha256).
IMAGE_RECORD = Path("/etc/artifact-image")
# An image cannot contain its own digest: `docker run -e ARTIFACT_IMAGE_DIGEST=...` passes it in
# (docs/container.md shows the command).
IMAGE_DIGEST_ENV = "ARTIFACT_IMAGE_DIGEST"
KEY_PACKAGES = (
    "artifact",
    "torch",
    "numpy",
    "scipy",
    "scikit-learn",
    "h5py",
    "pydantic",
    "typer",
    "pyyaml",
    "matplotlib",
    "dvc",
)
_GIT_TIMEOUT_S = 5


def collect_provenance(
    run_cfg: RunConfig | None = None, data_checksums: dict[str, str] | None = None
) -> dict:
    """The provenance record of a run (`run_cfg`) on the data whose checksums are given.

    JSON-serialisable; a fact that cannot be read here is null, never an exception.
    """
    commit, dirty = git_state()
    image = image_state()
    if commit is None and image is not None:  # inside the image there is no .git: use the build's
        commit, dirty = image.get("git_commit"), image.get("git_dirty")
    return {
        "schema": SCHEMA,
        "git_commit": commit,
        "git_dirty": dirty,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": package_versions(),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None,
        "hardware": hardware(),
        "determinism": determinism_settings(run_cfg),
        "data": {
            "source": run_cfg.data.source if run_cfg is not None else None,
            "checksums": dict(sorted((data_checksums or {}).items())),
        },
        "profile": run_cfg.profile if run_cfg is not None else None,
        "params_digest": run_cfg.digest() if run_cfg is not None else None,
        "image": image,
    }


@functools.cache
def git_state(root: Path = REPO_ROOT) -> tuple[str | None, bool | None]:
    """(commit, dirty) of the checkout holding the code; (None, None) without git or a repo.

    Dirty counts untracked files too (a new module changes the code that ran); ignored outputs
    (results/, data/) do not.
    """
    if not (root / ".git").exists():
        return None, None
    commit = _git(root, "rev-parse", "HEAD")
    if commit is None:
        return None, None
    status = _git(root, "status", "--porcelain")
    return commit, (None if status is None else bool(status))


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            text=True,
            timeout=_GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


@functools.cache
def package_versions() -> dict[str, str | None]:
    """Installed versions of the packages the numbers depend on (the full set is in the lock)."""
    versions: dict[str, str | None] = {}
    for name in KEY_PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def hardware() -> dict:
    """The GPUs (model, memory, driver) when CUDA is available, and the CPU model always."""
    record: dict = {"cpu": cpu_model(), "n_cpus": os.cpu_count(), "gpus": [], "driver": None}
    if torch.cuda.is_available():
        for index in range(torch.cuda.device_count()):
            props = torch.cuda.get_device_properties(index)
            record["gpus"].append(
                {
                    "name": props.name,
                    "memory_gib": round(props.total_memory / 2**30, 1),
                    "capability": f"{props.major}.{props.minor}",
                }
            )
        record["driver"] = nvidia_driver_version()
    return record


@functools.cache
def cpu_model() -> str | None:
    """The CPU's model name from /proc/cpuinfo (Linux), else what `platform` knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


@functools.cache
def nvidia_driver_version(path: Path = Path("/proc/driver/nvidia/version")) -> str | None:
    """The NVIDIA kernel driver's version (e.g. '580.65.06'); torch does not expose it."""
    try:
        first = path.read_text(encoding="utf-8", errors="replace").splitlines()[0]
    except (OSError, IndexError):
        return None
    words = first.split()
    for before, word in zip(words, words[1:], strict=False):
        if before == "Module" and word[:1].isdigit():
            return word
    return next((w for w in words if w[:1].isdigit() and w.count(".") >= 1), None)


def determinism_settings(run_cfg: RunConfig | None = None) -> dict:
    """What governs bit-for-bit repeatability, as torch and the environment have it now.

    The training process sets these (artifact/env/determinism.py) before it records them; the
    paper trains with TF32 on its GPU (section 3.4), which `precision: tf32` turns on there.
    """
    return {
        "seeds": list(run_cfg.train.seeds) if run_cfg is not None else None,
        "precision": run_cfg.train.precision if run_cfg is not None else None,
        "deterministic_algorithms": torch.are_deterministic_algorithms_enabled(),
        "deterministic_warn_only": torch.is_deterministic_algorithms_warn_only_enabled(),
        "tf32_matmul": torch.backends.cuda.matmul.allow_tf32,
        "tf32_cudnn": torch.backends.cudnn.allow_tf32,
        "float32_matmul_precision": torch.get_float32_matmul_precision(),
        "cudnn_deterministic": torch.backends.cudnn.deterministic,
        "cudnn_benchmark": torch.backends.cudnn.benchmark,
        "cublas_workspace_config": os.environ.get("CUBLAS_WORKSPACE_CONFIG"),
        # CPU kernels split reductions by thread: the same seed is bit-identical only at the
        # same thread count (a parallel worker gets cores // workers).
        "torch_threads": torch.get_num_threads(),
    }


def image_state() -> dict | None:
    """The container image: its digest (passed in at `docker run`) and the build's record.

    None outside the container (no record file and no digest variable).
    """
    digest = os.environ.get(IMAGE_DIGEST_ENV) or None
    record = read_image_record()
    if digest is None and record is None:
        return None
    return {"digest": digest, **(record or {})}


@functools.cache
def read_image_record(path: Path = IMAGE_RECORD) -> dict | None:
    """Parse the key=value lines the Dockerfile writes; `git_commit` may end in '-dirty';
    `git_commit_source` says where the commit came from (or why there is none)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    record: dict = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip():
            record[key.strip()] = value.strip() or None
    commit = record.get("git_commit")
    if commit is not None:
        # git_dirty=unknown: the commit came from .git/HEAD, which cannot show uncommitted changes
        unknown = record.get("git_dirty") == "unknown"
        record["git_dirty"] = None if unknown else commit.endswith("-dirty")
        record["git_commit"] = commit.removesuffix("-dirty")
    return record
