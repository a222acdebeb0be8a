"""The `artifact` command line: thin. Each command parses, loads config, calls one library
function and prints. Library errors (ArtifactError) become one line on stderr and an exit code
(common.handle_errors). One module per command group registers its commands here."""

from __future__ import annotations

import typer

from artifact.cli import bench, claims, data, env, experiment, report, reproduce, status, train

app = typer.Typer(
    name="artifact",
    help="Re-run and audit 'Fundamental Limits of Neural Network Sparsification' (VAE-SAE collapse).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# In the order `artifact --help` lists them: the experiment, then what reads its results.
for _module in (reproduce, status, train, experiment, data, claims, report, env, bench):
    _module.register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
