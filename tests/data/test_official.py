"""Loaders of the official layouts: right arrays in grid order, and one clear DataError for any
file of the wrong shape, dtype, order or checksum, or a corrupt one."""

from __future__ import annotations

import numpy as np
import pytest

from artifact.data.hashing import check_pin, digest_file
from artifact.data.official import inspect_official, load_official
from artifact.data.spec import Pin, grid_factors
from artifact.errors import ChecksumError, DataError
from tests.helpers.official_files import (
    SMALL_DSPRITES_SIZES,
    SMALL_SHAPES3D_SIZES,
    md5_of,
    shapes3d_label_values,
    small_spec,
    write_dsprites_npz,
    write_shapes3d_h5,
)

DSPRITES = small_spec("dsprites")
SHAPES3D = small_spec("shapes3d")


def test_dsprites_npz_loads_uint8_nhwc_images_and_factors_without_the_color_column(tmp_path):
    path = write_dsprites_npz(tmp_path / "d.npz")
    images, factors = load_official(DSPRITES, path)
    stored = np.load(path, allow_pickle=False)["imgs"]
    assert images.dtype == np.uint8 and images.shape == (48, 64, 64, 1)
    assert np.array_equal(images[..., 0], stored)
    assert np.array_equal(factors, grid_factors(np.arange(48), SMALL_DSPRITES_SIZES))


def test_dsprites_metadata_pickle_is_never_unpickled(tmp_path):
    # write_dsprites_npz stores a metadata pickle that raises when unpickled
    load_official(DSPRITES, write_dsprites_npz(tmp_path / "d.npz"))


def test_a_subset_of_rows_equals_the_same_rows_of_a_full_read(tmp_path, monkeypatch):
    monkeypatch.setattr("artifact.data.official.BLOCK_IMAGES", 7)  # several blocks
    for spec, path in (
        (DSPRITES, write_dsprites_npz(tmp_path / "d.npz")),
        (SHAPES3D, write_shapes3d_h5(tmp_path / "s.h5")),
    ):
        full_images, full_factors = load_official(spec, path)
        rows = np.array([0, 5, 6, 13, 20, 47])
        images, factors = load_official(spec, path, rows)
        assert np.array_equal(images, full_images[rows]) and np.array_equal(
            factors, full_factors[rows]
        )


def test_h5_labels_map_to_indices_by_sorting_unique_values(tmp_path):
    path = write_shapes3d_h5(tmp_path / "s.h5")
    images, factors = load_official(SHAPES3D, path)
    assert images.shape == (96, 64, 64, 3) and images.dtype == np.uint8
    assert np.array_equal(factors, grid_factors(np.arange(96), SMALL_SHAPES3D_SIZES))


def test_h5_label_values_need_not_follow_a_formula(tmp_path):
    n = int(np.prod(SMALL_SHAPES3D_SIZES))
    factors = grid_factors(np.arange(n), SMALL_SHAPES3D_SIZES)
    odd_values = [
        np.array([0.03, 0.9]),
        np.array([-1.0, 5.0]),
        np.array([0.2, 0.21]),
        np.array([0.75, 1.25]),
        np.array([2.0, 3.0]),
        np.array([-30.0, 1e-9, 30.0]),
    ]
    labels = np.stack([odd_values[k][factors[:, k]] for k in range(6)], axis=1)
    _, loaded = load_official(SHAPES3D, write_shapes3d_h5(tmp_path / "s.h5", labels=labels))
    assert np.array_equal(loaded, factors)


def test_h5_rows_out_of_grid_order_are_refused(tmp_path):
    n = int(np.prod(SMALL_SHAPES3D_SIZES))
    factors = grid_factors(np.arange(n), SMALL_SHAPES3D_SIZES)[::-1]
    values = shapes3d_label_values()
    labels = np.stack([values[k][factors[:, k]] for k in range(6)], axis=1)
    with pytest.raises(DataError, match="not in the documented factor order"):
        load_official(SHAPES3D, write_shapes3d_h5(tmp_path / "s.h5", labels=labels))


def test_h5_with_a_missing_factor_value_is_refused(tmp_path):
    n = int(np.prod(SMALL_SHAPES3D_SIZES))
    labels = np.zeros((n, 6))
    with pytest.raises(DataError, match="factor 'floor_hue' has 1 distinct values, expected 2"):
        load_official(SHAPES3D, write_shapes3d_h5(tmp_path / "s.h5", labels=labels))


@pytest.mark.parametrize(
    "override, message",
    [
        (
            {"imgs": np.zeros((48, 64, 64), np.float64)},
            "'imgs' is float64 \\[48, 64, 64\\], expected uint8",
        ),
        ({"imgs": np.zeros((47, 64, 64), np.uint8)}, "'imgs' is uint8 \\[47, 64, 64\\]"),
        (
            {"latents_classes": np.zeros((48, 5), np.int64)},
            "'latents_classes' is int64 \\[48, 5\\]",
        ),
        ({"imgs": np.full((48, 64, 64), 255, np.uint8)}, "pixel values exceed 1"),
    ],
)
def test_npz_of_the_wrong_shape_dtype_or_values_is_one_data_error(tmp_path, override, message):
    path = write_dsprites_npz(tmp_path / "d.npz", **override)
    with pytest.raises(DataError, match=message):
        load_official(DSPRITES, path)


def test_npz_pickled_images_are_refused_without_unpickling(tmp_path):
    path = write_dsprites_npz(tmp_path / "d.npz", imgs=np.array([object()] * 3, dtype=object))
    with pytest.raises(DataError, match="'imgs' is object"):
        inspect_official(DSPRITES, path)


def test_h5_of_the_wrong_dtype_is_refused(tmp_path):
    path = write_shapes3d_h5(tmp_path / "s.h5", images=np.zeros((96, 64, 64, 3), np.float32))
    with pytest.raises(DataError, match="'images' is float32 \\[96, 64, 64, 3\\], expected uint8"):
        load_official(SHAPES3D, path)


@pytest.mark.parametrize("name", ["d.npz", "s.h5"])
@pytest.mark.parametrize("damage", ["truncate", "garbage"])
def test_a_corrupt_or_truncated_file_is_one_data_error(tmp_path, name, damage):
    spec = DSPRITES if name.endswith("npz") else SHAPES3D
    path = (write_dsprites_npz if spec is DSPRITES else write_shapes3d_h5)(tmp_path / name)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2] if damage == "truncate" else b"\x00not a dataset" * 100)
    with pytest.raises(DataError, match="delete it and run `artifact data fetch"):
        load_official(spec, path)


def test_a_missing_file_says_to_fetch_it(tmp_path):
    with pytest.raises(DataError, match="artifact data fetch dsprites"):
        load_official(DSPRITES, tmp_path / "absent.npz")


def test_pin_check_names_file_expected_and_actual_hash(tmp_path):
    path = write_dsprites_npz(tmp_path / "d.npz")
    digest = digest_file(path)
    assert digest.md5 == md5_of(path) and digest.size == path.stat().st_size
    assert check_pin(path, digest, Pin(md5=digest.md5), "x") == "md5 verified"
    assert check_pin(path, digest, Pin(), "x") == "unpinned"
    with pytest.raises(ChecksumError) as error:
        check_pin(path, digest, Pin(md5="0" * 32), "delete it.")
    assert (
        str(path) in str(error.value)
        and "0" * 32 in str(error.value)
        and digest.md5 in str(error.value)
    )


def test_a_pinned_sha256_takes_precedence_over_md5(tmp_path):
    path = write_dsprites_npz(tmp_path / "d.npz")
    digest = digest_file(path)
    assert (
        check_pin(path, digest, Pin(md5=digest.md5, sha256=digest.sha256), "x") == "sha256 verified"
    )
    with pytest.raises(ChecksumError, match="sha256"):
        check_pin(path, digest, Pin(md5=digest.md5, sha256="f" * 64), "x")
