"""`artifact bench`: the speed of each training step against this machine's dense matmul (bench.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import typer

from artifact.cli.common import handle_errors, run_config
from artifact.cli.options import JsonOption, ParamsOption

BenchDevice = Annotated[
    Literal["cpu", "cuda"], typer.Option("--device", help="Where to run the steps: cpu or cuda.")
]


ProjectOption = Annotated[
    bool,
    typer.Option("--project", help="Also predict the paper suite's wall time from the steps."),
]
FromOption = Annotated[
    Path | None,
    typer.Option("--from", help="Project from this bench (or GPU-check) JSON instead of running."),
]
GpuCheckOption = Annotated[
    Path,
    typer.Option("--gpu-check", help="With --project: a GPU check's JSON, projected too if present."),
]


def bench(
    device: BenchDevice = "cpu",
    as_json: JsonOption = False,
    params: ParamsOption = Path("params.yaml"),
    project: ProjectOption = False,
    from_report: FromOption = None,
    gpu_check: GpuCheckOption = Path("gpu_check.json"),
) -> None:
    """Time the training steps at paper scale against this machine's dense matmul rate.

    VAE, SAE (Top-k sparse and dense, L1), joint step and evaluation, side by side with the dense
    (512x4096)@(4096x8192) matmul; --json prints {matmul, rows}. --project adds the paper suite's
    predicted wall time on this machine and, when --gpu-check's file exists, on that GPU.
    """
    import torch

    from artifact.env.bench.project import format_projection, read_bench_report
    from artifact.env.bench.project import project as project_suite
    from artifact.env.bench.run import format_table, run_bench
    from artifact.env.determinism import configure_determinism

    cfg = run_config(params, "paper")  # the paper's sizes, whatever the file's profile
    if from_report is not None:  # nothing to time: the projection of a report made elsewhere
        projection = project_suite(read_bench_report(from_report), cfg)
        typer.echo(json.dumps(projection, indent=2) if as_json else format_projection(projection))
        return
    torch_device = torch.device(device)  # run_bench refuses cuda without a device, in one line
    configure_determinism(torch_device, cfg.train.precision)  # the settings training runs under
    progress = (
        None
        if as_json
        else lambda row: typer.echo(f"  {row['name']}: {row['ms_per_step']:.1f} ms", err=True)
    )
    report = run_bench(cfg, torch_device, on_row=progress)
    if project:
        report["projection"] = project_suite(report, cfg)
        if gpu_check.is_file():
            report["gpu_projection"] = project_suite(read_bench_report(gpu_check), cfg)
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    typer.echo(format_table(report))
    for key in ("projection", "gpu_projection"):
        if key in report:
            typer.echo(format_projection(report[key]))


def register(app: typer.Typer) -> None:
    """Add `artifact bench` to the CLI."""
    app.command("bench")(handle_errors(bench))
