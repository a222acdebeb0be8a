"""`artifact aggregate` and `artifact claims`: the steps after training (DVC stages).

Both read what the runs recorded, never the profile or config of params.yaml: the params file
only says where the output directory is when --out is not given. Both hold the directory's lock
(refused beside a running `reproduce`) and replace files atomically.
"""

from __future__ import annotations

from pathlib import Path

import typer

from artifact.cli.common import handle_errors, out_dir_of
from artifact.cli.options import OutDirOption, ParamsOption


@handle_errors
def aggregate_command(params: ParamsOption = Path("params.yaml"), out: OutDirOption = None) -> None:
    """Reduce every run's metrics to mean and std over seeds (aggregate.json)."""
    from artifact.experiment.aggregate import aggregate
    from artifact.experiment.layout import aggregate_path
    from artifact.storage.lock import directory_lock

    out_dir = out_dir_of(params, out)
    with directory_lock(out_dir, create=False):
        payload = aggregate(out_dir)
    typer.echo(
        f"aggregate: {len(payload['runs'])} runs ({payload['profile']} profile, "
        f"{payload['data_source']} data), {len(payload['metrics'])} metrics -> "
        f"{aggregate_path(out_dir)}"
    )


@handle_errors
def claims_command(params: ParamsOption = Path("params.yaml"), out: OutDirOption = None) -> None:
    """Write claims.json and audit.json from aggregate.json (the DVC claims stage).

    Never fails on a claim that does not reproduce: `artifact verify-claims` is the judge.
    """
    from artifact.claims.verify.verdicts import load_aggregate
    from artifact.experiment.claims_step import write_claims
    from artifact.storage.lock import directory_lock

    out_dir = out_dir_of(params, out)
    with directory_lock(out_dir, create=False):
        for path in write_claims(out_dir, load_aggregate(out_dir)):
            typer.echo(f"wrote {path}")


def register(app: typer.Typer) -> None:
    app.command("aggregate")(aggregate_command)
    app.command("claims")(claims_command)
