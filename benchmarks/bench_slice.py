"""Benchmark: `artifact reproduce --profile slice`, every phase of the paper profile at the
paper's sizes (8,192 neurons, k 500 -> 50, full grids, 10,000 evaluation samples), each stage
cut to a few batches. Not part of the test suite: it writes ~9 GB of procedural images.

Records wall time (whole command and per phase, from the runs' own epoch records), peak
resident memory of the command, every checkpoint's size, disk used by the outputs and the
prepared data, and the preflight's estimates for the same config beside them.

    python benchmarks/bench_slice.py [--dir /big/tmp] [--device cpu] [--keep] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _bytes_under(path: Path, pattern: str = "*") -> int:
    return sum(f.stat().st_size for f in path.rglob(pattern) if f.is_file())


def _phase_walls(out: Path) -> dict[str, float]:
    """Seconds per phase, summed from each phase file's own epoch records (`wall_s`). A joint
    phase's record (metrics.json) repeats its parent's stage-1 and stage-2 epochs first (the
    curve starts at pretraining): those are the pretrain phase's seconds, counted there."""
    from artifact.train.phase_plan import PHASE_STAGES

    walls: dict[str, float] = {}
    for path in sorted((out / "runs").glob("*/*.json")):
        if path.name.endswith("_summary.json"):
            continue
        record = json.loads(path.read_text())
        stages = PHASE_STAGES["joint" if path.stem == "metrics" else path.stem]
        own = [e for e in record.get("epochs") or [] if e.get("stage") in stages]
        walls[f"{path.parent.name}/{path.stem}"] = round(sum(e["wall_s"] for e in own), 2)
    return walls


def _estimates(params_path: Path, profile: str) -> dict:
    """What the preflight predicts for this config (whichever estimators exist)."""
    from artifact.config import load_params, resolve
    from artifact.env import preflight as pf

    cfg = resolve(load_params(params_path), profile)
    found = {}
    for name in (
        "estimate_cpu_seconds",
        "estimate_disk_bytes",
        "estimate_gpu_bytes",
        "estimate_ram_bytes",
        "estimate_data_disk_bytes",
    ):
        function = getattr(pf, name, None)
        if function is not None:
            found[name] = function(cfg, os.cpu_count() or 1) if "cpu" in name else function(cfg)
    return found


def _estimates_or_error(params_path: Path, profile: str) -> dict:
    """The estimates, or why there are none (the measurement is kept either way)."""
    try:
        return _estimates(params_path, profile)
    except Exception as error:  # noqa: BLE001 - a benchmark reports, it does not stop
        return {"error": f"{type(error).__name__}: {error}"}


def run(directory: Path, device: str, profile: str, extra: list[str]) -> dict:
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["paths"] = {"out": str(directory / "out"), "data_dir": str(directory / "data")}
    params_path = directory / "params.yaml"
    params_path.write_text(yaml.safe_dump(params, sort_keys=False))
    command = [
        str(Path(sys.executable).with_name("artifact")), "reproduce", "--profile", profile,
        "--params", str(params_path), "--device", device, *extra,
    ]  # fmt: skip
    started = time.perf_counter()
    completed = subprocess.run(command, cwd=directory, capture_output=True, text=True)
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    out, data = directory / "out", directory / "data"
    checkpoints = {
        str(p.relative_to(out)): p.stat().st_size for p in sorted(out.rglob("*.pt"))
    }
    return {
        "command": " ".join(command),
        "returncode": completed.returncode,
        "stderr_tail": completed.stderr[-2000:],
        "wall_s": round(wall, 1),
        "phase_wall_s": _phase_walls(out) if out.is_dir() else {},
        # CPU time of the command (steadier than wall time on a shared machine), and ru_maxrss of
        # the children: the largest resident set of the command (kB on Linux).
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "checkpoint_bytes": checkpoints,
        "out_bytes": _bytes_under(out) if out.is_dir() else 0,
        "data_bytes": _bytes_under(data) if data.is_dir() else 0,
        "preflight_estimates": _estimates_or_error(params_path, profile),
        "cpu_count": os.cpu_count(),
        "load_average_at_end": os.getloadavg(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=None, help="Work folder (default: a temp dir).")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--profile", default="slice")
    parser.add_argument("--keep", action="store_true", help="Keep the outputs and images.")
    parser.add_argument("--json", type=Path, default=None, help="Also write the result here.")
    args = parser.parse_args()
    directory = Path(args.dir or tempfile.mkdtemp(prefix="bench_slice_"))
    directory.mkdir(parents=True, exist_ok=True)
    try:
        result = run(directory, args.device, args.profile, [])
    finally:
        if not args.keep:
            shutil.rmtree(directory, ignore_errors=True)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json is not None:
        args.json.write_text(text + "\n")
    sys.exit(0 if result["returncode"] == 0 else 1)


if __name__ == "__main__":
    main()
