"""Every option shared by two or more commands, declared once (typer `Annotated` aliases)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

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
ReproduceProfile = Literal["auto", "smoke", "laptop", "cpu", "slice", "paper"]
ReproduceProfileOption = Annotated[
    ReproduceProfile,
    typer.Option(
        "--profile", help="auto: paper where CUDA is present, else smoke (and says which)."
    ),
]
ProfileOption = Annotated[
    Literal["smoke", "laptop", "cpu", "slice", "paper"] | None,
    typer.Option("--profile", help="Profile to apply; default: the file's `profile`."),
]
DatasetOption = Annotated[
    Literal["dsprites", "shapes3d"], typer.Option("--dataset", help="Which dataset.")
]
SeedOption = Annotated[int, typer.Option("--seed", help="Training seed (the paper: 42, 43, 44).")]
MethodOption = Annotated[
    Literal["topk", "l1"] | None,
    typer.Option("--method", help="Sparsification of stage 3 (joint and extended phases)."),
]
FreshOption = Annotated[
    bool, typer.Option("--fresh", help="Ignore checkpoints and start over.")
]
DeviceOption = Annotated[
    Literal["auto", "cpu", "cuda"],
    typer.Option("--device", help="auto: CUDA when present, else CPU."),
]
