"""The first thing to run on a GPU: one JSON file saying whether the paper profile fits and what
it will cost. benchmarks/gpu_check.sh runs it (and sizes it to 8 minutes on one H200).

1. `artifact bench --device cuda --json`: every training step at paper scale.
2. `artifact reproduce --profile slice` on the GPU, in this process so that the peak GPU memory
   of each phase is read (torch.cuda.max_memory_allocated, reset between phases): wall time per
   phase (data, each training phase, the aggregate/claims/report finish).
3. The slice's first pretrain phase run again into a second directory: its epoch records and
   checkpoint tensors compared for bit-identity with the first.
4. The projected wall time of the whole paper suite on one such GPU, from the measured step
   times (artifact/env/bench/project.py, the model of `artifact bench --project`).

`--cpu-smoke`: the same four steps on the CPU at toy sizes (a tiny params file, the smoke
profile), so CI keeps the script working (tests/env/test_gpu_check.py); its numbers mean nothing.

    python benchmarks/gpu_check.py --json gpu_check.json [--work DIR] [--cpu-smoke]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
ARTIFACT = str(Path(sys.executable).with_name("artifact"))
# --cpu-smoke: the repository's params shrunk to seconds (one dataset, a narrow VAE, a 64-wide
# SAE, k <= 8).
TOY = {
    "data": {"datasets": ["dsprites"]},
    "model": {"conv_channels": [8, 8, 16, 16], "conv_sae_width": 64},
    "train": {
        "seeds": [42],
        "batch_size": 64,
        "stage2": {"k": 8},
        "stage3": {"k_start": 8, "k_end": 4},
    },
    "profiles": {
        "paper": {"n_eval_samples": 128},
        "smoke": {"epoch_scale": 0.01, "sae_width_scale": 1.0, "max_images": 256,
                  "n_eval_samples": 48, "max_batches_per_epoch": 1},
    },
}  # fmt: skip


def _params(work: Path, cpu_smoke: bool) -> Path:
    from artifact.config import deep_merge

    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    if cpu_smoke:
        raw = deep_merge(raw, TOY)
    raw["paths"] = {"out": str(work / "out"), "data_dir": str(work / "data")}
    path = work / "params.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def bench(params: Path, device: str) -> dict:
    """`artifact bench --json` in its own process."""
    command = [ARTIFACT, "bench", "--device", device, "--json", "--params", str(params)]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        return {"command": " ".join(command), "error": done.stderr.strip()[-2000:]}
    report = json.loads(done.stdout)
    return report | {"command": " ".join(command), "wall_s": time.perf_counter() - started}


class PhaseMeter:
    """Wall time and peak memory of each phase of a `reproduce`, from its on_phase callback."""

    def __init__(self, device):
        self.device, self.phases, self.name = device, [], "data"
        self.started = time.perf_counter()
        self._reset()

    def _reset(self) -> None:
        import torch

        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)

    def _peak_mb(self) -> float:
        import torch

        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            return torch.cuda.max_memory_allocated(self.device) / 2**20
        for line in Path("/proc/self/status").read_text().splitlines():  # the process's high water
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def close(self, next_name: str) -> None:
        now = time.perf_counter()
        self.phases.append({"phase": self.name, "wall_s": round(now - self.started, 3),
                            "peak_mb": round(self._peak_mb(), 1)})  # fmt: skip
        self.name, self.started = next_name, now
        self._reset()

    def on_phase(self, number: int, total: int, name: str) -> None:
        self.close(name)


def slice_run(params: Path, profile: str, device) -> tuple[dict, object]:
    from artifact.config import load_params, resolve
    from artifact.experiment import reproduce as experiment

    cfg = resolve(load_params(params), profile)
    meter = PhaseMeter(device)
    real_finish = experiment.finish

    def metered_finish(run_cfg):  # reproduce's last step: aggregate, claims, audit, report
        meter.close("finish (aggregate, claims, report)")
        return real_finish(run_cfg)

    started = time.perf_counter()
    experiment.finish = metered_finish
    try:
        experiment.reproduce(cfg, device, fresh=True, on_phase=meter.on_phase)
    finally:
        experiment.finish = real_finish
    meter.close("")
    return {
        "profile": profile,
        "data_source": cfg.data.source,
        "wall_s": round(time.perf_counter() - started, 2),
        "phases": meter.phases,
        "peak_mb_max": max(p["peak_mb"] for p in meter.phases),
        "peak_kind": "torch.cuda.max_memory_allocated" if device.type == "cuda" else "VmHWM (RSS)",
    }, cfg


def _epochs(path: Path) -> list[dict]:
    return [{k: v for k, v in e.items() if k != "wall_s"} for e in json.loads(path.read_text())["epochs"]]


def bit_identity(cfg, device) -> dict:
    """The first pretrain phase again, into another directory: identical records and tensors?"""
    import torch

    from artifact.experiment.layout import phase_paths
    from artifact.experiment.phase import run_phase
    from artifact.train.checkpoint import load_checkpoint
    from artifact.train.run_key import RunKey

    key = RunKey(cfg.data.datasets[0], cfg.train.seeds[0])
    again = cfg.model_copy(
        update={"paths": cfg.paths.model_copy(update={"out": Path(cfg.paths.out).with_name("repeat")})}
    )
    started = time.perf_counter()
    run_phase("pretrain", key, again, device, fresh=True)
    first, second = (phase_paths(c.paths.out, key, "pretrain") for c in (cfg, again))
    records_equal = _epochs(first.metrics) == _epochs(second.metrics)
    a, b = (load_checkpoint(p.checkpoint) for p in (first, second))
    model_a, model_b = a["model"], b["model"]
    differing = sorted(n for n in model_a if not torch.equal(model_a[n], model_b[n]))
    return {
        "phase": f"pretrain {key.name}",
        "wall_s": round(time.perf_counter() - started, 2),
        "records_identical": records_equal,
        "tensors_compared": len(model_a),
        "tensors_differing": differing[:20],
        "bit_identical": records_equal and not differing and model_a.keys() == model_b.keys(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, required=True, help="Where to write the result.")
    parser.add_argument("--work", type=Path, default=None, help="Scratch folder (default: temp).")
    parser.add_argument("--cpu-smoke", action="store_true", help="Toy sizes on the CPU (CI).")
    parser.add_argument("--skip-bench", action="store_true", help="Steps 2-3 only (a rerun).")
    args = parser.parse_args()
    import torch

    from artifact.config import load_params, resolve
    from artifact.env.bench.project import project
    from artifact.env.determinism import pick_device
    from artifact.storage.atomic import write_json

    device = torch.device("cpu") if args.cpu_smoke else pick_device("cuda")
    work = Path(args.work or tempfile.mkdtemp(prefix="gpu_check_"))
    work.mkdir(parents=True, exist_ok=True)
    params = _params(work, args.cpu_smoke)
    result: dict = {
        "mode": "cpu-smoke (toy sizes: the numbers mean nothing)" if args.cpu_smoke else "gpu",
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "torch": torch.__version__, "cuda": torch.version.cuda, "cpu_count": os.cpu_count(),
    }  # fmt: skip
    started = time.perf_counter()
    if not args.skip_bench:
        result["bench"] = bench(params, device.type)
    result["slice"], cfg = slice_run(params, "smoke" if args.cpu_smoke else "slice", device)
    result["bit_identity"] = bit_identity(cfg, device)
    if "bench" in result:
        bench_report = result["bench"]
        if "rows" in bench_report:  # the one projection model: artifact/env/bench/project.py
            result["projection"] = project(bench_report, resolve(load_params(params), "paper"))
    result["total_wall_s"] = round(time.perf_counter() - started, 1)
    write_json(args.json, result)
    print(json.dumps({k: result[k] for k in ("mode", "device", "total_wall_s")}))
    sys.exit(0 if result["bit_identity"]["bit_identical"] else 1)


if __name__ == "__main__":
    main()
