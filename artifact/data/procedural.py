"""One entry point to both procedural renderers, by dataset name."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from artifact.data import render_dsprites, render_shapes3d
from artifact.data.spec import SHAPES3D, get_spec


def render_images(name: str, indices: np.ndarray) -> np.ndarray:
    """Images of the given grid indices, uint8 [N, 64, 64, C] (small sets: figures, tests)."""
    get_spec(name)
    module = render_dsprites if name == "dsprites" else render_shapes3d
    return module.render(np.asarray(indices, dtype=np.int64))


def iter_images(name: str, indices: np.ndarray) -> Iterator[np.ndarray]:
    """Images of the given grid indices in order, in chunks of bounded size; the full Shapes3D
    grid takes the fast path that shares work across hues (same bytes as `render_images`)."""
    get_spec(name)
    indices = np.asarray(indices, dtype=np.int64)
    if name == "dsprites":
        yield from render_dsprites.render_chunks(indices)
    elif len(indices) == SHAPES3D.n_images and np.array_equal(indices, np.arange(len(indices))):
        yield from render_shapes3d.render_grid()
    else:
        yield from render_shapes3d.render_chunks(indices)
