"""docker/entrypoint.sh: a host directory the image's user cannot write is one sentence with the
remedy (`docker run --user ...`) and the bad-input exit code, before `artifact` starts.

Runs the script itself (no Docker engine here) as an unprivileged user: as uid 10001 through
`setpriv` when the tests run as root, else as the current user on a read-only directory."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest

from artifact.errors import ExitCode

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "docker" / "entrypoint.sh"
IMAGE_UID = 10001


@pytest.fixture
def box():
    """A world-traversable folder (pytest's tmp dirs are private to their owner) holding the
    script, a stand-in `artifact` that only says it ran, and default data/results dirs."""
    folder = Path(tempfile.mkdtemp(prefix="entrypoint_"))
    folder.chmod(0o755)
    shutil.copy(SCRIPT, folder / "entrypoint.sh")
    bin_dir = folder / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "artifact"
    fake.write_text('#!/usr/bin/env bash\necho "artifact ran: $*"\n')
    for path in (folder / "entrypoint.sh", fake, bin_dir):
        path.chmod(0o755)
    for name in ("data", "results"):
        (folder / name).mkdir(mode=0o777)
        (folder / name).chmod(0o777)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def run(box: Path, *args: str) -> subprocess.CompletedProcess:
    env = {
        "PATH": f"{box / 'bin'}:/usr/bin:/bin",
        "ARTIFACT_DEFAULT_OUT": str(box / "results"),
        "ARTIFACT_DEFAULT_DATA": str(box / "data"),
    }
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: cannot drop to an unprivileged user")
        prefix = [setpriv, f"--reuid={IMAGE_UID}", f"--regid={IMAGE_UID}", "--clear-groups"]
    command = [*prefix, "bash", str(box / "entrypoint.sh"), *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=30)


def host_dir(box: Path, name: str) -> Path:
    """A directory as `mkdir -p` on the host makes it: owned by someone else, mode 755."""
    path = box / name
    path.mkdir()
    mode = stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH
    path.chmod(mode if os.geteuid() == 0 else 0o555)
    return path


def test_an_unwritable_out_is_one_sentence_with_the_remedy_and_exit_2(box):
    results = host_dir(box, "host_results")
    done = run(box, "reproduce", "--profile", "paper", "--out", str(results))
    assert done.returncode == ExitCode.USAGE == 2
    assert done.stdout == "" and len(done.stderr.strip().splitlines()) == 1
    line = done.stderr.strip()
    assert line.startswith("error: ") and str(results) in line
    assert '--user "$(id -u):$(id -g)"' in line and "internal error" not in line


def test_a_missing_out_below_an_unwritable_dir_is_caught_too(box):
    results = host_dir(box, "host_results")
    done = run(box, "reproduce", f"--out={results}/new/run")
    assert done.returncode == 2 and f"{results}/new/run" in done.stderr


def test_an_unwritable_data_dir_stops_fetch_and_reproduce(box):
    data = host_dir(box, "host_data")
    done = run(box, "data", "fetch", "dsprites", "--dir", str(data))
    assert done.returncode == 2 and f"data directory {data}" in done.stderr, done.stderr
    (box / "data").chmod(0o555)  # the image's default data dir (the /data volume)
    done = run(box, "reproduce", "--out", str(box / "results"))
    assert done.returncode == 2 and f"data directory {box / 'data'}" in done.stderr


def test_writable_dirs_and_read_only_commands_go_straight_to_artifact(box):
    done = run(box, "reproduce", "--profile", "paper", "--out", str(box / "results"))
    assert done.returncode == 0 and done.stdout.startswith("artifact ran: reproduce --profile paper")
    host_dir(box, "host_results")  # verify-claims only reads: never refused for it
    done = run(box, "verify-claims", "--metrics", str(box / "host_results"))
    assert done.returncode == 0 and "artifact ran: verify-claims" in done.stdout
