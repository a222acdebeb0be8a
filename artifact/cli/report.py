"""`artifact report`: the paper's Tables 1-7 and Figures 1-11 from a metrics directory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from artifact.cli.common import handle_errors
from artifact.cli.options import MetricsDirOption

ReportOutOption = Annotated[
    Path | None,
    typer.Option(
        "--out", help="Where report.md, report.html and figures/ go; default: METRICS/report."
    ),
]


def register(app: typer.Typer) -> None:
    """Add `artifact report` to the app."""

    @app.command("report")
    @handle_errors
    def report(metrics: MetricsDirOption = Path("results"), out: ReportOutOption = None) -> None:
        """Write a self-contained report of this run beside the paper (Markdown, offline HTML).

        Tables 1-7 with verdicts, Figures 1-11, the audit findings and the provenance.
        """
        from artifact.report import build_report
        from artifact.storage.lock import directory_lock

        with directory_lock(metrics, create=False):  # never beside a running `reproduce`
            path = build_report(metrics, out if out is not None else metrics / "report")
        typer.echo(f"report: {path}")
        typer.echo(f"html:   {path.with_suffix('.html')}")
