"""Fit of Shapes3D's softening (`scene3d.SOFTEN_SIGMA_PX`, renderer /4): the RMSE of the 53
official frames of ../shared/reference/3dshapes.gif at their walk latents (docs/data.md, "Fitted
geometry"), each with its best of the 1,000 hue combinations, for a list of blur widths.

    python benchmarks/fit_soften.py [--reference DIR] [SIGMA ...]     # default 0 0.5 0.6 0.65 0.7 0.8

Measured 2026-12-02: median 0.0612 sharp (sigma 0), 0.0565 at 0.5, 0.0553 at 0.6, 0.0552 at 0.65,
0.0552 at 0.7, 0.0557 at 0.8 (max 0.0904 sharp, 0.0837 at 0.65). About 75 s on 2 cores.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def walk_geometry(frame: int) -> tuple[int, int, int]:
    """(shape, scale, orientation) of a frame of the README GIF's walk (docs/data.md): the cube
    through the 15 orientations, the cylinder and the sphere, the capsule through the scales,
    then the largest capsule with its hues changing."""
    if frame < 15:
        return 0, 0, frame
    if frame < 17:
        return frame - 14, 0, 14
    return 3, min(frame - 17, 7), 14


def hue_candidates(shape: int, scale: int, orientation: int) -> np.ndarray:
    """Grid indices of one geometry under all 1,000 (floor, wall, object) hue combinations."""
    from artifact.data.spec import SHAPES3D

    hues = np.stack(np.meshgrid(*[np.arange(10)] * 3, indexing="ij"), -1).reshape(-1, 3)
    geometry = np.broadcast_to([scale, shape, orientation], (len(hues), 3))
    return np.ravel_multi_index(tuple(np.concatenate([hues, geometry], 1).T), SHAPES3D.factor_sizes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=REPO.parent / "shared" / "reference")
    parser.add_argument("sigmas", nargs="*", type=float, default=[0, 0.5, 0.6, 0.65, 0.7, 0.8])
    args = parser.parse_args()

    from artifact.data import fidelity, render_shapes3d, scene3d

    official = fidelity.load_reference(args.reference, "shapes3d")
    candidates = [hue_candidates(*walk_geometry(f)) for f in range(len(official))]
    # Softened here per width, from the rounded sharp weights: within a level of the renderer's.
    sharp = scene3d.geometry_table(sigma=0).astype(np.float64)
    for sigma in args.sigmas:
        table = np.round(scene3d.soften(sharp, sigma)).astype(np.uint16)
        scores = [
            fidelity.best_rmse(frame[None], [render_shapes3d.render(indices, table)]).score[0]
            for frame, indices in zip(official, candidates, strict=True)
        ]
        print(json.dumps({
            "sigma_px": sigma,
            "rmse_median": round(float(np.median(scores)), 5),
            "rmse_max": round(float(np.max(scores)), 5),
        }))  # fmt: skip


if __name__ == "__main__":
    main()
