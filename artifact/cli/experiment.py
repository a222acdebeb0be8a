"""`artifact aggregate` and `artifact claims`: the steps after training (DVC stages)."""

from __future__ import annotations

from pathlib import Path

import typer

from artifact.cli.common import handle_errors, run_config
from artifact.cli.options import OutDirOption, ParamsOption


@handle_errors
def aggregate_command(params: ParamsOption = Path("params.yaml"), out: OutDirOption = None) -> None:
    """Reduce every run's metrics to mean and std over seeds (aggregate.json)."""
    from artifact.env.provenance import collect_provenance
    from artifact.experiment.aggregate import aggregate
    from artifact.experiment.layout import aggregate_path

    cfg = run_config(params, None, out)
    payload = aggregate(Path(cfg.paths.out), cfg, collect_provenance(cfg))
    typer.echo(f"aggregate: {len(payload['metrics'])} metrics -> {aggregate_path(cfg.paths.out)}")


@handle_errors
def claims_command(params: ParamsOption = Path("params.yaml"), out: OutDirOption = None) -> None:
    """Write claims.json and audit.json from aggregate.json (the DVC claims stage).

    Never fails on a claim that does not reproduce: `artifact verify-claims` is the judge.
    """
    from artifact.experiment.claims_step import write_claims
    from artifact.experiment.layout import aggregate_path
    from artifact.storage.atomic import read_json

    cfg = run_config(params, None, out)
    aggregate_payload = read_json(aggregate_path(cfg.paths.out), "aggregate")
    for path in write_claims(cfg, aggregate_payload):
        typer.echo(f"wrote {path}")


def register(app: typer.Typer) -> None:
    app.command("aggregate")(aggregate_command)
    app.command("claims")(claims_command)
