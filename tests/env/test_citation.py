"""CITATION.cff: valid, citing the artifact, with the paper as the preferred citation."""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

import yaml

from tests.helpers import venv_tool

ROOT = Path(__file__).resolve().parents[2]
PAPER_TITLE = (
    "Fundamental Limits of Neural Network Sparsification: Evidence from Catastrophic "
    "Interpretability Collapse"
)


def cffconvert() -> str:
    return venv_tool("cffconvert")


def test_citation_file_validates_against_the_cff_schema():
    done = subprocess.run(
        [cffconvert(), "--validate", "--infile", str(ROOT / "CITATION.cff")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_citation_cites_the_software_and_prefers_the_paper():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert cff["cff-version"] == "1.2.0" and cff["type"] == "software"
    assert cff["version"] == version
    paper = cff["preferred-citation"]
    assert " ".join(paper["title"].split()) == PAPER_TITLE
    assert [(a["given-names"], a["family-names"]) for a in paper["authors"]] == [
        ("Dip", "Roy"),
        ("Rajiv", "Misra"),
        ("Sanjay Kumar", "Singh"),
    ]
