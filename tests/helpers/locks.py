"""Test helper: read the hashed locks (requirements/*.txt) and pyproject's declarations."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.helpers import ROOT

REQUIREMENTS = ROOT / "requirements"


@dataclass(frozen=True)
class Pin:
    name: str  # canonical
    version: str
    hashes: tuple[str, ...]


def read_lock(filename: str) -> list[Pin]:
    """The `name==version --hash=...` entries of a lock file (comments and `# via` dropped)."""
    text = (REQUIREMENTS / filename).read_text()
    text = re.sub(r"#.*", "", text).replace("\\\n", " ")
    pins = []
    for line in text.splitlines():
        if not line.strip():
            continue
        requirement, *options = line.split()
        name, sep, version = requirement.partition("==")
        assert sep, f"{filename}: '{requirement}' is not pinned with =="
        hashes = tuple(o.removeprefix("--hash=") for o in options if o.startswith("--hash="))
        pins.append(Pin(canonicalize_name(name), version, hashes))
    return pins


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def declared() -> list[Requirement]:
    project = pyproject()["project"]
    return [
        Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"]
    ]


def pinned_torch() -> str:
    """pyproject's exact torch version (the one place it is set)."""
    (torch,) = [r for r in declared() if r.name == "torch"]
    (spec,) = torch.specifier
    assert spec.operator == "==", "torch must be pinned to an exact version"
    return spec.version
