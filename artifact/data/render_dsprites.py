"""Procedural dSprites: white square, ellipse or heart on black, 64x64, pixels 0/1.

The official images were drawn as vector shapes on a normalised canvas and rasterised without
anti-aliasing (dsprites-dataset issue #2 and #3): a pixel is on when its centre lies inside the
shape. We do the same, from each shape's implicit equation. Geometry we chose where nothing is
published (docs/interpretations.md, "Data"): the sprite centre moves one pixel per position step
(the README's "smallest step changes while ensuring that all pixel outputs were different"),
from pixel centre 16.5 to 47.5; the square's side is 20 px at scale 1, so that each scale step
changes a shape centred on a pixel (it grows by 2 px at a time); orientation turns the shape
anticlockwise on screen; posY grows downwards (canvas coordinates).

Speed: the geometry depends on (shape, scale, orientation) only, 720 sprites of 31x31 pixels;
position only translates by whole pixels, so every image is one sprite pasted at an offset.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from artifact.data.spec import DSPRITES, IMAGE_SIZE, grid_factors

SQUARE, ELLIPSE, HEART = 0, 1, 2
SCALES = np.linspace(0.5, 1.0, 6)
ORIENTATIONS = np.linspace(0.0, 2 * np.pi, 40)  # both ends: orientation 0 and 39 coincide
SIDE_PX = 20.0  # side of the square at scale 1: sizes then differ by 2 px per scale step
ELLIPSE_AXES = (0.6, 0.3)  # semi-axes in units of the square's side
FIRST_CENTRE_PX = 16  # pixel index of the centre at posX = 0 (its centre is at 16.5)
RADIUS_PX = 15  # sprite box: offsets -15..15 around the centre pixel hold every shape
_BOX = 2 * RADIUS_PX + 1
# The implicit heart (x^2 + y^2 - 1)^3 - x^2 y^3 <= 0 spans x in [-1.139, 1.139] and
# y in [-1, 1.236]: scale it to the square's side and centre its bounding box.
_HEART_WIDTH, _HEART_Y_CENTRE = 2.278, 0.118
_TOLERANCE = 1e-9  # pixel centres exactly on an edge count as inside, whatever the rounding


def _inside(shape: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Is the point (a, b), in units of the square's side (y up), inside the shape?"""
    if shape == SQUARE:
        level = np.maximum(np.abs(a), np.abs(b)) - 0.5
    elif shape == ELLIPSE:
        level = (a / ELLIPSE_AXES[0]) ** 2 + (b / ELLIPSE_AXES[1]) ** 2 - 1.0
    else:
        x, y = a * _HEART_WIDTH, b * _HEART_WIDTH + _HEART_Y_CENTRE
        level = (x * x + y * y - 1.0) ** 3 - x * x * y**3
    return level <= _TOLERANCE


def sprite_table() -> np.ndarray:
    """Every (shape, scale, orientation) sprite, uint8 [3 * 6 * 40, 31, 31], in grid order."""
    offsets = np.arange(-RADIUS_PX, RADIUS_PX + 1, dtype=np.float64)
    right, down = np.meshgrid(offsets, offsets)  # [31, 31]: column and row offsets
    up = -down
    # Rounded so that cos(pi/2) is 0 and ulp differences between platforms cannot move an edge.
    cos = np.round(np.cos(ORIENTATIONS), 12)[:, None, None]  # [40, 1, 1]
    sin = np.round(np.sin(ORIENTATIONS), 12)[:, None, None]
    along = cos * right + sin * up  # the pixel in the shape's frame (rotate by -theta)
    across = -sin * right + cos * up  # [40, 31, 31]
    side = (SIDE_PX * SCALES)[:, None, None, None]  # [6, 1, 1, 1]
    table = np.stack(
        [
            _inside(shape, along[None] / side, across[None] / side)
            for shape in (SQUARE, ELLIPSE, HEART)
        ]
    )  # [3, 6, 40, 31, 31]
    return table.reshape(-1, _BOX, _BOX).astype(np.uint8)


def paste(sprites: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Images of the given grid indices, uint8 [N, 64, 64, 1]: each one sprite at its offset."""
    factors = grid_factors(indices, DSPRITES.factor_sizes)  # [N, 5]
    sprite_id = np.ravel_multi_index(tuple(factors[:, :3].T), DSPRITES.factor_sizes[:3])
    pos_x, pos_y = factors[:, 3], factors[:, 4]
    n = len(indices)
    top = FIRST_CENTRE_PX - RADIUS_PX + pos_y  # [N] first row of the sprite box
    left = FIRST_CENTRE_PX - RADIUS_PX + pos_x
    window = (np.arange(_BOX)[:, None] * IMAGE_SIZE + np.arange(_BOX)[None, :]).ravel()  # [961]
    start = np.arange(n, dtype=np.int64) * IMAGE_SIZE**2 + top * IMAGE_SIZE + left  # [N]
    images = np.zeros(n * IMAGE_SIZE**2, dtype=np.uint8)
    images[start[:, None] + window[None, :]] = sprites.reshape(len(sprites), -1)[sprite_id]
    return images.reshape(n, IMAGE_SIZE, IMAGE_SIZE, 1)


def render(indices: np.ndarray) -> np.ndarray:
    """dSprites images for arbitrary grid indices, uint8 [N, 64, 64, 1] with pixels 0/1."""
    return paste(sprite_table(), np.asarray(indices, dtype=np.int64))


def render_chunks(indices: np.ndarray, chunk: int = 8192) -> Iterator[np.ndarray]:
    """`render(indices)` in consecutive pieces of at most `chunk` images (bounded memory)."""
    sprites = sprite_table()
    indices = np.asarray(indices, dtype=np.int64)
    for start in range(0, len(indices), chunk):
        yield paste(sprites, indices[start : start + chunk])
