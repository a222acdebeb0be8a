"""`artifact verify-claims` and `artifact audit-paper`: thin commands over artifact.claims."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console

from artifact.cli.common import handle_errors
from artifact.cli.options import MetricsDirOption, ParamsOption
from artifact.errors import ExitCode

ClaimsFormat = Annotated[
    Literal["table", "json", "markdown"],
    typer.Option("--format", help="table (terminal), json (stdout, machine-readable) or markdown."),
]
StrictOption = Annotated[
    bool,
    typer.Option("--strict", help="Also fail (exit 1) when a claim's metric is missing (not_run)."),
]
ReadingsOption = Annotated[
    bool,
    typer.Option("--readings", help="Judge every claim under every evaluation-time reading in "
                 "aggregate.json and say which readings make each table hold."),
]  # fmt: skip
ClaimsDirOption = Annotated[
    Path | None,
    typer.Option("--claims", help="Claim registry directory; default: the repository's claims/."),
]


def _emit(report, format: str, markdown, table) -> None:
    """Print a claims or audit report as JSON, Markdown or a terminal table."""
    if format == "json":
        typer.echo(json.dumps(report.model_dump(mode="json"), indent=2, allow_nan=False))
    elif format == "markdown":
        typer.echo(markdown(report), nl=False)
    else:
        Console(width=200).print(table(report))


def register(app: typer.Typer) -> None:
    """Add `verify-claims` and `audit-paper` to the artifact CLI."""

    @app.command("verify-claims")
    @handle_errors
    def verify_claims_command(
        metrics: MetricsDirOption,
        format: ClaimsFormat = "table",
        strict: StrictOption = False,
        claims: ClaimsDirOption = None,
        readings: ReadingsOption = False,
    ) -> None:
        """Judge every claim of the paper against DIR/aggregate.json; exit 1 when one fails.

        Verdicts: reproduced, not_reproduced, holds_at_reduced_scale, fails_at_reduced_scale
        (scale-free claims on a reduced profile), not_run, not_comparable, paper_inconsistent.
        With --readings: every claim under every reading (informational: exit 0 when it ran).
        """
        from artifact.claims import load_registry, verify_claims
        from artifact.claims.render import claims_markdown, claims_table
        from artifact.claims.verify.verdicts import load_aggregate

        if readings:
            from artifact.claims.render_readings import readings_markdown, readings_table
            from artifact.claims.verify.readings import verify_readings

            report = verify_readings(load_aggregate(metrics), load_registry(claims))
            _emit(report, format, readings_markdown, readings_table)
            return
        report = verify_claims(load_aggregate(metrics), load_registry(claims))
        _emit(report, format, claims_markdown, claims_table)
        if report.failed(strict):
            raise typer.Exit(code=int(ExitCode.CLAIM_FAILED))

    @app.command("audit-paper")
    @handle_errors
    def audit_paper_command(
        format: ClaimsFormat = "table",
        claims: ClaimsDirOption = None,
        params: ParamsOption = Path("params.yaml"),
    ) -> None:
        """Check the paper's numbers against each other (needs no run).

        The same quantity in two places, stated ratios and ranges against the tables, counts,
        formulas and citations; and, per reading of the metrics (bin counts from --params),
        the claims no training could reach.
        """
        from artifact.claims import audit_paper
        from artifact.claims.render import audit_markdown, audit_table
        from artifact.claims.render_readings import reachability_lines
        from artifact.config import load_params
        from artifact.metrics.readings import bin_counts

        report = audit_paper(claims, bin_counts(load_params(params).metrics))
        _emit(report, format, audit_markdown, audit_table)
        if format != "json" and report.reachability is not None:
            typer.echo("\n".join(("", *reachability_lines(report.reachability))))
