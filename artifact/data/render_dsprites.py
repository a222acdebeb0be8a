"""Procedural dSprites: white square, ellipse or heart on black, 64x64, pixels 0/1.

The official images were drawn as vector shapes and rasterised without anti-aliasing
(dsprites-dataset issues #2 and #3): a pixel is on when its centre lies inside the shape. We do the
same. Every number below was fitted to the 320 official frames of the dataset's README GIF (a walk
through the latents one at a time, ../shared/reference/dsprites.gif; docs/data.md, "Fitted
geometry"), which this renderer reproduces pixel for pixel in 316 of 320 frames:

- the centre runs from 16.0 to 48.0 in pixel coordinates (pixel i covers [i, i + 1)) over the 32
  position steps, i.e. 32/31 px per step, so most positions are not on the pixel lattice and
  every image is rasterised at its own sub-pixel offset; posY grows downwards;
- sizes are linear in the scale value (0.5 ... 1): the square's half side is 9.598 px at scale 1,
  the ellipse's semi-axes 12.76 x 7.215 px (long axis horizontal at orientation 0);
- the heart is a mirror-symmetric polygon of 144 vertices around the rotation centre, at fixed
  angles 2.5 degrees apart, radii in `HEART_RADII` (right half, bottom to top);
- orientation turns the shape anticlockwise on screen about the sprite centre.

Speed: each image is rasterised in a 31x31 box around its centre (every shape fits within 14 px),
in chunks run two at a time in threads; the heart's sector lookup is one arctan2 per pixel.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

from artifact.data.spec import DSPRITES, IMAGE_SIZE, grid_factors

SQUARE, ELLIPSE, HEART = 0, 1, 2
SCALES = np.linspace(0.5, 1.0, 6)
ORIENTATIONS = np.linspace(0.0, 2 * np.pi, 40)  # both ends: orientation 0 and 39 coincide
FIRST_CENTRE, POSITION_SPAN = 16.0, 32.0  # centre at posX = 0 and its travel to posX = 31, px
SQUARE_HALF_SIDE = 9.598  # px at scale 1
ELLIPSE_AXES = (12.76, 7.215)  # semi-axes, px at scale 1
# Heart outline radii, px at scale 1, at angles -90, -87.5, ..., +90 degrees from the +x axis
# (y up; -90 is the tip); the left half is the mirror image.
HEART_RADII = np.array([
    9.62, 8.705, 7.99, 7.712, 7.355, 7.083, 6.87, 6.655, 6.54, 6.32, 6.4, 6.142, 6.205, 5.918,
    5.95, 5.932, 5.915, 5.922, 5.93, 5.933, 5.935, 5.988, 6.04, 6.118, 6.195, 6.26, 6.325, 6.47,
    6.615, 6.745, 6.875, 7.058, 7.24, 7.448, 7.645, 7.885, 8.205, 8.372, 8.69, 8.93, 9.17, 9.332,
    9.705, 9.968, 10.16, 10.372, 10.585, 10.74, 10.885, 11.003, 11.11, 11.175, 11.22, 11.278,
    11.315, 11.247, 11.18, 11.08, 11.04, 10.885, 10.73, 10.51, 10.31, 10.003, 9.695, 9.305,
    8.895, 8.352, 7.93, 7.277, 6.655, 5.94, 5.115,
])  # fmt: skip
RADIUS_PX = 15  # box: the centre's pixel +-15 holds every shape (the largest reaches 13.6 px)
_BOX = 2 * RADIUS_PX + 1
_TOLERANCE = 1e-9  # pixel centres exactly on an edge count as inside, whatever the rounding
_SECTOR = np.pi / (len(HEART_RADII) - 1)
_ANGLES = -np.pi / 2 + _SECTOR * np.arange(len(HEART_RADII))
_VERTICES = np.stack([HEART_RADII * np.cos(_ANGLES), HEART_RADII * np.sin(_ANGLES)], 1)


def _inside(shape: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Is the point (a, b), in px at scale 1 in the shape's frame (y up), inside the shape?"""
    if shape == SQUARE:
        return np.maximum(np.abs(a), np.abs(b)) <= SQUARE_HALF_SIDE + _TOLERANCE
    if shape == ELLIPSE:
        return (a / ELLIPSE_AXES[0]) ** 2 + (b / ELLIPSE_AXES[1]) ** 2 <= 1.0 + _TOLERANCE
    a = np.abs(a)  # mirror symmetry: only the right half is stored
    sector = np.clip(((np.arctan2(b, a) + np.pi / 2) / _SECTOR).astype(np.int64), 0, len(HEART_RADII) - 2)
    x0, y0, x1, y1 = (_VERTICES[sector + k, j] for k in (0, 1) for j in (0, 1))
    return (x1 - x0) * (b - y0) - (y1 - y0) * (a - x0) >= -_TOLERANCE  # left of the edge


def centres(positions: np.ndarray) -> np.ndarray:
    """Sprite centre in pixel coordinates of position classes 0..31 (float64)."""
    return FIRST_CENTRE + POSITION_SPAN * np.asarray(positions, dtype=np.float64) / 31.0


def render(indices: np.ndarray) -> np.ndarray:
    """dSprites images for arbitrary grid indices, uint8 [N, 64, 64, 1] with pixels 0/1."""
    indices = np.asarray(indices, dtype=np.int64)
    parts = list(render_chunks(indices))
    return np.concatenate(parts) if parts else np.zeros((0, *DSPRITES.image_shape), np.uint8)


def _rasterise(indices: np.ndarray) -> np.ndarray:
    factors = grid_factors(indices, DSPRITES.factor_sizes)  # [N, 5]
    shape, scale, orientation = factors[:, 0], SCALES[factors[:, 1]], factors[:, 2]
    cx, cy = centres(factors[:, 3]), centres(factors[:, 4])
    left = np.floor(cx).astype(np.int64) - RADIUS_PX  # [N] first column of the box
    top = np.floor(cy).astype(np.int64) - RADIUS_PX
    box = np.arange(_BOX, dtype=np.float64)
    right = (left - cx + 0.5)[:, None, None] + box[None, None, :]  # [N, 1, 31] px from centre
    up = (cy - top - 0.5)[:, None, None] - box[None, :, None]  # [N, 31, 1]
    # Rounded so that cos(pi/2) is 0 and ulp differences between platforms cannot move an edge.
    cos = np.round(np.cos(ORIENTATIONS), 12)[orientation][:, None, None] / scale[:, None, None]
    sin = np.round(np.sin(ORIENTATIONS), 12)[orientation][:, None, None] / scale[:, None, None]
    along, across = cos * right + sin * up, cos * up - sin * right  # rotate by -theta, unscale
    on = np.zeros((len(indices), _BOX, _BOX), dtype=bool)
    for kind in (SQUARE, ELLIPSE, HEART):
        rows = np.flatnonzero(shape == kind)
        if len(rows):
            on[rows] = _inside(kind, along[rows], across[rows])
    window = (np.arange(_BOX)[:, None] * IMAGE_SIZE + np.arange(_BOX)[None, :]).ravel()
    start = np.arange(len(indices)) * IMAGE_SIZE**2 + top * IMAGE_SIZE + left  # [N]
    images = np.zeros(len(indices) * IMAGE_SIZE**2, dtype=np.uint8)
    images[start[:, None] + window[None, :]] = on.reshape(len(indices), -1)
    return images.reshape(-1, IMAGE_SIZE, IMAGE_SIZE, 1)


def render_chunks(indices: np.ndarray, chunk: int = 8192) -> Iterator[np.ndarray]:
    """`render(indices)` in consecutive pieces of at most `chunk` images (bounded memory), two
    at a time in threads: numpy releases the GIL in array arithmetic, chunks are independent."""
    indices = np.asarray(indices, dtype=np.int64)
    pieces = [indices[start : start + chunk] for start in range(0, len(indices), chunk)]
    workers = max(1, min(2, torch.get_num_threads()))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for begin in range(0, len(pieces), workers):  # at most `workers` chunks held at once
            yield from pool.map(_rasterise, pieces[begin : begin + workers])
