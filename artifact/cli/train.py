"""`artifact train pretrain|joint|extended`: one phase of one run (what the DVC stages run).

The three commands are one function with one option set; the phase is the subcommand's name.
"""

from __future__ import annotations

from pathlib import Path

import typer

from artifact.cli.common import handle_errors, run_config
from artifact.cli.options import (
    DatasetOption,
    DeviceOption,
    FreshOption,
    MethodOption,
    OutDirOption,
    ParamsOption,
    ProfileOption,
    SeedOption,
)
from artifact.errors import ConfigError

PHASE_HELP = {
    "pretrain": "Stages 1-2 (VAE pretraining, SAE initialisation), shared by the Top-k and L1 runs.",
    "joint": "Stage 3: joint training with the k schedule (topk) or the L1 schedule (l1).",
    "extended": "Extended training: +100 epochs at the target sparsity (section 4.5).",
}

app = typer.Typer(help="Single training phases (what the DVC stages run).", no_args_is_help=True)


def train_phase(
    phase: str,
    dataset: str,
    seed: int,
    method: str | None,
    params: Path,
    out: Path | None,
    fresh: bool,
    device: str,
    profile: str | None = None,
) -> None:
    """Run one phase of the run (dataset, method, seed) and print its end point."""
    from artifact.env.determinism import pick_device
    from artifact.experiment.phase import run_phase
    from artifact.storage.lock import directory_lock
    from artifact.train.run_key import RunKey

    if phase == "pretrain" and method is not None:
        raise ConfigError("train pretrain takes no --method: stages 1-2 are shared by both methods.")
    if phase != "pretrain" and method is None:
        raise ConfigError(f"train {phase} needs --method topk or --method l1.")
    from artifact.env.preflight import preflight

    cfg = run_config(params, profile, out)
    planned = {"--dataset": (dataset, cfg.data.datasets, "data.datasets"),
               "--seed": (seed, cfg.train.seeds, "train.seeds"),
               "--method": (method, cfg.train.methods, "train.methods")}  # fmt: skip
    for flag, (value, allowed, key) in planned.items():
        if value is not None and value not in allowed:  # aggregate would refuse the run later
            raise ConfigError(f"{flag} {value} is not in {key} ({', '.join(map(str, allowed))}) "
                              f"of the {cfg.profile} profile; add it there or pick one of those.")  # fmt: skip
    torch_device = pick_device(device)
    preflight(cfg.profile, torch_device.type, Path(cfg.paths.out), cfg)  # as `reproduce` does
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


def _command(phase: str):
    def command(
        dataset: DatasetOption,
        seed: SeedOption,
        method: MethodOption = None,
        params: ParamsOption = Path("params.yaml"),
        out: OutDirOption = None,
        fresh: FreshOption = False,
        device: DeviceOption = "auto",
        profile: ProfileOption = None,
    ) -> None:
        train_phase(phase, dataset, seed, method, params, out, fresh, device, profile)

    command.__doc__ = PHASE_HELP[phase]
    command.__name__ = f"train_{phase}"
    return handle_errors(command)


for _phase in PHASE_HELP:
    app.command(_phase)(_command(_phase))


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="train")
