"""Readers of the official files: the dSprites npz and the Shapes3D (3dshapes) h5.

Layouts (docs/data.md): dSprites `imgs` uint8 [737280, 64, 64], `latents_classes` int64
[737280, 6] (color, shape, scale, orientation, posX, posY), `latents_values` float64 [737280, 6],
and a pickled `metadata` that is never read (allow_pickle=False everywhere: a pickle runs code).
3dshapes.h5: `images` uint8 [480000, 64, 64, 3], `labels` float64 [480000, 6] holding factor
*values*; we map each column to class indices by sorting its unique values, and check that the
rows are in the documented row-major factor order, so a grid index means the same image in the
official file and in the procedural renderer.

Images are read in blocks into one uint8 array (never a float copy); a subset of rows keeps only
those rows, so memory is sized to what is asked for. Anything malformed is a DataError.
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

import numpy as np

from artifact.data.spec import DatasetSpec, grid_factors
from artifact.errors import DataError
from artifact.storage.paths import path_problem

BLOCK_IMAGES = 16_384
_FEW = 4_096  # up to this many rows, the h5 reader selects them directly instead of by block


def official_remedy(spec: DatasetSpec) -> str:
    """What to do about a bad official file (the end of each message here; fetch.py swaps it)."""
    return f"delete it and run `artifact data fetch {spec.name}`."


def _read_header(handle) -> tuple[tuple[int, ...], bool, np.dtype]:
    """(shape, fortran_order, dtype) from an open .npy stream, leaving it at the data."""
    version = np.lib.format.read_magic(handle)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(handle)
    return np.lib.format.read_array_header_2_0(handle)


def _npz_header(archive: zipfile.ZipFile, member: str, path: Path, spec: DatasetSpec):
    """(shape, dtype) of a member of an npz, read from its header only (no pickle, no data)."""
    if f"{member}.npy" not in archive.namelist():
        raise DataError(
            f"{path} has no '{member}' array, so it is not the official {spec.name} file; {official_remedy(spec)}"
        )
    with archive.open(f"{member}.npy") as handle:
        shape, fortran_order, dtype = _read_header(handle)
    if fortran_order:
        raise DataError(
            f"{path}: '{member}' is stored in Fortran order, unlike the official file; {official_remedy(spec)}"
        )
    return shape, dtype


def _expect(path: Path, spec: DatasetSpec, member: str, got, expected) -> None:
    if tuple(got[0]) != expected[0] or got[1] != np.dtype(expected[1]):
        raise DataError(
            f"{path}: '{member}' is {got[1]} {list(got[0])}, expected {np.dtype(expected[1])} "
            f"{list(expected[0])} as in the official file; {official_remedy(spec)}"
        )


def _check_grid_order(path: Path, spec: DatasetSpec, factors: np.ndarray) -> None:
    if not np.array_equal(factors, grid_factors(np.arange(spec.n_images), spec.factor_sizes)):
        raise DataError(
            f"{path}: rows are not in the documented factor order ({', '.join(spec.factor_names)}, "
            f"last fastest), so factor labels cannot be trusted; {official_remedy(spec)}"
        )


def _read_npz(spec: DatasetSpec, path: Path, rows: np.ndarray | None):
    n = spec.n_images
    with zipfile.ZipFile(path) as archive:
        _expect(
            path, spec, "imgs", _npz_header(archive, "imgs", path, spec), ((n, 64, 64), np.uint8)
        )
        for member, dtype in (("latents_classes", np.int64), ("latents_values", np.float64)):
            _expect(path, spec, member, _npz_header(archive, member, path, spec), ((n, 6), dtype))
        with archive.open("latents_classes.npy") as handle:
            classes = np.lib.format.read_array(handle, allow_pickle=False)
        if np.any(classes[:, 0] != 0):
            raise DataError(
                f"{path}: the color latent is not always 0 as in the official file; {official_remedy(spec)}"
            )
        factors = classes[:, 1:].astype(np.int64)
        _check_grid_order(path, spec, factors)
        with archive.open("imgs.npy") as handle:
            _read_header(handle)
            images = _read_blocks(
                lambda start, stop: _stream_rows(handle, start, stop, path, spec), n, rows, (64, 64)
            )
    images = images[..., None]  # NHWC with one channel
    return images, factors if rows is None else factors[rows]


def _stream_rows(handle, start: int, stop: int, path: Path, spec: DatasetSpec) -> np.ndarray:
    size = (stop - start) * 64 * 64
    data = handle.read(size)
    if len(data) != size:
        raise DataError(f"{path} ends before its last image (truncated); {official_remedy(spec)}")
    return np.frombuffer(data, dtype=np.uint8).reshape(stop - start, 64, 64)


def _read_blocks(read, n: int, rows: np.ndarray | None, row_shape: tuple[int, ...]) -> np.ndarray:
    """Rows `rows` (sorted; None: all) of a uint8 [n, *row_shape] array, read block by block
    into one preallocated array."""
    out = np.empty((n if rows is None else len(rows), *row_shape), dtype=np.uint8)
    taken = 0
    if len(out) == 0:
        return out
    for start in range(0, n, BLOCK_IMAGES):
        stop = min(start + BLOCK_IMAGES, n)
        block = read(start, stop)
        if rows is None:
            keep = block
        else:
            lo, hi = np.searchsorted(rows, [start, stop])
            keep = block[rows[lo:hi] - start]
        out[taken : taken + len(keep)] = keep
        taken += len(keep)
        if rows is not None and taken == len(rows):
            break  # a subset need not read past its last row
    return out


def _read_h5(spec: DatasetSpec, path: Path, rows: np.ndarray | None):
    import h5py

    n = spec.n_images
    with h5py.File(path, "r") as handle:
        for member, shape, dtype in (
            ("images", (n, 64, 64, 3), np.uint8),
            ("labels", (n, 6), np.float64),
        ):
            if member not in handle or not isinstance(handle[member], h5py.Dataset):
                raise DataError(
                    f"{path} has no '{member}' dataset, so it is not the official {spec.name} file; {official_remedy(spec)}"
                )
            _expect(
                path, spec, member, (handle[member].shape, handle[member].dtype), (shape, dtype)
            )
        labels = handle["labels"][...]
        factors = np.empty(labels.shape, dtype=np.int64)
        for k, (name, size) in enumerate(zip(spec.factor_names, spec.factor_sizes, strict=True)):
            values, factors[:, k] = np.unique(labels[:, k], return_inverse=True)
            if len(values) != size:
                raise DataError(
                    f"{path}: factor '{name}' has {len(values)} distinct values, expected {size}; {official_remedy(spec)}"
                )
        _check_grid_order(path, spec, factors)
        dataset = handle["images"]
        if rows is not None and 0 < len(rows) <= _FEW:
            images = dataset[rows]
        else:
            images = _read_blocks(lambda start, stop: dataset[start:stop], n, rows, (64, 64, 3))
    return images, factors if rows is None else factors[rows]


def load_official(
    spec: DatasetSpec, path: Path, rows: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Images uint8 [n, 64, 64, C] and factor classes int64 [n, K] of the official file at `path`,
    for the sorted grid indices `rows` (None: all). Any malformed file raises DataError."""
    path = Path(path)
    problem = path_problem(path)  # a directory or a loop is never said not to exist
    if problem is not None:
        raise DataError(
            f"official {spec.name} file {path} {problem}; run `artifact data fetch {spec.name}`."
        )
    if rows is not None:
        rows = np.asarray(rows, dtype=np.int64)
        if np.any(np.diff(rows) <= 0) or (len(rows) and (rows[0] < 0 or rows[-1] >= spec.n_images)):
            raise ValueError("rows must be sorted, unique grid indices")
    reader = _read_npz if spec.name == "dsprites" else _read_h5
    try:
        images, factors = reader(spec, path, rows)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, KeyError) as exc:
        raise DataError(
            f"{path} could not be read ({type(exc).__name__}: {exc}); it is corrupt or truncated, {official_remedy(spec)}"
        ) from None
    if images.size and images.max() > spec.pixel_max:
        raise DataError(
            f"{path}: pixel values exceed {spec.pixel_max}, unlike the official {spec.name}; {official_remedy(spec)}"
        )
    return images, factors


def inspect_official(spec: DatasetSpec, path: Path) -> None:
    """Check the structure of an official file (names, shapes, dtypes, factor order) without
    reading its images; raises DataError."""
    load_official(spec, path, rows=np.zeros(0, dtype=np.int64))
