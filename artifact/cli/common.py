"""What every CLI command shares: the error boundary and reading the params file.

Option aliases are in options.py."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import typer
from typer._click.exceptions import ClickException  # typer vendors its click

from artifact.errors import ArtifactError, ExitCode

F = TypeVar("F", bound=Callable)

def run_config(params: Path, profile: str | None = None, out: Path | None = None):
    """params.yaml (with `--out` over paths.out) resolved under `profile` (default: the file's)."""
    from artifact.config import load_params, resolve  # pydantic models: only when a command runs

    overrides = {"paths": {"out": str(out)}} if out is not None else None
    return resolve(load_params(params, overrides), profile)


def fail(message: str, code: int) -> typer.Exit:
    """Print one sentence to stderr and return the Exit to raise (no traceback).

    Control characters (a newline in a key or a path of the user's) are shown escaped, so the
    sentence stays on one line.
    """
    line = "".join(char if char.isprintable() else repr(char)[1:-1] for char in message)
    typer.echo(f"error: {line}", err=True)
    return typer.Exit(code=int(code))


def handle_errors(func: F) -> F:
    """Turn an ArtifactError raised below the CLI into one line on stderr and its exit code.

    typer.Exit (a RuntimeError subclass) and click's usage errors pass through untouched. Any
    other exception is a bug of the artifact: one line saying so, exit 70 (EX_SOFTWARE), and the
    traceback only when ARTIFACT_TRACEBACK=1 asks for it.
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
        except (typer.Exit, typer.Abort, ClickException):
            raise
        except BrokenPipeError:  # `artifact ... | head`: the reader left; not an error of ours
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(141)
        except Exception as bug:
            if os.environ.get("ARTIFACT_TRACEBACK") == "1":
                raise
            raise fail(
                f"internal error ({type(bug).__name__}: {bug}); this is a bug of the artifact, "
                "rerun with ARTIFACT_TRACEBACK=1 to see where and please report it.",
                ExitCode.INTERNAL,
            ) from None

    return wrapper  # type: ignore[return-value]
