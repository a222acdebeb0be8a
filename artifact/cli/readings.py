"""`artifact readings plan` and `artifact readings table`: training-time readings as DVC
experiments (artifact/experiment/readings.py); evaluation-time ones are `verify-claims --readings`."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Annotated

import typer

from artifact.cli.common import handle_errors
from artifact.cli.options import ParamsOption
from artifact.errors import InputError


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Training-time readings of the paper: one DVC experiment each.",
                        no_args_is_help=True)  # fmt: skip
    app.add_typer(group, name="readings")

    @group.command("plan")
    @handle_errors
    def plan_command(
        profile: Annotated[str, typer.Option("--profile", help="The profile every experiment runs at.")],
        run: Annotated[bool, typer.Option("--run", help="Queue them (dvc exp run --queue); default: print.")] = False,
        params: ParamsOption = Path("params.yaml"),
    ) -> None:  # fmt: skip
        """Print (or, with --run, queue) one `dvc exp run --queue -S ...` per training-time reading."""
        from artifact.config import load_params
        from artifact.experiment.readings import exp_commands, shell_line

        loaded = load_params(params)
        if profile not in loaded.profiles:
            raise InputError(
                f"profile {profile!r} is not in {params}; pick one of {sorted(loaded.profiles)}."
            )
        for argv in exp_commands(loaded, profile):
            typer.echo(shell_line(argv))
            if run:
                done = subprocess.run(argv, check=False, capture_output=True, text=True)
                if done.returncode != 0:
                    raise InputError(
                        f"`{shell_line(argv)}` failed: {done.stderr.strip().splitlines()[-1:]}"
                    )

    @group.command("table")
    @handle_errors
    def table_command(
        directories: Annotated[list[Path] | None, typer.Argument(help="Each experiment's output directory (its aggregate.json).")] = None,
        from_dvc: Annotated[str | None, typer.Option("--from-dvc", help="The experiments `dvc exp show --json` lists: a saved output file, or `run` to run it here.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a text table.")] = False,
    ) -> None:  # fmt: skip
        """Claims x readings: each experiment's numeric outcome per claim (pass, fail, -)."""
        from artifact.experiment.dvc_exps import load_dvc_experiments
        from artifact.experiment.readings import load_experiments, readings_table

        if bool(directories) == (from_dvc is not None):
            raise InputError("pass either experiment directories or --from-dvc, not both or neither.")
        experiments = load_dvc_experiments(from_dvc) if from_dvc else load_experiments(directories)
        table = readings_table(experiments)
        if as_json:
            typer.echo(json.dumps(table, indent=2))
            return
        names = table["readings"]
        typer.echo("claim\t" + "\t".join(names))
        for claim, outcomes in table["claims"].items():
            typer.echo(claim + "\t" + "\t".join(outcomes.get(n) or "-" for n in names))
