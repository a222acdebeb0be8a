"""`artifact readings table --from-dvc`: the finished experiments of a saved `dvc exp show
--json` (DVC 3's shape, tests/fixtures/dvc_exp_show.json), each judged on the aggregate.json
its commit's dvc.lock points to in the DVC cache; bad input is one sentence and exit 2."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from artifact.cli.app import app
from artifact.errors import InputError
from artifact.experiment.dvc_exps import experiments
from tests.helpers import ROOT
from tests.helpers.claims import paper_aggregate, shift_out_of_tolerance

FIXTURE = ROOT / "tests" / "fixtures" / "dvc_exp_show.json"
runner = CliRunner()


def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t"}  # fmt: skip
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True, env=env).stdout.strip()  # fmt: skip


def _commit(repo: Path, out: str, aggregate: dict) -> str:
    """One experiment commit: dvc.lock naming out/aggregate.json, the file in the DVC cache."""
    data = json.dumps(aggregate).encode()
    md5 = hashlib.md5(data).hexdigest()
    cached = repo / ".dvc" / "cache" / "files" / "md5" / md5[:2] / md5[2:]
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_bytes(data)
    (repo / "dvc.lock").write_text(f"schema: '2.0'\nstages:\n  aggregate:\n    outs:\n"
                                   f"    - path: {out}/aggregate.json\n      md5: {md5}\n")  # fmt: skip
    _git(repo, "add", "dvc.lock")
    _git(repo, "commit", "-q", "-m", out)
    return _git(repo, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, Path]:
    """A git repository with two experiment commits and the fixture's revs filled in."""
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    moved = paper_aggregate()
    shift_out_of_tolerance(moved["metrics"]["dsprites.topk.dead_pct"])
    revs = {"AS_PAPER_REV": _commit(repo, "results", paper_aggregate()),
            "MOVED_REV": _commit(repo, "elsewhere", moved), "BASELINE_REV": "0" * 40,
            "QUEUED_REV": "1" * 40}  # fmt: skip
    text = FIXTURE.read_text()
    for placeholder, rev in revs.items():
        text = text.replace(placeholder, rev)
    saved = tmp_path / "exp_show.json"
    saved.write_text(text)
    return repo, saved


def test_finished_experiments_with_their_out_directories():
    found = experiments(json.loads(FIXTURE.read_text()))
    # the workspace and baseline rows are not experiments; the queued one has nothing yet
    assert found == [("reading-k-shape-as-paper", "AS_PAPER_REV", "results"),
                     ("reading-sae-tied-true", "MOVED_REV", "elsewhere")]  # fmt: skip


def test_table_from_a_saved_exp_show(repo, monkeypatch):
    root, saved = repo
    monkeypatch.chdir(root)
    result = runner.invoke(app, ["readings", "table", "--from-dvc", str(saved), "--json"])
    assert result.exit_code == 0, result.output
    table = json.loads(result.stdout)
    assert table["readings"] == ["reading-k-shape-as-paper", "reading-sae-tied-true"]
    assert table["claims"]["t1.dsprites.topk.dead_pct"] == {
        "reading-k-shape-as-paper": "pass", "reading-sae-tied-true": "fail"}  # fmt: skip


def test_bad_inputs_are_one_sentence_and_exit_2(repo, tmp_path, monkeypatch):
    root, saved = repo
    monkeypatch.chdir(root)
    (tmp_path / "bad.json").write_text("{not json")
    for argv in (["--from-dvc", str(tmp_path / "bad.json")], ["--from-dvc", str(tmp_path / "none")],
                 [str(tmp_path), "--from-dvc", str(saved)], []):  # fmt: skip
        result = runner.invoke(app, ["readings", "table", *argv])
        assert result.exit_code == 2, (argv, result.output)
        assert result.output.startswith("error: ") and "Traceback" not in result.output
    with pytest.raises(InputError, match="no finished experiment"):
        experiments([{"rev": "workspace", "data": {}, "experiments": None}])
