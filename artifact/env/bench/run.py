"""`artifact bench`: the training steps measured against this machine's own limit (issue 8).

The limit is the dense (B x d) @ (d x m) product of the conv SAE's encoder at paper scale
(512 x 4096 @ 4096 x 8192): a step cannot do its useful work faster than its FLOPs at that rate.
Each row is one small function in `ROWS` (bench_rows.py) that builds a step and states its useful
FLOPs; the harness times it side by side with the matmul (alternating, the minimum of the repeats,
so a noisy shared machine slows both alike) and records the row's peak memory.

Peak memory: torch.cuda.max_memory_allocated on a GPU; on CPU the rise of the resident set's
high-water mark (VmHWM, reset through /proc/self/clear_refs after malloc_trim) during the row.
Both include the row's model, optimizer state and batch.
"""

from __future__ import annotations

import ctypes
import gc
import re
import time
from collections.abc import Callable
from pathlib import Path

import torch

from artifact.config import RunConfig
from artifact.env.bench.rows import ROWS, Row, Setup, matmul_operands
from artifact.env.determinism import configure_host_allocator
from artifact.env.preflight import require_cuda


def check_device(device: torch.device) -> None:
    """Fail with one sentence when a CUDA run is asked for on a machine without one."""
    if device.type == "cuda":
        require_cuda()


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _timed(fn: Callable[[], object], device: torch.device) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process, all threads) of one call."""
    _sync(device)
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    _sync(device)
    return time.perf_counter() - wall, time.process_time() - cpu


def _status_mb(key: str) -> float:
    match = re.search(rf"^{key}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.M)
    return int(match.group(1)) / 1024 if match else float("nan")


class _PeakMemory:
    """Peak memory over a block, in MB above its start (module docstring)."""

    def __init__(self, device: torch.device):
        self.device = device
        self.peak_mb = float("nan")

    def __enter__(self) -> _PeakMemory:
        gc.collect()
        if self.device.type == "cuda":
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats(self.device)
            self.start = torch.cuda.memory_allocated(self.device) / 2**20
            return self
        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
            Path("/proc/self/clear_refs").write_text("5")  # VmHWM := the current RSS
        except OSError:
            pass
        self.start = _status_mb("VmRSS")
        return self

    def __exit__(self, *exc) -> None:
        if self.device.type == "cuda":
            peak = torch.cuda.max_memory_allocated(self.device) / 2**20
        else:
            peak = _status_mb("VmHWM")
        self.peak_mb = max(0.0, peak - self.start)


def run_row(
    row: Row, cfg: RunConfig, device: torch.device, matmul: Callable, matmul_flops: float
) -> dict:
    """Build, warm up, then time `row` and the matmul alternately; the minimum of each counts.

    ratio_to_matmul = step time / matmul time; matmul_rate_fraction = the row's useful FLOP/s over
    the matmul's FLOP/s, both from the alternating measurements. On CPU the same ratio in process
    CPU time (cpu_ratio_to_matmul) is steadier where other processes share the cores: time spent
    waiting for a core does not count in it.
    """
    with _PeakMemory(device) as memory:
        setup: Setup = row.build(cfg, device)
        for _ in range(row.warmup):
            setup.step()
        step_s, matmul_s = [], []
        for _ in range(row.repeats):
            matmul_s.append(_timed(matmul, device))
            step_s.append(_timed(setup.step, device))
        flops, images, extra = setup.flops, setup.images, setup.extra
        del setup
    seconds, matmul_seconds = min(s[0] for s in step_s), min(s[0] for s in matmul_s)
    result = {
        "name": row.name,
        "ms_per_step": 1e3 * seconds,
        "images_per_s": images / seconds,
        "gflops": flops / seconds / 1e9,
        "ratio_to_matmul": seconds / matmul_seconds,
        "matmul_rate_fraction": (flops / seconds) / (matmul_flops / matmul_seconds),
        "peak_mb": memory.peak_mb,
        **extra,
    }
    if device.type == "cpu":
        cpu, matmul_cpu = min(s[1] for s in step_s), min(s[1] for s in matmul_s)
        result |= {"cpu_ms_per_step": 1e3 * cpu, "cpu_ratio_to_matmul": cpu / matmul_cpu}
    return result


def run_bench(
    cfg: RunConfig,
    device: torch.device,
    rows: list[Row] | None = None,
    matmul_repeats: int = 3,
    on_row: Callable[[dict], None] | None = None,
) -> dict:
    """Every row of `rows` (default: all of ROWS whose modules exist) at cfg's sizes on `device`.

    Returns {"device", "matmul": {"ms", "gflops"}, "rows": [...], "skipped": [...]}.
    """
    check_device(device)
    configure_host_allocator()
    a, b = matmul_operands(cfg, device)
    matmul = lambda: torch.mm(a, b)  # noqa: E731
    matmul()  # first call pays for library set-up
    matmul_s = [_timed(matmul, device)[0] for _ in range(matmul_repeats)]
    matmul_flops = 2.0 * a.shape[0] * a.shape[1] * b.shape[1]
    results, skipped = [], []
    for row in ROWS if rows is None else rows:
        if row.missing():
            skipped.append({"name": row.name, "why": row.missing()})
            continue
        result = run_row(row, cfg, device, matmul, matmul_flops)
        matmul_s.append(result["ms_per_step"] / result["ratio_to_matmul"] / 1e3)
        results.append(result)
        if on_row is not None:
            on_row(result)
    _add_shares(results)
    seconds = min(matmul_s)
    return {
        "device": _describe(device),
        "matmul": {"ms": 1e3 * seconds, "gflops": matmul_flops / seconds / 1e9},
        "rows": results,
        "skipped": skipped,
    }


def _add_shares(results: list[dict]) -> None:
    """share_of_step: a row's time as a fraction of the row it names in `share_of` (data vs step)."""
    by_name = {row["name"]: row for row in results}
    for row in results:
        other = by_name.get(row.get("share_of", ""))
        if other is not None:
            row["share_of_step"] = row["ms_per_step"] / other["ms_per_step"]


def _describe(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"cpu ({torch.get_num_threads()} threads)"


def format_table(report: dict) -> str:
    """The report as a fixed-width text table."""
    mm = report["matmul"]
    lines = [
        f"device: {report['device']}",
        f"matmul (limit): {mm['ms']:.1f} ms, {mm['gflops']:.1f} GFLOP/s",
        f"{'row':<20}{'ms/step':>10}{'images/s':>10}{'GFLOP/s':>9}{'x matmul':>10}"
        f"{'rate':>7}{'peak MB':>9}{'x matmul (cpu time)':>21}",
    ]
    for row in report["rows"]:
        lines.append(
            f"{row['name']:<20}{row['ms_per_step']:>10.1f}{row['images_per_s']:>10.0f}"
            f"{row['gflops']:>9.1f}{row['ratio_to_matmul']:>10.2f}"
            f"{row['matmul_rate_fraction']:>7.2f}{row['peak_mb']:>9.0f}"
            f"{row.get('cpu_ratio_to_matmul', float('nan')):>21.2f}"
        )
        if "share_of_step" in row:
            lines[-1] += f"   ({100 * row['share_of_step']:.2f}% of {row['share_of']})"
    lines.append(
        "x matmul: step time / matmul time; rate: useful FLOP/s / matmul FLOP/s (side by side)"
    )
    lines += [f"skipped {s['name']}: {s['why']}" for s in report["skipped"]]
    return "\n".join(lines)
