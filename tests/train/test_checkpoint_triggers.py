"""When a phase saves (checkpoint_triggers.py), and how a save overlaps training (checkpoint.py):
by time, on request or signal, from a copy training cannot change, errors handed back."""

from __future__ import annotations

import os
import signal

import pytest
import torch

from artifact.errors import StorageError
from artifact.train import checkpoint
from artifact.train.checkpoint import BackgroundWriter, load_checkpoint, snapshot
from artifact.train.checkpoint_triggers import (
    REQUESTS,
    CheckpointClock,
    Stopped,
    request_checkpoint,
    signals_request_checkpoints,
    stopped,
)


@pytest.fixture(autouse=True)
def _no_pending_requests():
    REQUESTS.save.clear(), REQUESTS.stop.clear()
    yield
    REQUESTS.save.clear(), REQUESTS.stop.clear()


def test_a_save_is_due_once_the_minutes_have_passed_and_the_interval_restarts():
    now = {"t": 100.0}
    clock = CheckpointClock(minutes=2, clock=lambda: now["t"])
    now["t"] += 119.0
    assert not clock.due()
    now["t"] += 1.0
    assert clock.due()
    assert clock.saved() is False  # no stop asked
    assert not clock.due()


def test_a_request_makes_a_save_due_at_once_and_a_stop_request_is_reported_after_it():
    clock = CheckpointClock(minutes=1000)
    request_checkpoint()
    assert clock.due() and clock.saved() is False and not clock.due()
    request_checkpoint(stop=True, reason="SIGTERM")
    assert clock.due() and clock.saved() is True
    error = stopped()
    assert isinstance(error, Stopped) and error.exit_code == 4
    assert str(error).startswith("stopped by SIGTERM after writing the checkpoint")


def test_sigusr1_requests_a_save_and_the_previous_handlers_come_back():
    before = signal.getsignal(signal.SIGUSR1)
    with signals_request_checkpoints():
        os.kill(os.getpid(), signal.SIGUSR1)
        assert REQUESTS.save.is_set() and not REQUESTS.stop.is_set()
    assert signal.getsignal(signal.SIGUSR1) is before


def test_sigterm_asks_to_stop_unless_someone_else_handles_it_then_their_handler_runs():
    with signals_request_checkpoints():
        os.kill(os.getpid(), signal.SIGTERM)
        assert REQUESTS.save.is_set() and REQUESTS.stop.is_set()
    REQUESTS.save.clear(), REQUESTS.stop.clear()
    theirs = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: theirs.append(signum))
    try:
        with signals_request_checkpoints():  # a scheduler's handler (submitit's) was first
            os.kill(os.getpid(), signal.SIGTERM)
            assert REQUESTS.save.is_set() and not REQUESTS.stop.is_set()
        assert theirs == [signal.SIGTERM]
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_a_snapshot_does_not_change_when_training_changes_its_tensors():
    weights = torch.zeros(3)
    payload = {"model": {"w": weights}, "history": [{"loss": 1.0}], "steps": (weights,)}
    copy = snapshot(payload)
    weights += 1.0
    payload["history"].append({"loss": 0.5})
    assert torch.equal(copy["model"]["w"], torch.zeros(3)) and torch.equal(copy["steps"][0], torch.zeros(3))
    assert copy["history"] == [{"loss": 1.0}]


def test_the_background_writer_writes_one_file_at_a_time_atomically(tmp_path):
    writer = BackgroundWriter()
    for value in range(3):
        writer.submit(tmp_path / "a.pt", {"model": {"w": torch.full((4,), float(value))}})
    writer.wait()
    assert torch.equal(load_checkpoint(tmp_path / "a.pt")["model"]["w"], torch.full((4,), 2.0))
    assert [p.name for p in tmp_path.iterdir()] == ["a.pt"]


def test_a_failed_background_write_is_raised_in_the_training_thread(tmp_path, monkeypatch):
    def full_disk(path, payload):
        raise StorageError(f"disk full while writing {path}; the previous file was kept.")

    monkeypatch.setattr(checkpoint, "save_checkpoint", full_disk)
    writer = BackgroundWriter()
    writer.submit(tmp_path / "a.pt", {})
    with pytest.raises(StorageError, match="disk full"):
        writer.wait()
    writer.wait()  # raised once, then clear
