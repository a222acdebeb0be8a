"""Procedural Shapes3D: colour the 480 precomputed geometries with floor, wall and object hues.

The official hues are 10 values in [0, 1) (0.0, 0.1, ..., 0.9); the official frames show them as
HSV hues at full saturation and value (measured on the reference frames: a lit red floor is
(255, 0, 0), a lit blue wall (0, 102, 255), hue 0.6), and the sky as one light blue
(153, 226, 249) whatever the hues. A pixel is sum_l weight_l * rgb_l / 4096 over l in {floor,
wall, object, sky}, with the weights of `scene3d` (coverage x brightness, fixed point). Weights
(< 2^13) and colours (< 2^8) are integers and the sums stay below 2^24, so float32 computes them
exactly: the bytes do not depend on the order of operations, the chunking or the machine.
"""

from __future__ import annotations

import colorsys
from collections.abc import Iterator

import numpy as np
import torch

from artifact.data import scene3d
from artifact.data.spec import IMAGE_SIZE, SHAPES3D, grid_factors

HUES = np.arange(10) / 10.0
SKY_RGB = (153.0, 226.0, 249.0)  # measured on the official frames
N_GEOMETRIES = 8 * 4 * 15  # scale x shape x orientation: the inner, fastest factors


def palette() -> torch.Tensor:
    """RGB of the 10 hues at full saturation and value, float32 [10, 3] holding 0..255."""
    rgb = [colorsys.hsv_to_rgb(hue, 1.0, 1.0) for hue in HUES]
    return torch.tensor(np.round(np.array(rgb) * 255.0), dtype=torch.float32)


def geometry_weights(geometry_ids: np.ndarray) -> dict[int, np.ndarray]:
    """Weights [64, 64, 3] of each geometry id asked for, ray casting only the orientations
    they need (a geometry id is (scale * 4 + shape) * 15 + orientation)."""
    wanted = np.unique(geometry_ids)
    views = scene3d.shade_orientations(wanted % 15)  # each [4 shapes, 8 scales, 64, 64, 3]
    return {int(g): views[int(g % 15)][(g // 15) % 4, g // 60] for g in wanted}


def _planes(table: np.ndarray) -> torch.Tensor:
    """Weights as contiguous float32 planes [4 labels, G, 64 * 64]: per-label, per-channel
    arithmetic then runs on contiguous rows."""
    planes = torch.from_numpy(table.astype(np.float32)).permute(3, 0, 1, 2)
    return planes.reshape(4, len(table), IMAGE_SIZE * IMAGE_SIZE).contiguous()


def render_chunks(
    indices: np.ndarray, chunk: int = 128, table: np.ndarray | None = None
) -> Iterator[np.ndarray]:
    """Shapes3D images of arbitrary grid indices, in order, in pieces of at most `chunk` images
    (uint8 [n, 64, 64, 3]). `table` is `scene3d.geometry_table()` if the caller has it;
    otherwise only the orientations these indices use are ray cast."""
    indices = np.asarray(indices, dtype=np.int64)
    geometry = indices % N_GEOMETRIES
    if table is None:
        weights_of = geometry_weights(geometry)
        unique = np.array(sorted(weights_of), dtype=np.int64)
        table = np.stack([weights_of[int(g)] for g in unique]) if len(unique) else table
        geometry = np.searchsorted(unique, geometry)
    if len(indices) == 0:
        return
    planes, colours, one = _planes(table), palette(), scene3d.WEIGHT_ONE
    for start in range(0, len(indices), chunk):
        part = slice(start, start + chunk)
        factors = torch.from_numpy(grid_factors(indices[part], SHAPES3D.factor_sizes))
        hues = [colours[factors[:, k]] for k in range(3)]  # floor, wall, object: [n, 3] each
        weights = planes[:, torch.from_numpy(geometry[part])]  # [4, n, 4096]
        images = torch.empty((len(factors), IMAGE_SIZE * IMAGE_SIZE, 3), dtype=torch.uint8)
        for channel in range(3):
            total = weights[scene3d.SKY] * SKY_RGB[channel]
            total = total + sum(weights[k] * hues[k][:, channel, None] for k in range(3))
            images[..., channel] = torch.floor((total + one // 2) / one)
        yield images.reshape(-1, IMAGE_SIZE, IMAGE_SIZE, 3).numpy()


def render(indices: np.ndarray, table: np.ndarray | None = None) -> np.ndarray:
    """Shapes3D images of arbitrary grid indices, uint8 [N, 64, 64, 3]."""
    parts = list(render_chunks(indices, table=table))
    return np.concatenate(parts) if parts else np.zeros((0, *SHAPES3D.image_shape), np.uint8)


def render_grid(table: np.ndarray | None = None) -> Iterator[np.ndarray]:
    """The whole grid in order: 100 chunks of 4,800 images (one floor hue and one wall hue; all
    object hues and geometries), each uint8 [4800, 64, 64, 3].

    Same numbers as `render`, computed per colour channel on contiguous weight planes so that
    each output byte costs one add and one conversion: (sky + floor + wall + 2048) / 4096 is shared by
    the 10 object hues, and scaling by 1/4096 keeps every value exact.
    """
    table = scene3d.geometry_table() if table is None else table
    one = scene3d.WEIGHT_ONE
    floor_plane, wall_plane, object_plane, sky_plane = _planes(table).reshape(4, -1)
    object_plane = object_plane / one
    colours = palette().tolist()
    total = torch.empty_like(object_plane)
    for floor in range(10):
        for wall in range(10):
            chunk = torch.empty((10, len(object_plane), 3), dtype=torch.uint8)
            for channel in range(3):
                base = floor_plane * colours[floor][channel] + wall_plane * colours[wall][channel]
                base = base + sky_plane * SKY_RGB[channel]
                base = (base + one // 2) / one
                for obj in range(10):
                    torch.add(base, object_plane, alpha=colours[obj][channel], out=total)
                    chunk[obj, :, channel] = total  # float -> uint8 truncates: the floor
            yield chunk.reshape(-1, IMAGE_SIZE, IMAGE_SIZE, 3).numpy()
