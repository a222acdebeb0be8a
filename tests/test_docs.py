"""The docs point at things that exist: every test the fault table cites is a test function."""

from __future__ import annotations

import ast
import re

from tests.helpers import ROOT

CITATION = re.compile(r"`(tests/(?:\w+/)*\w+\.py)?(?:::(\w+))?`")


def _test_names(path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}


def test_every_test_the_fault_table_cites_exists():
    cited, current = [], None
    for line in (ROOT / "docs" / "faults.md").read_text().splitlines():
        if not line.startswith("| ") or line.startswith("| fault"):
            continue
        for file, name in CITATION.findall(line.split("|")[-2]):
            current = file or current
            if file or name:
                cited.append((current, name))
    assert len(cited) >= 30
    for file, name in cited:
        path = ROOT / file
        assert path.is_file(), file
        if name:
            assert name in _test_names(path), f"{file}::{name}"
