"""The data stage and what training reads: prepared dirs, staleness, splits, evaluation sample,
and per-batch float conversion."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from artifact.data import FactorDataset, eval_indices, load_dataset, prepare_dataset, split_indices
from artifact.data.prepare import IMAGES, MANIFEST, prepared_dir
from artifact.data.procedural import render_images
from artifact.data.spec import DSPRITES, Pin, grid_factors, grid_subset, official_path
from artifact.errors import ChecksumError, DataError
from tests.helpers import paper_section
from tests.helpers.official_files import (
    install_small_spec,
    md5_of,
    write_dsprites_npz,
    write_shapes3d_h5,
)

SMOKE = paper_section("data", max_images=300, source="procedural")  # auto at paper: official


def test_procedural_prepare_renders_the_seeded_subset_and_load_reads_it_back(tmp_path):
    folder = prepare_dataset("dsprites", SMOKE, tmp_path)
    assert folder == prepared_dir("dsprites", tmp_path)
    data = load_dataset("dsprites", SMOKE, tmp_path)
    rows = grid_subset(DSPRITES.n_images, 300, SMOKE.subset_seed)
    assert data.images.shape == (300, 64, 64, 1) and data.images.dtype == torch.uint8
    assert np.array_equal(data.images.numpy(), render_images("dsprites", rows))
    assert np.array_equal(data.factors.numpy(), grid_factors(rows, DSPRITES.factor_sizes))
    assert data.source == "procedural" and data.factor_sizes == DSPRITES.factor_sizes
    assert data.checksum == hashlib.sha256((folder / IMAGES).read_bytes()).hexdigest()


def test_prepare_is_idempotent_and_remakes_when_settings_change(tmp_path):
    images = prepare_dataset("dsprites", SMOKE, tmp_path) / IMAGES
    stamp = images.stat().st_mtime_ns
    prepare_dataset("dsprites", SMOKE, tmp_path)
    assert images.stat().st_mtime_ns == stamp
    bigger = SMOKE.model_copy(update={"max_images": 400})
    prepare_dataset("dsprites", bigger, tmp_path)
    assert len(load_dataset("dsprites", bigger, tmp_path)) == 400


def test_load_without_prepare_says_which_command_to_run(tmp_path):
    with pytest.raises(DataError, match="run `artifact data prepare shapes3d`"):
        load_dataset("shapes3d", SMOKE, tmp_path)


def test_load_refuses_a_dir_prepared_for_other_settings(tmp_path):
    prepare_dataset("dsprites", SMOKE, tmp_path)
    with pytest.raises(DataError, match="max_images 300 -> 301.*artifact data prepare dsprites"):
        load_dataset("dsprites", SMOKE.model_copy(update={"max_images": 301}), tmp_path)


def test_an_interrupted_prepare_leaves_no_manifest_so_load_refuses(tmp_path, monkeypatch):
    prepare_dataset("dsprites", SMOKE, tmp_path)

    def broken(*args, **kwargs):
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr("artifact.data.prepare.iter_images", broken)
    with pytest.raises(RuntimeError):
        prepare_dataset("dsprites", SMOKE.model_copy(update={"subset_seed": 1}), tmp_path)
    assert not (prepared_dir("dsprites", tmp_path) / MANIFEST).exists()
    with pytest.raises(DataError, match="is missing"):
        load_dataset("dsprites", SMOKE, tmp_path)


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(1, 5000),
    small=st.integers(1, 5000),
    extra=st.integers(0, 5000),
    seed=st.integers(0, 3),
)
def test_a_larger_cap_keeps_every_image_of_a_smaller_one(n, small, extra, seed):
    fewer, more = grid_subset(n, small, seed), grid_subset(n, small + extra, seed)
    assert len(fewer) == min(n, small) and np.all(np.diff(fewer) > 0)
    assert np.isin(fewer, more).all()


def test_official_prepare_verifies_the_pin_and_writes_only_a_manifest(tmp_path, monkeypatch):
    path = official_path("shapes3d", tmp_path)
    path.parent.mkdir(parents=True)
    write_shapes3d_h5(path)
    config = paper_section("data", source="official", max_images=40)  # before the small spec
    install_small_spec(monkeypatch, "shapes3d", Pin(md5=md5_of(path)))
    folder = prepare_dataset("shapes3d", config, tmp_path)
    manifest = json.loads((folder / MANIFEST).read_text())
    assert not (folder / IMAGES).exists() and manifest["official"]["pin_status"] == "md5 verified"
    data = load_dataset("shapes3d", config, tmp_path)
    rows = grid_subset(96, 40, 0)
    import h5py

    with h5py.File(path) as handle:
        assert np.array_equal(data.images.numpy(), handle["images"][rows])
    assert data.source == "official" and data.checksum == manifest["official"]["sha256"]


def test_official_prepare_refuses_a_file_with_the_wrong_md5(tmp_path, monkeypatch):
    path = official_path("dsprites", tmp_path)
    path.parent.mkdir(parents=True)
    write_dsprites_npz(path)
    config = paper_section("data", source="official")  # resolved before the small spec is in
    install_small_spec(monkeypatch, "dsprites", Pin(md5="0" * 32))
    with pytest.raises(ChecksumError, match="0{32} was expected"):
        prepare_dataset("dsprites", config, tmp_path)


def test_official_load_refuses_when_the_file_changed_after_prepare(tmp_path, monkeypatch):
    path = official_path("dsprites", tmp_path)
    path.parent.mkdir(parents=True)
    write_dsprites_npz(path)
    config = paper_section("data", source="official")  # resolved before the small spec is in
    install_small_spec(monkeypatch, "dsprites")
    prepare_dataset("dsprites", config, tmp_path)
    assert len(load_dataset("dsprites", config, tmp_path)) == 48
    write_dsprites_npz(path, seed=1)
    with pytest.raises(DataError, match="has changed since"):
        load_dataset("dsprites", config, tmp_path)


def test_official_source_without_the_file_says_how_to_get_it(tmp_path):
    with pytest.raises(DataError, match="artifact data fetch dsprites"):
        prepare_dataset("dsprites", paper_section("data", source="official"), tmp_path)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 3000), name=st.sampled_from(["dsprites", "shapes3d"]), seed=st.integers(0, 5)
)
def test_splits_are_disjoint_sorted_cover_everything_and_follow_the_paper_ratio(n, name, seed):
    config = paper_section("data", split_seed=seed)
    train, val = split_indices(n, name, config)
    both = torch.cat([train, val]).sort().values
    assert train.dtype == val.dtype == torch.int64 and torch.equal(both, torch.arange(n))
    assert torch.all(train.diff() > 0) and torch.all(val.diff() > 0)
    assert len(train) == round((0.8 if name == "dsprites" else 400_000 / 480_000) * n)
    again, _ = split_indices(n, name, config)
    assert torch.equal(train, again)


def test_full_size_splits_are_the_papers_numbers():
    train, val = split_indices(480_000, "shapes3d", paper_section("data"))
    assert (len(train), len(val)) == (400_000, 80_000)
    train, val = split_indices(737_280, "dsprites", paper_section("data"))
    assert (len(train), len(val)) == (589_824, 147_456)


@settings(max_examples=30, deadline=None)
@given(n_val=st.integers(0, 2000), n_eval=st.integers(1, 3000), seed=st.integers(0, 3))
def test_eval_indices_are_a_seeded_sample_of_the_validation_split(n_val, n_eval, seed):
    val = torch.arange(n_val) * 3 + 1
    config = paper_section("data", n_eval_samples=n_eval, eval_seed=seed)
    chosen = eval_indices(val, config)
    assert len(chosen) == min(n_eval, n_val) and torch.isin(chosen, val).all()
    assert len(torch.unique(chosen)) == len(chosen) and torch.equal(
        chosen, eval_indices(val, config)
    )


def test_float_batch_converts_only_the_batch_to_nchw_in_unit_range():
    images = torch.randint(0, 256, (10, 64, 64, 3), dtype=torch.uint8)
    data = FactorDataset(
        "shapes3d",
        images,
        torch.zeros(10, 6, dtype=torch.int64),
        ("a",) * 6,
        (1,) * 6,
        "procedural",
        None,
    )
    batch = data.float_batch(torch.tensor([7, 2]))
    assert batch.shape == (2, 3, 64, 64) and batch.dtype == torch.float32 and batch.is_contiguous()
    assert torch.equal(batch[0], images[7].permute(2, 0, 1).float() / 255)
    binary = FactorDataset(
        "dsprites",
        images[..., :1] % 2,
        torch.zeros(10, 5, dtype=torch.int64),
        ("a",) * 5,
        (1,) * 5,
        "procedural",
        None,
    )
    assert torch.equal(
        binary.float_batch(torch.tensor([3]))[0, 0], (images[3, :, :, 0] % 2).float()
    )
    assert data.images.dtype == torch.uint8 and len(data.to("cpu")) == 10
