"""What every CLI command shares: the error boundary and the option aliases (declared once)."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from artifact.errors import ArtifactError

F = TypeVar("F", bound=Callable)

ParamsOption = Annotated[
    Path, typer.Option("--params", help="params.yaml to read (every knob of the experiment).")
]
MetricsDirOption = Annotated[
    Path,
    typer.Option("--metrics", help="Output directory of `artifact reproduce` (its --out DIR)."),
]
OutDirOption = Annotated[
    Path | None,
    typer.Option("--out", help="Output directory; default: paths.out from params.yaml."),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print JSON on stdout instead of a table.")
]


def fail(message: str, code: int) -> typer.Exit:
    """Print one sentence to stderr and return the Exit to raise (no traceback)."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=int(code))


def handle_errors(func: F) -> F:
    """Turn an ArtifactError raised below the CLI into one line on stderr and its exit code.

    Only ArtifactError is caught: typer.Exit (a RuntimeError subclass) and real bugs pass.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except ArtifactError as error:
            raise fail(str(error), error.exit_code) from None
        except KeyboardInterrupt:
            typer.echo("interrupted; the last complete checkpoint is kept.", err=True)
            sys.exit(130)

    return wrapper  # type: ignore[return-value]
