"""`artifact reproduce --executor slurm`: its options (over params.yaml's `slurm:` section),
the submission and the progress display while the jobs run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from artifact.errors import ConfigError

PANEL = "SLURM (--executor slurm; default: the slurm: section of params.yaml)"
ExecutorOption = Annotated[
    Literal["local", "slurm"],
    typer.Option("--executor", help="local: this machine (-j N workers); slurm: a job array task "
                 "per (dataset, seed) chain, then aggregate/claims/report after them (afterok)."),
]  # fmt: skip
NoWaitOption = Annotated[
    bool, typer.Option("--no-wait", help="Print the job ids and return at once.", rich_help_panel=PANEL)
]
PartitionOption = Annotated[str | None, typer.Option("--partition", rich_help_panel=PANEL)]
AccountOption = Annotated[str | None, typer.Option("--account", rich_help_panel=PANEL)]
GpusOption = Annotated[int | None, typer.Option("--gpus-per-task", min=0, rich_help_panel=PANEL)]
CpusOption = Annotated[
    int | None,
    typer.Option("--cpus-per-task", min=1, rich_help_panel=PANEL, help="Also the task's torch threads."),
]
MemOption = Annotated[int | None, typer.Option("--mem-gb", min=1, rich_help_panel=PANEL)]
TimeOption = Annotated[
    int | None,
    typer.Option("--time-min", min=1, rich_help_panel=PANEL, help="Per task; checkpoint and requeue at the limit."),
]
SbatchOption = Annotated[
    list[str] | None,
    typer.Option("--sbatch", rich_help_panel=PANEL, help="Extra sbatch option KEY=VALUE (repeatable)."),
]


def slurm_settings(params: Path, **options):
    """params.yaml's `slurm:` section with the options given on the command line over it."""
    from artifact.config import load_params
    from artifact.config.slurm import SlurmConfig

    base = load_params(params).slurm
    extra = dict(base.extra_sbatch)
    for item in options.pop("sbatch") or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip("-"):
            raise ConfigError(f"--sbatch takes KEY=VALUE (e.g. --sbatch qos=normal), not '{item}'.")
        extra[key.strip("-")] = value
    chosen = {k: v for k, v in options.items() if v is not None}
    return SlurmConfig.model_validate(base.model_dump() | chosen | {"extra_sbatch": extra})


def run_on_slurm(cfg, slurm, device: str, fresh: bool, no_wait: bool, console: Console) -> None:
    """Submit what the output directory lacks, print the job ids, and (unless no_wait) show
    progress until the report is written or a job fails (one sentence, exit code 4)."""
    from artifact.experiment.layout import slurm_dir
    from artifact.experiment.slurm import submit, wait

    submission = submit(cfg, slurm, device, fresh)
    if not submission.job_ids:
        typer.echo(f"nothing to submit: every phase and the report in {cfg.paths.out} are complete.")
        return
    for line in submission.describe(slurm_dir(cfg.paths.out)):
        typer.echo(line)
    if no_wait:
        typer.echo(f"progress: artifact status --out {cfg.paths.out}")
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console) as bars:  # fmt: skip
        phases = bars.add_task("phases complete", total=None)

        def on_poll(snapshot) -> None:
            tasks = ", ".join(f"{n} {state}" for state, n in sorted(snapshot.chain_states.items()))
            final = snapshot.final.lower() if snapshot.final != "GONE" else "ended"
            bars.update(phases, total=snapshot.phases_total, completed=snapshot.phases_done,
                        description=f"chains: {tasks or 'none'}; final job {final}")  # fmt: skip

        try:
            report = wait(cfg, submission, slurm.poll_s, on_poll)
        except KeyboardInterrupt:  # only the waiting stops: the jobs are SLURM's now
            typer.echo(f"stopped waiting; the jobs keep running: artifact status --out {cfg.paths.out}", err=True)
            raise typer.Exit(130) from None
    typer.echo(f"report: {report}")
    typer.echo(f"claims: artifact verify-claims --metrics {cfg.paths.out}")
