"""The `artifact` command line: thin. Each command parses, loads config, calls one library
function and prints. Library errors (ArtifactError) become one line on stderr and an exit code."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from artifact import cli_bench, cli_claims, cli_data, cli_env, cli_report
from artifact.cli_common import OutDirOption, ParamsOption, handle_errors, run_config

app = typer.Typer(
    name="artifact",
    help="Re-run and audit 'Fundamental Limits of Neural Network Sparsification' (VAE-SAE collapse).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
train_app = typer.Typer(
    help="Single training phases (what the DVC stages run).", no_args_is_help=True
)
app.add_typer(train_app, name="train")
console = Console(stderr=True)

ProfileChoice = Literal["auto", "smoke", "cpu", "paper"]
ProfileOption = Annotated[
    ProfileChoice,
    typer.Option(
        "--profile", help="auto: paper where CUDA is present, else smoke (and says which)."
    ),
]
DatasetOption = Annotated[str, typer.Option("--dataset", help="dsprites or shapes3d.")]
SeedOption = Annotated[int, typer.Option("--seed", help="Training seed (the paper: 42, 43, 44).")]
MethodOption = Annotated[str, typer.Option("--method", help="topk or l1.")]
FreshOption = Annotated[bool, typer.Option("--fresh", help="Ignore checkpoints and start over.")]
DeviceOption = Annotated[str, typer.Option("--device", help="auto, cpu or cuda.")]


def _resolve_profile(profile: str | None, has_cuda: bool) -> str | None:
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


@app.command()
@handle_errors
def reproduce(
    profile: ProfileOption = "auto",
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
) -> None:
    """Run the whole experiment and write its report; resumes from the last complete epoch.

    Data, 2 datasets x {Top-k, L1} x seeds, extended training, metrics, aggregate, claims,
    audit and report, in that order.
    """

    from artifact.pipeline import RunPlan
    from artifact.pipeline import reproduce as run_all
    from artifact.preflight import preflight
    from artifact.train.determinism import pick_device

    torch_device = pick_device(device)
    chosen = _resolve_profile(profile, torch_device.type == "cuda")
    cfg = run_config(params, chosen, out)
    preflight(cfg.profile, torch_device.type, Path(cfg.paths.out), cfg)
    plan = RunPlan.from_config(cfg)
    console.print(
        f"profile {cfg.profile}, data {cfg.data.source}, device {torch_device}, "
        f"{len(plan.phases)} phases -> {cfg.paths.out}{' (fresh)' if fresh else ' (resuming where possible)'}"
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
    typer.echo(f"claims: artifact verify-claims --metrics {cfg.paths.out}")


def _train(
    phase: str,
    dataset: str,
    seed: int,
    method: str | None,
    params: Path,
    out: Path | None,
    fresh: bool,
    device: str,
) -> None:
    from artifact.lock import directory_lock
    from artifact.pipeline import run_phase
    from artifact.train.determinism import pick_device
    from artifact.train.phases import RunKey

    cfg = run_config(params, None, out)
    torch_device = pick_device(device)
    # Shared on the output directory `reproduce` holds exclusively: stages side by side, never
    # beside a whole `reproduce` of the same directory.
    with directory_lock(Path(cfg.paths.out), exclusive=False):
        payload = run_phase(phase, RunKey(dataset, seed, method), cfg, torch_device, fresh)
    final = payload["final"] or {}
    typer.echo(
        f"{phase} {dataset} {method or ''} {seed}: "
        + ", ".join(
            f"{name} {final[name]:.4g}"
            for name in ("mig", "dead_pct", "mse")
            if final.get(name) is not None
        )
    )


@train_app.command("pretrain")
@handle_errors
def train_pretrain(
    dataset: DatasetOption,
    seed: SeedOption,
    params: ParamsOption = Path("params.yaml"),
    out: OutDirOption = None,
    fresh: FreshOption = False,
    device: DeviceOption = "auto",
) -> None:
    """Stages 1-2 (VAE pretraining, SAE initialisation), shared by the Top-k and L1 runs."""
    _train("pretrain", dataset, seed, None, params, out, fresh, device)


@train_app.command("joint")
@handle_errors
def train_joint(
    dataset: DatasetOption,
    seed: SeedOption,
    method: MethodOption,
    params: ParamsOption = Path("params.yaml"),
    out: OutDirOption = None,
    fresh: FreshOption = False,
    device: DeviceOption = "auto",
) -> None:
    """Stage 3: joint training with the k schedule (topk) or the L1 schedule (l1)."""
    _train("joint", dataset, seed, method, params, out, fresh, device)


@train_app.command("extended")
@handle_errors
def train_extended(
    dataset: DatasetOption,
    seed: SeedOption,
    method: MethodOption,
    params: ParamsOption = Path("params.yaml"),
    out: OutDirOption = None,
    fresh: FreshOption = False,
    device: DeviceOption = "auto",
) -> None:
    """Extended training: +100 epochs at the target sparsity (section 4.5)."""
    _train("extended", dataset, seed, method, params, out, fresh, device)


@app.command("aggregate")
@handle_errors
def aggregate_command(params: ParamsOption = Path("params.yaml"), out: OutDirOption = None) -> None:
    """Reduce every run's metrics to mean and std over seeds (aggregate.json)."""
    from artifact.aggregate import aggregate
    from artifact.provenance import collect_provenance

    cfg = run_config(params, None, out)
    payload = aggregate(Path(cfg.paths.out), cfg, collect_provenance(cfg))
    typer.echo(
        f"aggregate: {len(payload['metrics'])} metrics -> {Path(cfg.paths.out) / 'aggregate.json'}"
    )


@app.command("claims")
@handle_errors
def claims_command(params: ParamsOption = Path("params.yaml"), out: OutDirOption = None) -> None:
    """Write claims.json and audit.json from aggregate.json (the DVC claims stage).

    Never fails on a claim that does not reproduce: `artifact verify-claims` is the judge.
    """
    from artifact.io import read_json
    from artifact.pipeline import write_claims

    cfg = run_config(params, None, out)
    aggregate_payload = read_json(Path(cfg.paths.out) / "aggregate.json", "aggregate")
    for path in write_claims(cfg, aggregate_payload):
        typer.echo(f"wrote {path}")


# Commands owned by their own modules; each exposes register(app).
for _module in (cli_data, cli_claims, cli_env, cli_report, cli_bench):
    _module.register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
