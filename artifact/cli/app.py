"""The `artifact` command line: thin. Each command parses, loads config, calls one library
function and prints. Library errors (ArtifactError) become one line on stderr and an exit code
(common.handle_errors). One module per command group registers its commands here."""

from __future__ import annotations

import typer
from typer.core import TyperOption

from artifact.cli import (
    bench,
    claims,
    data,
    env,
    experiment,
    readings,
    report,
    reproduce,
    status,
    train,
)

_display_type_rich = TyperOption.display_type_rich


def _flag_shows_no_value(self: TyperOption, ctx) -> str | None:
    """typer's rich help prints `<bool>` beside a flag (--strict, --help), a value the flag does
    not take: show nothing there, as plain click does."""
    if self.is_flag and not self.count:
        return None
    return _display_type_rich(self, ctx)


TyperOption.display_type_rich = _flag_shows_no_value  # type: ignore[method-assign]

app = typer.Typer(
    name="artifact",
    help="Re-run and audit 'Fundamental Limits of Neural Network Sparsification' (VAE-SAE collapse).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# In the order `artifact --help` lists them: the experiment, then what reads its results.
for _module in (reproduce, status, train, experiment, data, claims, readings, report, env, bench):
    _module.register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
