"""The provenance record: complete, JSON-clean, personal-data-free, fast, and robust to a
machine without git or outside a repository."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from pathlib import Path

import pytest
import torch

from artifact.config import load_params, resolve
from artifact.env import provenance
from artifact.env.provenance import (
    IMAGE_DIGEST_ENV,
    collect_provenance,
    determinism_settings,
    git_state,
    nvidia_driver_version,
    read_image_record,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def run_cfg(tiny_params):
    return resolve(load_params(tiny_params))


def test_record_names_code_environment_data_and_params(run_cfg):
    record = collect_provenance(run_cfg, {"dsprites": "ab" * 32})
    for key in ("git_commit", "git_dirty", "python", "packages", "torch", "cuda", "cudnn",
                "hardware", "determinism", "data", "params_digest", "image"):  # fmt: skip
        assert key in record
    assert record["params_digest"] == run_cfg.digest()
    assert record["data"] == {"source": run_cfg.data.source, "checksums": {"dsprites": "ab" * 32}}
    assert record["torch"] == torch.__version__
    assert record["packages"]["torch"].split("+")[0] == torch.__version__.split("+")[0]
    assert record["hardware"]["cpu"] or record["hardware"]["gpus"]
    assert record["determinism"]["seeds"] == list(run_cfg.train.seeds)
    json.dumps(record, allow_nan=False)  # what metrics files embed


def test_record_holds_no_hostname_or_home_directory(run_cfg):
    text = json.dumps(collect_provenance(run_cfg, {"dsprites": "0" * 64}))
    hostname = socket.gethostname()
    assert f'"{hostname}"' not in text
    if len(hostname) >= 4:
        assert hostname not in text
    assert str(Path.home()) not in text


def test_record_without_a_run_config_still_describes_the_environment():
    record = collect_provenance()
    assert record["params_digest"] is None and record["profile"] is None
    assert record["python"] and record["torch"]


def test_repeated_collection_is_fast(run_cfg):
    collect_provenance(run_cfg)  # first call reads git and package metadata once
    start = time.perf_counter()
    for _ in range(10):
        collect_provenance(run_cfg, {"dsprites": "0" * 64})
    assert (time.perf_counter() - start) / 10 < 0.5


def test_git_state_is_null_outside_a_repository(tmp_path):
    assert git_state(tmp_path) == (None, None)


def test_git_state_is_null_when_git_is_not_installed(tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    assert git_state(tmp_path) == (None, None)


def _git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t", *args],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def test_git_state_reports_the_commit_and_whether_the_tree_was_edited(tmp_path):
    clean, dirty = tmp_path / "clean", tmp_path / "dirty"
    for repo in (clean, dirty):
        repo.mkdir()
        _git(repo, "init", "-q")
        (repo / "a.py").write_text("x = 1\n")
        _git(repo, "add", "a.py")
        _git(repo, "commit", "-q", "-m", "one")
    (dirty / "a.py").write_text("x = 2\n")
    assert git_state(clean) == (_git(clean, "rev-parse", "HEAD"), False)
    assert git_state(dirty) == (_git(dirty, "rev-parse", "HEAD"), True)


def test_image_record_is_parsed_and_a_dirty_build_is_flagged(tmp_path):
    record_file = tmp_path / "artifact-image"
    record_file.write_text(
        "base_image=nvidia/cuda:13.0.1-base-ubuntu24.04@sha256:" + "f" * 64 + "\n"
        "git_commit=" + "a" * 40 + "-dirty\nlock_sha256=" + "b" * 64 + "\n"
    )
    record = read_image_record(record_file)
    assert record["git_commit"] == "a" * 40 and record["git_dirty"] is True
    assert record["lock_sha256"] == "b" * 64
    assert read_image_record(tmp_path / "absent") is None


def test_an_image_built_without_the_commit_arg_says_where_its_commit_came_from(tmp_path):
    from_head = tmp_path / "from_head"
    from_head.write_text(
        "git_commit=" + "c" * 40 + "\ngit_commit_source=.git/HEAD\ngit_dirty=unknown\n"
    )
    record = read_image_record(from_head)
    assert record["git_commit"] == "c" * 40 and record["git_dirty"] is None  # not "clean"
    assert record["git_commit_source"] == ".git/HEAD"
    none = tmp_path / "none"
    none.write_text("git_commit=\ngit_commit_source=none: built without --build-arg\ngit_dirty=\n")
    record = read_image_record(none)
    assert record["git_commit"] is None and record["git_commit_source"].startswith("none: ")


def test_image_digest_passed_at_docker_run_is_recorded(monkeypatch):
    monkeypatch.setenv(IMAGE_DIGEST_ENV, "sha256:" + "c" * 64)
    assert collect_provenance()["image"]["digest"] == "sha256:" + "c" * 64
    monkeypatch.delenv(IMAGE_DIGEST_ENV)
    if not provenance.IMAGE_RECORD.exists():  # outside the container: no image part
        assert collect_provenance()["image"] is None


def test_image_commit_stands_in_when_there_is_no_git_checkout(monkeypatch):
    monkeypatch.setattr(provenance, "git_state", lambda: (None, None))
    monkeypatch.setattr(
        provenance, "read_image_record", lambda: {"git_commit": "d" * 40, "git_dirty": False}
    )
    record = collect_provenance()
    assert (record["git_commit"], record["git_dirty"]) == ("d" * 40, False)


@pytest.mark.parametrize(
    "line",
    [
        "NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.65.06  Sun Jul 27 06:54:38 UTC 2025",
        "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.65.06  Release Build",
    ],
)
def test_driver_version_is_read_from_the_kernel_module_line(tmp_path, line):
    version_file = tmp_path / "version"
    version_file.write_text(line + "\nGCC version:  gcc version 12.2.0\n")
    assert nvidia_driver_version(version_file) == "580.65.06"
    assert nvidia_driver_version(tmp_path / "absent") is None


def test_determinism_settings_follow_torch(run_cfg, monkeypatch):
    before = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    monkeypatch.setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    try:
        torch.use_deterministic_algorithms(True, warn_only=True)
        settings = determinism_settings(run_cfg)
        assert settings["deterministic_algorithms"] is True
        assert settings["cublas_workspace_config"] == ":4096:8"
        assert settings["precision"] == run_cfg.train.precision
        torch.use_deterministic_algorithms(False)
        assert determinism_settings(run_cfg)["deterministic_algorithms"] is False
    finally:
        torch.use_deterministic_algorithms(before, warn_only=warn_only)
