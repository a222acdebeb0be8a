"""What every CLI command shares: the error boundary and reading the params file.

Option aliases are in options.py."""

from __future__ import annotations

import functools
import os
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import typer
from typer._click.exceptions import ClickException  # typer vendors its click

from artifact.errors import ArtifactError, ExitCode

F = TypeVar("F", bound=Callable)

def run_config(
    params: Path, profile: str | None = None, out: Path | None = None, source: str | None = None
):
    """params.yaml (with `--out` over paths.out and `--data` over data.source) resolved under
    `profile` (default: the file's)."""
    from artifact.config import load_params, resolve  # pydantic models: only when a command runs

    overrides: dict = {}
    if out is not None:
        overrides["paths"] = {"out": str(out)}
    if source is not None:
        overrides["data"] = {"source": source}
    from artifact.config.validation import check_run_config  # what one knob alone cannot say

    return check_run_config(resolve(load_params(params, overrides or None), profile))


def out_dir_of(params: Path, out: Path | None) -> Path:
    """--out, else paths.out of the params file: the only thing a step that reads finished runs
    takes from params.yaml (their profile and config are the runs' own)."""
    if out is not None:
        return Path(out)
    from artifact.config import load_params

    return Path(load_params(params).paths.out)


def own_command() -> str:
    """How to call this `artifact` again, as a shell word: the venv's script beside this Python
    when it is there (a hint must run as printed, venv activated or not), else `artifact`."""
    script = Path(sys.executable).parent / "artifact"
    return shlex.quote(str(script)) if script.is_file() else "artifact"


def fail(message: str, code: int) -> typer.Exit:
    """Print one sentence to stderr and return the Exit to raise (no traceback).

    Control characters (a newline in a key or a path of the user's) are shown escaped, so the
    sentence stays on one line.
    """
    line = "".join(char if char.isprintable() else repr(char)[1:-1] for char in message)
    typer.echo(f"error: {line}", err=True)
    return typer.Exit(code=int(code))


def _out_of_memory(error: BaseException) -> bool:
    """MemoryError, or torch's OutOfMemoryError (CUDA or CPU) without importing torch here."""
    return isinstance(error, MemoryError) or any(
        cls.__name__ == "OutOfMemoryError" for cls in type(error).__mro__
    )


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
            if _out_of_memory(bug):  # an impossible allocation is the machine's limit, not a bug
                raise fail(
                    f"out of memory ({type(bug).__name__}: {str(bug).splitlines()[0] if str(bug) else 'no detail'}); "
                    "use a smaller profile, fewer workers (-j) or a machine with more memory.",
                    ExitCode.HARDWARE,
                ) from None
            raise fail(
                f"internal error ({type(bug).__name__}: {bug}); this is a bug of the artifact, "
                "rerun with ARTIFACT_TRACEBACK=1 to see where and please report it.",
                ExitCode.INTERNAL,
            ) from None

    return wrapper  # type: ignore[return-value]
