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


def test_every_row_of_the_register_names_its_test_and_every_cited_test_exists():
    """docs/interpretations.md: each row's last cell is the test pinning it (or `none yet`)."""
    cited, rows = [], 0
    for line in (ROOT / "docs" / "interpretations.md").read_text().splitlines():
        if not line.startswith("| ") or line.startswith(("| topic", "| axis")):
            continue
        rows += 1
        last = line.rstrip().rstrip("|").rsplit(" | ", 1)[-1]
        found = CITATION.findall(last)
        assert found or "none yet" in last or last.strip() == "same", line[:60]
        cited += [(file, name) for file, name in found if file]
    assert rows >= 80 and len(cited) >= 60
    for file, name in cited:
        path = ROOT / file
        assert path.is_file(), file
        if name:
            assert name in _test_names(path), f"{file}::{name}"
