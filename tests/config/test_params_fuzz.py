"""A hypothesis test mutates params.yaml (a key deleted, a value replaced by anything, an unknown
key added) and checks that every outcome is either a run (here `reproduce --dry-run`: params
validated, profile resolved, preflight passed, plan printed) or one clear error line with a
usage exit code; never a traceback or an internal error."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from artifact.cli import app as cli
from tests.helpers import ROOT

BASE = yaml.safe_load((ROOT / "params.yaml").read_text())


def _paths(node: object, prefix: tuple = ()) -> list[tuple]:
    """Every key path of the params tree (inner nodes and leaves)."""
    if not isinstance(node, dict):
        return []
    out = []
    for key, value in node.items():
        out.append((*prefix, key))
        out.extend(_paths(value, (*prefix, key)))
    return out


PATHS = _paths(BASE)
ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
    st.lists(st.integers(-3, 600), max_size=3),
    st.dictionaries(st.text(min_size=1, max_size=4), st.integers(), max_size=2),
)
MUTATION = st.one_of(
    st.tuples(st.just("delete"), st.sampled_from(PATHS), st.none()),
    st.tuples(st.just("set"), st.sampled_from(PATHS), ANY_VALUE),
    st.tuples(st.just("add"), st.sampled_from([(), *PATHS]), st.text(min_size=1, max_size=8)),
)


def mutate(params: dict, mutation: tuple) -> dict:
    kind, path, value = mutation
    params = copy.deepcopy(params)
    parent = params
    for key in path[:-1] if kind != "add" else path:
        parent = parent[key]
    if kind == "delete":
        del parent[path[-1]]
    elif kind == "set":
        parent[path[-1]] = value
    elif isinstance(parent, dict):
        parent.setdefault(f"unknown_{value}", 1)
    return params


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutations=st.lists(MUTATION, min_size=1, max_size=3))
def test_every_mutated_params_file_is_a_run_or_one_clear_error(mutations, tmp_path: Path):
    params = BASE
    for mutation in mutations:
        try:
            params = mutate(params, mutation)
        except (KeyError, TypeError):  # the path went away with an earlier mutation
            continue
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    result = CliRunner().invoke(
        cli.app, ["reproduce", "--params", str(path), "--out", str(tmp_path / "out"), "--dry-run"]
    )
    assert "Traceback" not in result.output
    if result.exit_code == 0:
        assert "config digest" in result.output
    else:
        assert result.exit_code in (2, 5), result.output  # bad params, or a preflight refusal
        lines = result.output.strip().splitlines()
        errors = [line for line in lines if line.startswith("error: ")]
        assert len(errors) == 1 and lines[-1] == errors[0], result.output
