"""`artifact reproduce`: the whole experiment, with a progress display."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from artifact.cli import slurm as slurm_cli
from artifact.cli.common import handle_errors, own_command, run_config
from artifact.cli.options import (
    DeviceOption,
    FreshOption,
    OutDirOption,
    ParamsOption,
    ReproduceProfileOption,
)

console = Console(stderr=True)


def _resolve_profile(profile: str, has_cuda: bool) -> str:
    if profile != "auto":
        return profile
    chosen = "paper" if has_cuda else "smoke"
    console.print(f"profile auto -> {chosen} ({'CUDA found' if has_cuda else 'no CUDA device'})")
    return chosen


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


@handle_errors
def reproduce(
    profile: ReproduceProfileOption = "auto",
    params: ParamsOption = Path("params.yaml"),
    out: OutDirOption = None,
    fresh: FreshOption = False,
    device: DeviceOption = "auto",
    workers: Annotated[
        int, typer.Option("--workers", "-j", min=1, help="Parallel worker processes (one GPU each when available).")
    ] = 1,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate params, run the preflight, print the plan; train nothing.")
    ] = False,
    data: Annotated[
        Literal["auto", "official", "procedural"] | None,
        typer.Option(
            "--data",
            help="Image source; default data.source (auto: official at the paper profile, "
            "fetched when missing; procedural otherwise, offline, verdicts not_comparable).",
        ),
    ] = None,
    executor: slurm_cli.ExecutorOption = "local",
    no_wait: slurm_cli.NoWaitOption = False,
    partition: slurm_cli.PartitionOption = None,
    account: slurm_cli.AccountOption = None,
    gpus_per_task: slurm_cli.GpusOption = None,
    cpus_per_task: slurm_cli.CpusOption = None,
    mem_gb: slurm_cli.MemOption = None,
    time_min: slurm_cli.TimeOption = None,
    sbatch: slurm_cli.SbatchOption = None,
) -> None:
    """Run the whole experiment and write its report; resumes from the last complete epoch.

    Data, 2 datasets x {Top-k, L1} x seeds, extended training, metrics, aggregate, claims,
    audit and report, in that order.
    """
    from artifact.env.determinism import pick_device
    from artifact.env.preflight import preflight
    from artifact.experiment.plan import RunPlan
    from artifact.experiment.reproduce import reproduce as run_all

    if executor == "slurm":  # the tasks' nodes, not this one, decide the device and profile
        slurm = slurm_cli.slurm_settings(
            params, partition=partition, account=account, gpus_per_task=gpus_per_task,
            cpus_per_task=cpus_per_task, mem_gb=mem_gb, time_min=time_min, sbatch=sbatch,
        )  # fmt: skip
        cfg = run_config(params, _resolve_profile(profile, slurm.gpus_per_task > 0), out, data)
        if not slurm.gpus_per_task:  # CPU-only tasks: refuse the paper profile here, at once
            preflight(cfg.profile, "cpu", Path(cfg.paths.out), cfg)
        if not dry_run:
            return slurm_cli.run_on_slurm(cfg, slurm, device, fresh, no_wait, console)
    from artifact.experiment.parallel import n_workers

    torch_device = pick_device(device)
    if executor == "local":
        chosen = _resolve_profile(profile, torch_device.type == "cuda")
        cfg = run_config(params, chosen, out, data)
        workers = n_workers(cfg, workers)  # never more workers than chains
        preflight(cfg.profile, torch_device.type, Path(cfg.paths.out), cfg, workers)
    plan = RunPlan.from_config(cfg)
    console.print(
        f"profile {cfg.profile}, data {cfg.data.source}, device {torch_device}, "
        f"{len(plan.phases)} phases, {workers} worker{'s' if workers > 1 else ''} -> "
        f"{cfg.paths.out}{' (fresh)' if fresh else ' (resuming where possible)'}"
    )
    if dry_run:
        for phase, key in plan.phases:
            typer.echo(f"{phase} {key.for_phase(phase).name}")
        typer.echo(f"config digest {cfg.digest()}")
        return
    with _progress() as bars:
        phases = bars.add_task("phases", total=len(plan.phases))
        epochs = bars.add_task("epochs", total=None)

        def on_phase(number: int, total: int, name: str) -> None:
            bars.update(phases, completed=number, description=f"phase {name}")

        def on_epoch(name: str, record: dict) -> None:
            dead = record.get("dead_pct")
            detail = f" dead {dead:.1f}%" if dead is not None else ""
            bars.update(
                epochs, advance=1, description=f"{record['stage']} ep {record['epoch']}{detail}"
            )

        report = run_all(cfg, torch_device, fresh, on_phase, on_epoch, workers)
        bars.update(phases, completed=len(plan.phases))
    typer.echo(f"report: {report}")
    typer.echo(f"claims: {own_command()} verify-claims --metrics {shlex.quote(str(cfg.paths.out))}")


def register(app: typer.Typer) -> None:
    app.command("reproduce")(reproduce)
