"""Benchmark: how close the procedural renderers come to the official pixels (issue 19).

For every official frame in ../shared/reference/ (dsprites.gif: 320 frames; 3dshapes.gif: 53),
its best match over the full procedural grid: dSprites IoU median / min and the count of
pixel-identical frames, Shapes3D RMSE median / max on [0, 1], and the time of each full-grid
render + match. Writes one picture per dataset (official | best match | difference).
Goals: dSprites median IoU >= 0.98 with most frames identical; Shapes3D median RMSE <= 0.06.

    python benchmarks/bench_fidelity.py [--reference DIR] [--out DIR] [--threads 2] [--json F]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=REPO.parent / "shared" / "reference")
    parser.add_argument("--out", type=Path, default=REPO / "build" / "fidelity")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--dataset", choices=("dsprites", "shapes3d", "both"), default="both")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    import torch

    from artifact.data.fidelity import measure

    torch.set_num_threads(args.threads)
    names = ("dsprites", "shapes3d") if args.dataset == "both" else (args.dataset,)
    rows = []
    for name in names:
        figures, _ = measure(name, args.reference, args.out / f"fidelity_{name}.png")
        rows.append(figures)
        print(json.dumps(figures))
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
