"""A picture to look at: each factor walked through its values, the others held fixed.

One row per factor; up to `n_columns` of its values, evenly spaced. With the official file at
hand the same grid images are shown beside the procedural ones, so a reader sees at once whether
the renderer looks like the dataset.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from artifact.data.official import load_official
from artifact.data.procedural import render_images
from artifact.data.spec import DatasetSpec, get_spec
from artifact.errors import InputError
from artifact.storage.atomic import atomic_write

# --out's suffix picks the format (matplotlib writes JPEG through Pillow).
FORMATS = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".pdf": "pdf", ".svg": "svg"}

# The configuration every row starts from (class indices, official factor order).
BASE = {
    "dsprites": (2, 5, 0, 16, 16),  # heart, largest, upright, centred
    "shapes3d": (
        0,
        5,
        2,
        4,
        0,
        7,
    ),  # red floor, cyan wall, yellow-green object, mid scale, cube, 0 deg
}


def walk_indices(spec: DatasetSpec, n_columns: int) -> np.ndarray:
    """Grid indices [K, n_columns] (-1: no image): row k walks factor k, the others at BASE."""
    base = np.minimum(BASE[spec.name], np.array(spec.factor_sizes) - 1)
    walks = np.full((len(spec.factor_sizes), n_columns), -1, dtype=np.int64)
    for k, size in enumerate(spec.factor_sizes):
        values = np.unique(
            np.round(np.linspace(0, size - 1, min(size, n_columns))).astype(np.int64)
        )
        factors = np.repeat(base[None], len(values), 0)
        factors[:, k] = values
        walks[k, : len(values)] = np.ravel_multi_index(tuple(factors.T), spec.factor_sizes)
    return walks


def _mosaic(images: np.ndarray, walks: np.ndarray, spec: DatasetSpec, gap: int = 2) -> np.ndarray:
    """RGB uint8 mosaic of the walk: one 64x64 tile per index, grey gaps, blank where -1."""
    rows, columns = walks.shape
    tile = 64 + gap
    canvas = np.full((rows * tile + gap, columns * tile + gap, 3), 96, dtype=np.uint8)
    lookup = {int(i): image for i, image in zip(np.unique(walks[walks >= 0]), images, strict=True)}
    for (r, c), index in np.ndenumerate(walks):
        if index >= 0:
            image = lookup[int(index)] * (255 // spec.pixel_max)
            canvas[gap + r * tile : gap + r * tile + 64, gap + c * tile : gap + c * tile + 64] = (
                image
            )
    return canvas


def show_factors(
    name: str, out: Path, official_file: Path | None = None, n_columns: int = 10
) -> Path:
    """Write a picture of the factor walk (PNG, JPEG, PDF or SVG by `out`'s suffix):
    procedural, and official beside it if `official_file`."""
    out = Path(out)
    kind = FORMATS.get(out.suffix.lower())
    if kind is None:  # refused before any rendering
        raise InputError(f"cannot write a picture named {out.name}; give --out a name ending in "
                         f"{', '.join(FORMATS)}.")  # fmt: skip
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    spec = get_spec(name)
    walks = walk_indices(spec, n_columns)
    wanted = np.unique(walks[walks >= 0])
    panels = [("procedural", _mosaic(render_images(name, wanted), walks, spec))]
    if official_file is not None:
        images, _ = load_official(spec, official_file, wanted)
        panels.append(("official", _mosaic(images, walks, spec)))
    height, width = panels[0][1].shape[:2]
    figure, axes = plt.subplots(
        1, len(panels), figsize=(len(panels) * width / 60 + 1.2, height / 60 + 0.6), squeeze=False
    )
    for axis, (title, mosaic) in zip(axes[0], panels, strict=True):
        axis.imshow(mosaic, interpolation="nearest")
        axis.set_title(f"{name}: {title}")
        axis.set_yticks([2 + 66 * k + 32 for k in range(len(spec.factor_names))])
        axis.set_yticklabels(
            [f"{n} ({s})" for n, s in zip(spec.factor_names, spec.factor_sizes, strict=True)]
        )
        axis.set_xticks([])
    figure.tight_layout()
    atomic_write(out, lambda handle: figure.savefig(handle, format=kind, dpi=100))
    plt.close(figure)
    return out
