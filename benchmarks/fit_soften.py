"""Fit of Shapes3D's softening (`scene3d.SOFTEN_SIGMA_PX`, renderer /4): the RMSE of the 53
official frames of ../shared/reference/3dshapes.gif at their walk latents (docs/data.md, "Fitted
geometry"), each with its best of the 1,000 hue combinations, for a list of blur widths.

    python benchmarks/fit_soften.py [--reference DIR] [SIGMA ...]     # default 0 0.5 0.6 0.65 0.7 0.8

Measured 2026-12-02: median 0.0612 sharp (sigma 0), 0.0565 at 0.5, 0.0553 at 0.6, 0.0552 at 0.65,
0.0552 at 0.7, 0.0557 at 0.8 (max 0.0904 sharp, 0.0837 at 0.65). About 2 minutes on 2 cores.
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


def best_hue_rmse(weights: np.ndarray, official: np.ndarray) -> float:
    """Lowest RMSE on [0, 1] of one frame over the 1,000 hue combinations of one geometry's
    weights [64, 64, 4], coloured as `render_shapes3d` does."""
    from artifact.data import render_shapes3d, scene3d

    w = weights.astype(np.float64)
    colours = render_shapes3d.palette().numpy().astype(np.float64)
    sky = np.array(render_shapes3d.SKY_RGB)
    floor = w[..., scene3d.FLOOR, None] * colours[:, None, None, None, None, :]
    wall = w[..., scene3d.WALL, None] * colours[None, :, None, None, None, :]
    obj = w[..., scene3d.OBJECT, None] * colours[None, None, :, None, None, :]
    total = floor + wall + obj + w[..., scene3d.SKY, None] * sky + scene3d.WEIGHT_ONE // 2
    images = (total // scene3d.WEIGHT_ONE).reshape(1000, -1)
    return float(np.sqrt(((images - official.reshape(1, -1)) ** 2).mean(1).min()) / 255)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=REPO.parent / "shared" / "reference")
    parser.add_argument("sigmas", nargs="*", type=float, default=[0, 0.5, 0.6, 0.65, 0.7, 0.8])
    args = parser.parse_args()

    from artifact.data import fidelity, scene3d

    official = fidelity.load_reference(args.reference, "shapes3d").astype(np.float64)
    geometries = [walk_geometry(f) for f in range(len(official))]
    orientations = sorted({o for _, _, o in geometries})
    sharp = {  # softened here per width: from the rounded sharp weights, within a level of /4's
        o: scene3d.shade_views(scene3d.ORIENTATIONS_DEG[o], sigma=0) for o in orientations
    }
    for sigma in args.sigmas:
        scores = [
            best_hue_rmse(np.round(scene3d.soften(sharp[o][s, c].astype(np.float64), sigma)), f)
            for f, (s, c, o) in zip(official, geometries, strict=True)
        ]
        print(json.dumps({
            "sigma_px": sigma,
            "rmse_median": round(float(np.median(scores)), 5),
            "rmse_max": round(float(np.max(scores)), 5),
        }))  # fmt: skip


if __name__ == "__main__":
    main()
