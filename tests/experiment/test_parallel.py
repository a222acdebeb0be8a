"""`reproduce -j N` (issue 13): workers die with their parent (SIGKILL included), -j never starts
more workers than chains, and a -j the memory cannot hold is refused by the dry run."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from artifact.cli.app import app
from tests.helpers import write_params

runner = CliRunner()
ARTIFACT = [sys.executable, "-m", "artifact.cli.app"]


def children(pid: int) -> set[int]:
    """Direct children of `pid` (from /proc: no psutil)."""
    found = set()
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found |= {int(p) for p in task.read_text().split()}
    return found


def alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in status  # a zombie has ended; only its entry waits for a reaper


def test_sigkill_of_the_parent_ends_its_workers_within_seconds_and_frees_the_locks(tmp_path):
    params = write_params(tmp_path, {
        "train": {"seeds": [42, 43]},
        "profiles": {"smoke": {"epoch_scale": 1.0}},  # long enough to be killed mid-chain
    })  # fmt: skip
    out = tmp_path / "results"
    parent = subprocess.Popen([*ARTIFACT, "reproduce", "--params", str(params), "--profile", "smoke",
                               "--device", "cpu", "-j", "2"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (
            len(list(out.glob("runs/*/.lock"))) >= 2 and len(children(parent.pid)) >= 2
        ):
            time.sleep(0.2)  # a worker locks its run's directory as its first phase starts
        time.sleep(1.0)  # into the first epoch
        workers = children(parent.pid)
        assert len(workers) >= 2, "the workers never started"
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(alive(w) for w in workers):
            time.sleep(0.1)
        assert not any(alive(w) for w in workers), "a worker outlived its parent"
    finally:
        if parent.poll() is None:
            os.killpg(parent.pid, signal.SIGKILL)
    for lock in [out / ".lock", *out.glob("runs/*/.lock")]:  # a resume right after may take them
        with open(lock) as handle:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)


def test_j_starts_no_more_workers_than_chains(tmp_path):
    params = write_params(tmp_path, {"train": {"seeds": [42, 43]}})
    result = runner.invoke(app, ["reproduce", "--params", str(params), "--profile", "smoke",
                                 "--device", "cpu", "-j", "20", "--dry-run"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "2 workers" in result.output and "20 workers" not in result.output


def test_a_j_the_memory_cannot_hold_is_refused_by_the_dry_run(tmp_path, monkeypatch):
    from artifact.env import preflight

    params = write_params(tmp_path, {"train": {"seeds": [42, 43, 44, 45]}})
    one = preflight.estimate_ram_bytes(preflight_cfg(params))
    monkeypatch.setattr(preflight, "available_ram_bytes", lambda: int(2.5 * one))
    result = runner.invoke(app, ["reproduce", "--params", str(params), "--profile", "smoke",
                                 "--device", "cpu", "-j", "4", "--dry-run"])  # fmt: skip
    assert result.exit_code == 5, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "4 workers" in lines[0] and "use -j 2 or fewer" in lines[0]
    ok = runner.invoke(app, ["reproduce", "--params", str(params), "--profile", "smoke",
                             "--device", "cpu", "-j", "2", "--dry-run"])  # fmt: skip
    assert ok.exit_code == 0, ok.output


def preflight_cfg(params):
    from artifact.config import load_params, resolve

    return resolve(load_params(params), "smoke")
