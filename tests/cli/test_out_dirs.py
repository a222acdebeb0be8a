"""The steps that read finished runs hold the output directory's lock and write atomically; an
output or report directory that cannot be written is bad input (exit 2, one sentence naming the
path and the remedy), never `internal error` (issue 13). Through the CLI (CliRunner)."""

from __future__ import annotations

import os

import pytest
from typer.testing import CliRunner

from artifact.cli.app import app
from artifact.storage.lock import directory_lock
from tests.fixtures.report_synthetic import config, write_runs
from tests.helpers import one_sentence

runner = CliRunner()


def cli(*args):
    return runner.invoke(app, [str(a) for a in args])




@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    out = tmp_path_factory.mktemp("finished") / "out"
    write_runs(config("smoke", seeds=(42,)), out)
    assert cli("aggregate", "--out", out).exit_code == 0
    return out


@pytest.mark.parametrize("step", [["aggregate", "--out"], ["claims", "--out"], ["report", "--metrics"]])
def test_a_step_beside_a_running_reproduce_is_refused_and_writes_nothing(finished, step):
    before = {p: p.stat().st_mtime_ns for p in finished.rglob("*") if p.is_file()}
    with directory_lock(finished):  # what `reproduce` holds while it runs
        result = cli(*step, finished)
    one_sentence(result, 4, "another artifact process is writing to", str(finished))
    after = {p: p.stat().st_mtime_ns for p in finished.rglob("*") if p.is_file()}
    assert after == before


@pytest.mark.parametrize("step", [["aggregate", "--out"], ["claims", "--out"], ["report", "--metrics"]])
def test_a_step_on_a_regular_file_says_it_is_a_file(tmp_path, step):
    path = tmp_path / "results"
    path.write_text("not a directory")
    one_sentence(cli(*step, path), 2, str(path), "is a file, not a directory")
    missing = tmp_path / "nowhere"
    one_sentence(cli(*step, missing), 2, str(missing), "does not exist")
    assert not missing.exists()  # refusing never creates the directory


def test_a_report_directory_that_is_a_file_is_bad_input(finished, tmp_path):
    target = tmp_path / "report"
    target.write_text("a file")
    one_sentence(cli("report", "--metrics", finished, "--out", target), 2, str(target), "writable")


def test_an_unwritable_output_directory_is_bad_input(finished, monkeypatch):
    real_access = os.access
    def access(path, mode, **kwargs):  # root ignores permission bits: say "not writable" here
        return False if str(path) == str(finished) and mode & os.W_OK else real_access(path, mode)

    monkeypatch.setattr(os, "access", access)
    one_sentence(cli("aggregate", "--out", finished), 2, str(finished), "pass a writable --out")


def test_a_read_only_file_system_under_the_report_is_bad_input(finished, tmp_path, monkeypatch):
    import tempfile

    def read_only(*args, **kwargs):
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    one_sentence(cli("report", "--metrics", finished, "--out", tmp_path / "r"), 2,
                 "Read-only file system", "choose a writable directory")  # fmt: skip


def test_reproduce_on_a_regular_file_out_is_bad_input(tmp_path):
    from tests.helpers import write_params

    target = tmp_path / "file-out"
    target.write_text("x")
    result = cli("reproduce", "--params", write_params(tmp_path), "--profile", "smoke",
                 "--device", "cpu", "--out", target)  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "is a file, not a directory" in result.output and "internal error" not in result.output
