"""Test helper: small files in exactly the official layouts, and the specs that describe them.

The official files hold 737,280 and 480,000 images; these hold a few dozen, in the same
members, dtypes and row-major factor order. `install_small_spec` swaps them in for the real specs
(a test-only override of sizes and pinned hashes).
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import h5py
import numpy as np

from artifact.data import spec as spec_module
from artifact.data.spec import DSPRITES, SHAPES3D, DatasetSpec, Pin, grid_factors

SMALL_DSPRITES_SIZES = (3, 2, 2, 2, 2)  # 48 images
SMALL_SHAPES3D_SIZES = (2, 2, 2, 2, 2, 3)  # 96 images


def _explode():
    raise AssertionError("the dSprites metadata pickle was unpickled")


class Booby:
    """Unpickling this calls _explode: proof that a loader never unpickles `metadata`."""

    def __reduce__(self):
        return (_explode, ())


def write_dsprites_npz(path: Path, sizes=SMALL_DSPRITES_SIZES, seed: int = 0, **overrides) -> Path:
    """An npz with the official members: imgs, latents_classes, latents_values, metadata."""
    n = int(np.prod(sizes))
    classes = np.concatenate(
        [np.zeros((n, 1), np.int64), grid_factors(np.arange(n), sizes)], axis=1
    )
    members = {
        "imgs": np.random.default_rng(seed).integers(0, 2, (n, 64, 64), dtype=np.uint8),
        "latents_classes": classes,
        "latents_values": classes.astype(np.float64) / 7.0,
        "metadata": np.array(Booby(), dtype=object),
    }
    members.update(overrides)
    with open(path, "wb") as handle:
        np.savez_compressed(handle, **members)
    return path


def shapes3d_label_values(sizes=SMALL_SHAPES3D_SIZES) -> list[np.ndarray]:
    """Factor values as the official labels hold them (hues in [0, 1), scale 0.75-1.25, ...)."""
    return [
        np.arange(sizes[0]) / 10.0,
        np.arange(sizes[1]) / 10.0,
        np.arange(sizes[2]) / 10.0,
        np.linspace(0.75, 1.25, sizes[3]),
        np.arange(sizes[4], dtype=np.float64),
        np.linspace(-30.0, 30.0, sizes[5]),
    ]


def write_shapes3d_h5(
    path: Path, sizes=SMALL_SHAPES3D_SIZES, seed: int = 0, labels=None, images=None
) -> Path:
    """An h5 with the official datasets: images uint8 [N, 64, 64, 3], labels float64 [N, 6]."""
    n = int(np.prod(sizes))
    if labels is None:
        factors = grid_factors(np.arange(n), sizes)
        values = shapes3d_label_values(sizes)
        labels = np.stack([values[k][factors[:, k]] for k in range(6)], axis=1)
    if images is None:
        images = np.random.default_rng(seed).integers(0, 256, (n, 64, 64, 3), dtype=np.uint8)
    with h5py.File(path, "w") as handle:
        handle.create_dataset("images", data=images, chunks=(8, 64, 64, 3), compression="gzip")
        handle.create_dataset("labels", data=labels)
    return path


def md5_of(path: Path) -> str:
    return hashlib.md5(Path(path).read_bytes()).hexdigest()


def small_spec(name: str, pin: Pin = Pin()) -> DatasetSpec:
    if name == "dsprites":
        return replace(DSPRITES, factor_sizes=SMALL_DSPRITES_SIZES, pin=pin)
    return replace(SHAPES3D, factor_sizes=SMALL_SHAPES3D_SIZES, pin=pin)


def install_small_spec(monkeypatch, name: str, pin: Pin = Pin()) -> DatasetSpec:
    """Swap the small spec of `name` (with `pin`) in for the real one, for one test."""
    spec = small_spec(name, pin)
    monkeypatch.setitem(spec_module.SPECS, name, spec)
    return spec
