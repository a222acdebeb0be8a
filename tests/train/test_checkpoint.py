"""Checkpoints and atomic writes: a failed write keeps the previous file; bad files are refused
with one sentence; nothing is unpickled."""

from __future__ import annotations

import errno
import os

import pytest
import torch

from artifact.errors import InputError, StorageError
from artifact.storage import atomic as artifact_io
from artifact.storage.atomic import read_json, write_json
from artifact.train.checkpoint import load_checkpoint, save_checkpoint


class Gadget:  # an arbitrary class: must never be rebuilt from a checkpoint
    pass


def test_checkpoint_round_trips_tensors_and_metadata(tmp_path):
    path = save_checkpoint(tmp_path / "a.pt", {"config_digest": "d1", "model": {"w": torch.arange(3.0)}})
    payload = load_checkpoint(path, expected_digest="d1")
    assert torch.equal(payload["model"]["w"], torch.arange(3.0))


def test_checkpoint_from_other_params_is_refused(tmp_path):
    path = save_checkpoint(tmp_path / "a.pt", {"config_digest": "d1", "config": '{"profile": "smoke"}'})
    with pytest.raises(InputError, match="made with other params"):
        load_checkpoint(path, expected_digest="d2")


@pytest.mark.parametrize("damage", ["truncate", "garbage"])
def test_truncated_or_corrupt_checkpoint_is_one_sentence(tmp_path, damage):
    path = save_checkpoint(tmp_path / "a.pt", {"model": {"w": torch.zeros(1000)}})
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2] if damage == "truncate" else os.urandom(len(data)))
    with pytest.raises(InputError, match="truncated or corrupt"):
        load_checkpoint(path)


def test_checkpoint_holding_arbitrary_objects_is_not_unpickled(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"format": "artifact.checkpoint/1", "gadget": Gadget()}, path)
    with pytest.raises(InputError):
        load_checkpoint(path)


def test_disk_full_while_writing_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    path = save_checkpoint(tmp_path / "a.pt", {"model": {"w": torch.ones(4)}})
    before = path.read_bytes()

    def full_disk(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(artifact_io.os, "fsync", full_disk)
    with pytest.raises(StorageError, match="disk full"):
        save_checkpoint(path, {"model": {"w": torch.zeros(4)}})
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["a.pt"]  # no temp file left behind


def test_malformed_json_is_one_sentence(tmp_path):
    (tmp_path / "m.json").write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        read_json(tmp_path / "m.json", "run metrics")
    with pytest.raises(InputError, match="missing"):
        read_json(tmp_path / "absent.json", "run metrics")


def test_json_refuses_nan_instead_of_writing_invalid_json(tmp_path):
    with pytest.raises(ValueError):
        write_json(tmp_path / "m.json", {"x": float("nan")})
    assert not (tmp_path / "m.json").exists()
