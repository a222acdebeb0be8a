"""What the two datasets are: factors, sizes, official files and their pinned hashes.

One source of truth for every fact about dSprites (Matthey et al. 2017) and Shapes3D (Burgess &
Kim 2018) that the loaders, the renderers and the CLI share. The factor order is the official
one (the row-major order of the official files); dSprites' constant `color` latent is dropped.

Pins: an md5 is pinned where one is publicly known (docs/data.md says where from); the sha256
slot is filled once a file has been verified against its md5, so later downloads are held to the
stronger hash. A file without any pin is checked for structure only and reported "unpinned".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from artifact.errors import DataError

IMAGE_SIZE = 64


@dataclass(frozen=True)
class Pin:
    """Expected hashes of an official file (lower-case hex); None where not known."""

    md5: str | None = None
    sha256: str | None = None
    git_blob: str | None = None  # git's object id of the file in its source repository


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    factor_names: tuple[str, ...]
    factor_sizes: tuple[int, ...]
    n_channels: int
    pixel_max: int  # the largest pixel value: 1 for binary dSprites, 255 for Shapes3D
    filename: str  # the official file's name
    url: str  # where `artifact data fetch` downloads it from
    pin: Pin
    renderer_version: str  # bump when the procedural renderer's output changes

    @property
    def n_images(self) -> int:
        return int(np.prod(self.factor_sizes))

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return (IMAGE_SIZE, IMAGE_SIZE, self.n_channels)


DSPRITES = DatasetSpec(
    name="dsprites",
    factor_names=("shape", "scale", "orientation", "posX", "posY"),
    factor_sizes=(3, 6, 40, 32, 32),
    n_channels=1,
    pixel_max=1,
    filename="dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz",
    url=(
        "https://github.com/deepmind/dsprites-dataset/raw/master/"
        "dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz"
    ),
    # The npz is tracked in the dsprites-dataset repository: its git blob id is first-hand
    # (docs/data.md); no md5 or sha256 of it is published.
    pin=Pin(git_blob="d98996d3f8ee1550e06b9d4ed78d0beb478910d5"),
    renderer_version="dsprites-procedural/2",
)

SHAPES3D = DatasetSpec(
    name="shapes3d",
    factor_names=("floor_hue", "wall_hue", "object_hue", "scale", "shape", "orientation"),
    factor_sizes=(10, 10, 10, 8, 4, 15),
    n_channels=3,
    pixel_max=255,
    filename="3dshapes.h5",
    url="https://storage.googleapis.com/3d-shapes/3dshapes.h5",
    pin=Pin(md5="099a2078d58cec4daad0702c55d06868", sha256=None),
    renderer_version="shapes3d-procedural/4",
)

SPECS: dict[str, DatasetSpec] = {spec.name: spec for spec in (DSPRITES, SHAPES3D)}


def get_spec(name: str) -> DatasetSpec:
    """The spec of a dataset by name; an unknown name is one sentence listing the known ones."""
    try:
        return SPECS[name]
    except KeyError:
        raise DataError(
            f"unknown dataset '{name}'; choose one of: {', '.join(sorted(SPECS))}."
        ) from None


def official_path(name: str, data_dir: Path) -> Path:
    """Where the official file of `name` lives: {data_dir}/official/{filename}."""
    return Path(data_dir) / "official" / get_spec(name).filename


def grid_factors(indices: np.ndarray, factor_sizes: tuple[int, ...]) -> np.ndarray:
    """Row-major grid index -> factor classes, int64 [N, K] (the last factor varies fastest)."""
    indices = np.asarray(indices, dtype=np.int64)
    return np.stack(np.unravel_index(indices, factor_sizes), axis=1).astype(np.int64)


def grid_subset(n_images: int, max_images: int | None, seed: int) -> np.ndarray:
    """The grid indices a run uses, sorted int64: all of them, or a seeded random subset.

    The subset is a prefix of one seeded permutation, so it depends only on (n_images, seed) and
    a larger cap keeps every image of a smaller one.
    """
    if max_images is None or max_images >= n_images:
        return np.arange(n_images, dtype=np.int64)
    permutation = np.random.default_rng(seed).permutation(n_images)
    return np.sort(permutation[:max_images]).astype(np.int64)
