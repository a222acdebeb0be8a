"""Benchmark: full-grid procedural prepare (render + write images.npy + sha256) of both datasets.

Targets (issue 3): dSprites' 737,280 images in under a minute and Shapes3D's 480,000 in under
two, on 2 CPU cores. Each dataset runs in its own process so that the peak resident memory
(ru_maxrss) is its own. Not part of the test suite: it writes ~9 GB to a temporary directory
(deleted afterwards).

    python benchmarks/bench_render.py [--threads 2] [--dir /big/tmp] [--render-only] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run_one(name: str, directory: Path, threads: int, render_only: bool) -> dict:
    """Prepare (or only render) the full grid of `name`; timings and peak memory."""
    import numpy as np
    import torch

    from artifact.config import load_params, resolve
    from artifact.data import prepare_dataset
    from artifact.data.procedural import iter_images
    from artifact.data.spec import get_spec

    torch.set_num_threads(threads)
    start = time.perf_counter()
    if render_only:
        n_images = sum(
            len(chunk) for chunk in iter_images(name, np.arange(get_spec(name).n_images))
        )
        size = 0
    else:
        data_cfg = resolve(load_params(Path(__file__).resolve().parents[1] / "params.yaml"), "paper").data
        # The paper profile reads the official files (`data.source: auto`); this times the renderer.
        data_cfg = data_cfg.model_copy(update={"source": "procedural"})
        folder = prepare_dataset(name, data_cfg, directory)
        n_images = get_spec(name).n_images
        size = (folder / "images.npy").stat().st_size
    seconds = time.perf_counter() - start
    return {
        "dataset": name,
        "what": "render only" if render_only else "prepare (render + write + sha256)",
        "n_images": n_images,
        "seconds": round(seconds, 1),
        "images_per_s": round(n_images / seconds),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "cache_gb": round(size / 1e9, 2),
        "threads": threads,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--dir", type=Path, default=None, help="where to write (default: a temp dir)"
    )
    parser.add_argument("--render-only", action="store_true", help="render without writing")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--one", default=None, help=argparse.SUPPRESS)  # child process
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.dir, args.threads, args.render_only)))
        return
    results = []
    for name in ("dsprites", "shapes3d"):
        directory = Path(tempfile.mkdtemp(prefix=f"bench-{name}-", dir=args.dir))
        try:
            command = [
                sys.executable,
                __file__,
                "--one",
                name,
                "--dir",
                str(directory),
                "--threads",
                str(args.threads),
            ]
            output = subprocess.run(
                command + (["--render-only"] if args.render_only else []),
                check=True,
                capture_output=True,
                text=True,
            )
            results.append(json.loads(output.stdout.strip().splitlines()[-1]))
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        row = results[-1]
        print(
            f"{row['dataset']:<9} {row['what']}: {row['n_images']} images in {row['seconds']} s ({row['images_per_s']}/s), peak RSS {row['peak_rss_mb']} MB, cache {row['cache_gb']} GB, {row['threads']} threads"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
