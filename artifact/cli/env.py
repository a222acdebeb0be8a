"""`artifact env`: print the provenance record that every metrics file and report carries."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from artifact.cli.common import handle_errors, run_config
from artifact.cli.options import JsonOption, ParamsOption

DEFAULT_PARAMS = Path("params.yaml")


def register(app: typer.Typer) -> None:
    app.command("env")(env)


@handle_errors
def env(params: ParamsOption = DEFAULT_PARAMS, as_json: JsonOption = False) -> None:
    """Print this environment's provenance record (what every metrics file carries).

    Git commit and dirty flag, Python and package versions, torch/CUDA/cuDNN, GPU or CPU,
    determinism settings, data source, the params' sha256 and, inside the container, the image.
    Dataset checksums are added by each run (the files it loaded); `artifact data info` shows
    those on disk.
    """
    from artifact.env.determinism import configure_determinism, pick_device
    from artifact.env.provenance import collect_provenance

    # Outside a checkout (no params.yaml here and none asked for) the record has no run part.
    run_cfg = None
    if params != DEFAULT_PARAMS or params.is_file():
        run_cfg = run_config(params)
        # Show the determinism settings a run records, not this process's torch defaults.
        configure_determinism(pick_device("auto"), run_cfg.train.precision)
    record = collect_provenance(run_cfg)
    if as_json:
        typer.echo(json.dumps(record, indent=2))
        return
    table = Table(title="provenance", title_justify="left")
    table.add_column("fact", no_wrap=True)
    table.add_column("value", overflow="fold")
    for key, value in flatten(record):
        table.add_row(key, "-" if value is None else str(value))
    Console().print(table)


def flatten(record: dict, prefix: str = "") -> list[tuple[str, object]]:
    """Nested dicts as dotted keys, in order (lists stay whole: seeds, GPUs)."""
    rows: list[tuple[str, object]] = []
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            rows += flatten(value, f"{name}.")
        else:
            rows.append((name, value))
    return rows
