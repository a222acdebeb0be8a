"""`artifact data ...`: fetch, verify, describe, picture and prepare the two datasets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import typer

from artifact.cli.common import handle_errors, run_config
from artifact.cli.options import JsonOption, ParamsOption, ProfileOption

app = typer.Typer(
    help="dSprites and Shapes3D: official files (fetch, verify) and procedural renderers.",
    no_args_is_help=True,
)
data_app = app

DatasetArgument = Annotated[str, typer.Argument(help="dsprites or shapes3d.")]


def _data_dir(params: Path) -> Path:
    """paths.data_dir from the params file, or `data` when there is no file (fetch, show)."""
    return Path(run_config(params).paths.data_dir) if params.is_file() else Path("data")


@app.command("fetch")
@handle_errors
def fetch(
    dataset: DatasetArgument,
    directory: Annotated[
        Path | None,
        typer.Option("--dir", help="Where to put the file; default: {paths.data_dir}/official."),
    ] = None,
    url: Annotated[
        str | None,
        typer.Option("--url", help="Download from this mirror instead of the official address."),
    ] = None,
    params: ParamsOption = Path("params.yaml"),
) -> None:
    """Download the official file (resumes a broken download; verifies the pinned checksum)."""
    from artifact.data.fetch import fetch_official
    from artifact.data.spec import get_spec

    spec = get_spec(dataset)
    fetched = fetch_official(spec, directory or _data_dir(params) / "official", url=url)
    typer.echo(
        f"{'downloaded' if fetched.downloaded else 'already present'}: {fetched.path} ({fetched.digest.size} bytes)"
    )
    typer.echo(f"checksum: {fetched.status}; sha256 {fetched.digest.sha256}")
    if fetched.status != "sha256 verified":
        typer.echo(
            f"pin it: set sha256='{fetched.digest.sha256}' for {dataset} in artifact/data/spec.py (docs/data.md)."
        )


@app.command("info")
@handle_errors
def info(
    dataset: DatasetArgument,
    path: Annotated[
        Path | None,
        typer.Option(
            "--path", help="An official file to inspect instead of the one in the data dir."
        ),
    ] = None,
    source: Annotated[
        Literal["official", "procedural"] | None,
        typer.Option("--source", help="Default: data.source from params."),
    ] = None,
    as_json: JsonOption = False,
    params: ParamsOption = Path("params.yaml"),
    profile: ProfileOption = None,
) -> None:
    """Number of images, factor names and sizes, source and checksum status."""
    from artifact.data.inventory import dataset_info

    cfg = run_config(params, profile)
    report = dataset_info(dataset, cfg.data, Path(cfg.paths.data_dir), source, path)
    _print_info(report, cfg.profile, as_json)
    if path is not None and not report["official"]["ok"]:  # the file asked about is unusable
        from artifact.errors import DataError

        status = report["official"]["status"]
        raise DataError(status if status != "missing" else f"{path} does not exist; pass --path FILE.")


def _print_info(report: dict, profile: str, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    typer.echo(
        f"{report['dataset']}: {report['n_images']} images {report['image_shape']}, source {report['source']}, {report['n_images_used']} used by profile {profile}"
    )
    for name, size in zip(report["factor_names"], report["factor_sizes"], strict=True):
        typer.echo(f"  {name:<12} {size}")
    for part in ("official", "prepared"):
        if part in report:
            entry = report[part]
            typer.echo(f"{part}: {entry['path']}: {entry['status']}")


@app.command("verify")
@handle_errors
def verify(params: ParamsOption = Path("params.yaml"), profile: ProfileOption = None) -> None:
    """Check every present official file (pinned hash, structure) and prepared dataset (hash)."""
    from artifact.data.inventory import verify_all
    from artifact.errors import DataError

    cfg = run_config(params, profile)
    checks = verify_all(cfg.data, Path(cfg.paths.data_dir))
    if not checks:
        typer.echo(f"nothing to verify under {cfg.paths.data_dir}.")
        return
    for check in checks:
        typer.echo(
            f"{'ok  ' if check['ok'] else 'FAIL'} {check['kind']:<9} {check['path']}: {check['status']}"
        )
    failed = sum(not check["ok"] for check in checks)
    if failed:
        raise DataError(
            f"{failed} of {len(checks)} data files failed verification (lines above); fetch or prepare them again."
        )


@app.command("show")
@handle_errors
def show(
    dataset: DatasetArgument,
    out: Annotated[Path, typer.Option("--out", help="Picture to write: .png, .jpg, .pdf or .svg.")],
    path: Annotated[
        Path | None,
        typer.Option(
            "--path",
            help="Official file to show beside the renderer; default: the one in the data dir, if present.",
        ),
    ] = None,
    columns: Annotated[int, typer.Option("--columns", min=2, help="Values shown per factor.")] = 10,
    params: ParamsOption = Path("params.yaml"),
) -> None:
    """A grid walking each factor through its values (official beside procedural if present)."""
    from artifact.data.show import show_factors
    from artifact.data.spec import official_path

    official = path if path is not None else official_path(dataset, _data_dir(params))
    written = show_factors(
        dataset, out, official if official.is_file() or path is not None else None, columns
    )
    typer.echo(f"wrote {written}")


@app.command("prepare")
@handle_errors
def prepare(
    dataset: DatasetArgument,
    params: ParamsOption = Path("params.yaml"),
    profile: ProfileOption = None,
) -> None:
    """Render (procedural) or verify (official) the images a profile uses: the DVC data stage."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from artifact.data import prepare_dataset
    from artifact.data.spec import get_spec, grid_subset

    cfg = run_config(params, profile)
    spec = get_spec(dataset)
    total = len(grid_subset(spec.n_images, cfg.data.max_images, cfg.data.subset_seed))
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bars:
        task = bars.add_task(f"{dataset} ({cfg.data.source})", total=total)
        folder = prepare_dataset(
            dataset, cfg.data, Path(cfg.paths.data_dir), lambda n: bars.advance(task, n)
        )
    typer.echo(f"{dataset}: {total} images ({cfg.data.source}, profile {cfg.profile}) -> {folder}")


_REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference"


@app.command("fidelity")
@handle_errors
def fidelity(
    dataset: Annotated[str, typer.Argument(help="dsprites or shapes3d.")],
    out: Annotated[
        Path, typer.Option("--out", help="PNG to write: official | best match | difference.")
    ],
    reference: Annotated[
        Path,
        typer.Option("--reference", help="Folder holding dsprites.gif and 3dshapes.gif."),
    ] = _REFERENCE,
    as_json: JsonOption = False,
) -> None:
    """Match every official reference frame with its best image over the full procedural grid."""
    from artifact.data.fidelity import measure
    from artifact.data.spec import get_spec

    get_spec(dataset)  # an unknown name is one sentence, before any work
    figures, _ = measure(dataset, reference, out)
    if as_json:
        typer.echo(json.dumps(figures, indent=2))
        return
    for key, value in figures.items():
        typer.echo(f"{key}: {round(value, 4) if isinstance(value, float) else value}")
    typer.echo(f"wrote {out}")


def register(app: typer.Typer) -> None:
    """Add `artifact data ...` to the root app."""
    app.add_typer(data_app, name="data")
