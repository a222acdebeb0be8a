"""The procedural renderers: same bytes every time, and each factor does what it does in the
official datasets (position translates, scale grows, hues recolour without moving anything)."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from artifact.data import render_dsprites, render_shapes3d, scene3d
from artifact.data.procedural import iter_images, render_images
from artifact.data.spec import DSPRITES, SHAPES3D

# Regression pins: sha256 of the bytes of a fixed subset of each grid. They change only when the
# renderer's output changes; then bump `renderer_version` in spec.py (prepared caches are then
# stale) and update these constants in the same change.
DSPRITES_PIN = "1f349a4e6cdfa5c009b3c1ec613bbb32963756fb8200e720ad5fa9cdf5fce18c"
SHAPES3D_PIN = "8840d40b0d9af14d092360504f0fc70b0e15f28a46d18f99cbc80e8d249d24c6"


def ds_index(shape=0, scale=5, orientation=0, x=16, y=16) -> int:
    return int(np.ravel_multi_index((shape, scale, orientation, x, y), DSPRITES.factor_sizes))


def s3_index(floor=0, wall=5, obj=2, scale=4, shape=0, orientation=7) -> int:
    return int(
        np.ravel_multi_index((floor, wall, obj, scale, shape, orientation), SHAPES3D.factor_sizes)
    )


@pytest.fixture(scope="module")
def table() -> np.ndarray:
    """All 480 geometries' weights, ray cast once for the module: [480, 64, 64, 3 labels]."""
    return scene3d.geometry_table()


@pytest.fixture(scope="module")
def two_views(table) -> dict[int, np.ndarray]:
    """Weights of orientations 0, 7 (0 degrees) and 14: [4 shapes, 8 scales, 64, 64, 4] each."""
    grid = table.reshape(8, 4, 15, 64, 64, 4)
    return {o: grid[:, :, o].transpose(1, 0, 2, 3, 4) for o in (0, 7, 14)}


def test_dsprites_render_is_pinned_to_known_bytes():
    images = render_images("dsprites", np.linspace(0, DSPRITES.n_images - 1, 64).astype(np.int64))
    assert hashlib.sha256(images.tobytes()).hexdigest() == DSPRITES_PIN


def test_shapes3d_render_is_pinned_to_known_bytes(table):
    rng = np.random.default_rng(1)
    factors = np.stack(
        [rng.integers(0, s, 32) for s in (10, 10, 10, 8, 4)] + [np.tile([0, 14], 16)], 1
    )
    indices = np.ravel_multi_index(tuple(factors.T), SHAPES3D.factor_sizes)
    images = render_images("shapes3d", indices)  # ray casts only orientations 0 and 14
    assert hashlib.sha256(images.tobytes()).hexdigest() == SHAPES3D_PIN
    assert np.array_equal(images, render_shapes3d.render(indices, table))  # the full table agrees


def test_dsprites_images_are_binary_white_shapes_on_black_inside_the_frame():
    # Every shape, scale and orientation at the extreme positions, where clipping would show.
    corners = [ds_index(s, c, o, x, y) for s in range(3) for c in (0, 5) for o in range(0, 40, 3)
               for x in (0, 31) for y in (0, 31)]  # fmt: skip
    images = render_images("dsprites", corners)
    assert images.dtype == np.uint8 and images.shape == (len(corners), 64, 64, 1)
    assert set(np.unique(images)) == {0, 1} and images.reshape(len(corners), -1).sum(1).min() > 0
    assert images[:, [0, -1]].sum() == images[:, :, [0, -1]].sum() == 0  # none reaches the edge


@settings(max_examples=25, deadline=None)
@given(
    shape=st.integers(0, 2),
    scale=st.integers(0, 5),
    orientation=st.integers(0, 39),
    x=st.integers(0, 30),
    y=st.integers(0, 30),
)
def test_dsprites_position_steps_move_the_sprite_right_and_down(shape, scale, orientation, x, y):
    base, right, down = render_images(
        "dsprites",
        [
            ds_index(shape, scale, orientation, x, y),
            ds_index(shape, scale, orientation, x + 1, y),
            ds_index(shape, scale, orientation, x, y + 1),
        ],
    )[..., 0]
    rows, columns = np.arange(64)[:, None], np.arange(64)[None, :]

    def centroid(image):
        return (image * rows).sum() / image.sum(), (image * columns).sum() / image.sum()

    # 32/31 px per step (the fitted grid: centre 16 to 48): about one pixel, never zero.
    (r0, c0), (r1, c1), (r2, c2) = centroid(base), centroid(right), centroid(down)
    assert 0.5 < c1 - c0 < 1.6 and abs(r1 - r0) < 0.6  # posX: columns, to the right
    assert 0.5 < r2 - r0 < 1.6 and abs(c2 - c0) < 0.6  # posY: rows, downwards
    assert np.isclose(render_dsprites.centres(31) - render_dsprites.centres(0), 32.0)


def test_dsprites_area_grows_with_scale_and_first_and_last_orientation_coincide():
    for shape in range(3):
        areas = (
            render_images("dsprites", [ds_index(shape, scale) for scale in range(6)])
            .reshape(6, -1)
            .sum(1)
        )
        assert np.all(np.diff(areas) > 0)
        first, last = render_images("dsprites", [ds_index(shape, 3, 0), ds_index(shape, 3, 39)])
        assert np.array_equal(first, last)  # orientation runs over [0, 2 pi] inclusive


def test_dsprites_square_orientation_is_quarter_turn_symmetric_and_heart_is_not():
    upright = render_images("dsprites", [ds_index(shape, 5, 0, 0, 0) for shape in range(3)])
    quarter = upright[:, 1:31, 1:31, 0]  # centre 16.0: a 30 px box around it, 15 px each side
    assert np.array_equal(np.rot90(quarter[0]), quarter[0])
    assert not np.array_equal(np.rot90(quarter[2]), quarter[2])
    assert np.array_equal(quarter[2][:, ::-1], quarter[2])  # the heart is mirror-symmetric


def test_chunked_dsprites_render_equals_one_render():
    indices = np.arange(1000, 1300)
    chunks = list(render_dsprites.render_chunks(indices, chunk=64))
    assert len(chunks) == 5 and np.array_equal(
        np.concatenate(chunks), render_images("dsprites", indices)
    )


def test_shapes3d_hues_recolour_without_moving_anything(table, two_views):
    weights = two_views[7][0, 4]  # cube, mid scale, 0 degrees: [64, 64, 3 labels]
    base = render_shapes3d.render([s3_index()], table)[0].astype(int)
    for factor, label in ((0, scene3d.FLOOR), (1, scene3d.WALL), (2, scene3d.OBJECT)):
        values = [0, 5, 2]
        values[factor] = 8  # another hue for one of floor, wall, object
        other = render_shapes3d.render([s3_index(*values)], table)[0].astype(int)
        changed = np.any(other != base, axis=-1)
        assert changed.any() and np.all(weights[changed, label] > 0)  # only where it is seen


def test_shapes3d_full_grid_path_equals_random_access(table):
    first = next(render_shapes3d.render_grid(table))  # floor hue 0, wall hue 0
    assert first.shape == (4800, 64, 64, 3) and first.dtype == np.uint8
    sample = np.sort(np.random.default_rng(0).choice(4800, 256, replace=False))
    assert np.array_equal(first[sample], render_shapes3d.render(sample, table))


def test_shapes3d_object_grows_with_scale_and_background_turns_with_orientation(two_views):
    for shape in range(4):
        seen = (two_views[7][shape, :, :, :, scene3d.OBJECT] > 0).reshape(8, -1).sum(1)
        assert np.all(np.diff(seen) > 0)
    wall_left, wall_right = (two_views[o][2, 0, :, :, scene3d.WALL] > 0 for o in (0, 14))
    assert not np.array_equal(wall_left, wall_right)


def test_shapes3d_opposite_orientations_are_mirror_images_in_geometry(two_views):
    # Coverage of the sharp views (the light, off-centre, shades them differently, and softening
    # mixes that shading into the edges' rounding).
    left, right = (scene3d.shade_views(scene3d.ORIENTATIONS_DEG[o], sigma=0) for o in (0, 14))
    assert np.array_equal(left > 0, right[..., ::-1, :] > 0)
    # The unlit sky is coverage only, so its softened weights mirror too (to the rounding).
    sky_left, sky_right = (two_views[o][..., scene3d.SKY].astype(int) for o in (0, 14))
    assert np.abs(sky_left - sky_right[..., ::-1]).max() <= 1


def test_softening_keeps_each_pixels_weight_and_spreads_an_edge_over_two_pixels():
    step = np.zeros((1, 64, 64, 2))
    step[:, :, :32, 0], step[:, :, 32:, 1] = 1.0, 1.0  # label 0 left of column 32, label 1 right
    soft = scene3d.soften(step, 0.65)
    assert np.allclose(soft.sum(-1), 1.0)  # a convex mix of the labels in every pixel
    row = soft[0, 10, :, 0]
    assert row[29] == 1.0 and row[34] == 0.0  # 3 px from the edge nothing moved
    assert 0.6 < row[31] < 0.9 and 0.1 < row[32] < 0.4  # the edge pixels share both labels
    assert np.allclose(row[31] + row[32], 1.0)  # symmetric about the edge
    assert np.array_equal(scene3d.soften(step, 0.0), step)


def test_shapes3d_shows_sky_over_wall_over_floor_and_the_object_in_the_middle(two_views):
    labels = two_views[7][2, 4].argmax(-1)  # sphere, 0 degrees: dominant label per pixel
    assert (labels[0] == scene3d.SKY).all() and (labels[-1] == scene3d.FLOOR).all()
    assert (labels[24] == scene3d.WALL).all()  # the official frames: wall from row ~17 to ~40
    assert labels[44, 32] == scene3d.OBJECT


def test_iter_images_yields_the_grid_order_in_chunks(table):
    indices = np.array([s3_index(0, 1, 2, 3, 0), s3_index(9, 9, 9, 7, 3), s3_index(4, 0, 4, 0, 2)])
    parts = list(iter_images("shapes3d", indices))
    assert np.array_equal(np.concatenate(parts), render_shapes3d.render(indices, table))
