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


def bench(
    device: BenchDevice = "cpu",
    as_json: JsonOption = False,
    params: ParamsOption = Path("params.yaml"),
) -> None:
    """Time the training steps at paper scale against this machine's dense matmul rate.

    VAE, SAE (Top-k sparse and dense, L1), joint step and evaluation, side by side with the dense
    (512x4096)@(4096x8192) matmul; --json prints {matmul, rows}.
    """
    import torch

    from artifact.env.bench.run import format_table, run_bench
    from artifact.env.determinism import configure_determinism

    cfg = run_config(params, "paper")  # the paper's sizes, whatever the file's profile
    torch_device = torch.device(device)  # run_bench refuses cuda without a device, in one line
    configure_determinism(torch_device, cfg.train.precision)  # the settings training runs under
    progress = (
        None
        if as_json
        else lambda row: typer.echo(f"  {row['name']}: {row['ms_per_step']:.1f} ms", err=True)
    )
    report = run_bench(cfg, torch_device, on_row=progress)
    typer.echo(json.dumps(report, indent=2) if as_json else format_table(report))


def register(app: typer.Typer) -> None:
    """Add `artifact bench` to the CLI."""
    app.command("bench")(handle_errors(bench))
