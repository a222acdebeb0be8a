"""Paths said as they are (issue 13): a path that exists as the wrong kind is never "does not
exist"; `data info --path` and `data verify` fail on an official file they cannot use; `data
show` writes the format its --out names; a failed download's message says what was done; a
duplicate claim id names its file; the README hard-codes no test count."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml
from PIL import Image
from typer.testing import CliRunner

from artifact.cli.app import app
from artifact.data.spec import official_path
from artifact.storage import paths as paths_module
from tests.data.test_fetch import Server
from tests.helpers import ROOT, write_params
from tests.helpers.claims import GOOD, write_registry
from tests.helpers.official_files import install_small_spec, write_dsprites_npz

runner = CliRunner()
SMALL = {"profiles": {"smoke": {"n_eval_samples": 10}}}  # the small spec's validation split holds 10


def invoke(*args: str):
    return runner.invoke(app, list(args))


def last_line(result) -> str:
    return result.output.strip().splitlines()[-1]


def symlink_loop(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(path.name, path)  # a link to itself
    return path


# -- data info --path / data verify ------------------------------------------------------------
@pytest.mark.parametrize(
    "make, words",
    [
        (lambda p: p.mkdir(), "is a directory, not a file"),
        (symlink_loop, "is a symlink loop"),
        (lambda p: None, "does not exist"),
        (lambda p: p.write_bytes(b"not an npz"), "corrupt or truncated"),
    ],
    ids=["directory", "symlink-loop", "missing", "corrupt"],
)
def test_data_info_on_an_unusable_path_exits_3_naming_what_it_is(tmp_path, monkeypatch, make, words):
    install_small_spec(monkeypatch, "dsprites")
    target = tmp_path / "d.npz"
    make(target)
    result = invoke("data", "info", "dsprites", "--path", str(target), "--params", str(write_params(tmp_path, SMALL)))
    assert result.exit_code == 3, result.output
    line = last_line(result)
    assert line.startswith(f"error: {target}") and words in line and "Traceback" not in result.output


def test_data_info_on_a_good_file_still_exits_0(tmp_path, monkeypatch):
    install_small_spec(monkeypatch, "dsprites")
    good = write_dsprites_npz(tmp_path / "d.npz")
    result = invoke("data", "info", "dsprites", "--path", str(good), "--params", str(write_params(tmp_path, SMALL)))
    assert result.exit_code == 0, result.output


def _unreadable(monkeypatch, target: Path) -> None:
    """Permission denied on `target` (the tests run as root, whom chmod does not stop)."""
    real_open = open

    def denying_open(path, *args, **kwargs):
        if Path(path) == target:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(paths_module, "open", denying_open, raising=False)


@pytest.mark.parametrize("kind", ["directory", "symlink-loop", "permission-denied"])
def test_data_verify_fails_when_an_official_path_exists_but_cannot_be_read(tmp_path, monkeypatch, kind):
    install_small_spec(monkeypatch, "dsprites")
    params = write_params(tmp_path, SMALL)
    target = official_path("dsprites", tmp_path / "data")
    target.parent.mkdir(parents=True)
    if kind == "directory":
        target.mkdir()
    elif kind == "symlink-loop":
        symlink_loop(target)
    else:
        write_dsprites_npz(target)
        _unreadable(monkeypatch, target)
    result = invoke("data", "verify", "--params", str(params))
    assert result.exit_code == 3, result.output
    words = {"directory": "is a directory", "symlink-loop": "is a symlink loop",
             "permission-denied": "cannot be read (Permission denied)"}[kind]  # fmt: skip
    assert "FAIL official" in result.output and words in result.output
    assert last_line(result).startswith("error: 1 of 1 data files failed")


# -- "does not exist" only of what does not exist ---------------------------------------------
def _wrong_kinds(tmp_path: Path) -> list[tuple[list[str], str]]:
    params = write_params(tmp_path)
    a_file = tmp_path / "a_file"
    a_file.write_text("x\n")
    a_dir = tmp_path / "a_dir"
    a_dir.mkdir()
    loop = symlink_loop(tmp_path / "loop")
    raw = yaml.safe_load(params.read_text())
    raw["paths"]["data_dir"] = str(a_file)
    data_is_a_file = tmp_path / "data_file.yaml"
    data_is_a_file.write_text(yaml.safe_dump(raw))
    raw["paths"]["data_dir"], raw["data"]["source"] = str(tmp_path / "official_data"), "official"
    official_is_a_dir = tmp_path / "official_dir.yaml"
    official_is_a_dir.write_text(yaml.safe_dump(raw))
    official_path("dsprites", tmp_path / "official_data").mkdir(parents=True)
    return [
        (["reproduce", "--dry-run", "--params", str(a_dir)], "is a directory, not a file"),
        (["reproduce", "--dry-run", "--params", str(loop)], "is a symlink loop"),
        (["verify-claims", "--metrics", str(a_file)], "is a file, not a directory"),
        (["verify-claims", "--metrics", str(loop)], "is a symlink loop"),
        (["aggregate", "--out", str(loop), "--params", str(params)], "is a symlink loop"),
        (["audit-paper", "--claims", str(a_file), "--params", str(params)], "is a file, not a directory"),
        (["data", "prepare", "dsprites", "--params", str(data_is_a_file)], "is a file, not a directory"),
        (["data", "prepare", "dsprites", "--params", str(official_is_a_dir)], "is a directory, not a file"),
    ]


def test_a_path_of_the_wrong_kind_is_never_said_not_to_exist(tmp_path):
    for args, words in _wrong_kinds(tmp_path):
        result = invoke(*args)
        assert result.exit_code in (2, 3), (args, result.output)  # bad input, never 70
        line = last_line(result)
        assert line.startswith("error: ") and words in line, (args, line)
        assert "does not exist" not in result.output and "missing" not in line, (args, line)


# -- data show --out ---------------------------------------------------------------------------
def test_show_writes_a_jpeg_for_a_jpg_name_and_refuses_an_unknown_suffix(tmp_path):
    params = str(write_params(tmp_path))
    jpeg = tmp_path / "walk.jpg"
    result = invoke("data", "show", "dsprites", "--out", str(jpeg), "--params", params)
    assert result.exit_code == 0, result.output
    with Image.open(jpeg) as picture:
        assert picture.format == "JPEG"
    gif = tmp_path / "walk.gif"
    result = invoke("data", "show", "dsprites", "--out", str(gif), "--params", params)
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "error: cannot write a picture named walk.gif; give --out a name ending in "
        ".png, .jpg, .jpeg, .pdf, .svg."
    ]
    assert not gif.exists()


# -- fetch's message says what it did ----------------------------------------------------------
def test_a_download_that_is_not_the_official_file_says_it_was_removed_not_delete_it(tmp_path, monkeypatch):
    spec = install_small_spec(monkeypatch, "dsprites")  # unpinned: only the structure check can fail
    server = Server(b"<html>rate limited</html>")
    try:
        result = invoke("data", "fetch", "dsprites", "--dir", str(tmp_path), "--url", server.url)
    finally:
        server.close()
    assert result.exit_code == 3, result.output
    line = last_line(result)
    assert f"{spec.filename}.part" in line and "the partial file was removed" in line
    assert "delete it" not in line
    assert list(tmp_path.iterdir()) == []  # as the message says


# -- claims registry -----------------------------------------------------------------------------
@pytest.mark.parametrize("second_file", [False, True], ids=["same-file", "two-files"])
def test_a_duplicate_claim_id_names_its_files(tmp_path, second_file):
    claims = write_registry(tmp_path / "claims", [GOOD] if second_file else [GOOD, GOOD])
    if second_file:
        (claims / "30_more.yaml").write_text(yaml.safe_dump({"defaults": {"scale_free": False}, "claims": [GOOD]}))
    result = invoke("audit-paper", "--claims", str(claims), "--params", str(write_params(tmp_path)))
    assert result.exit_code == 2, result.output
    where = "in 20_claims.yaml and 30_more.yaml" if second_file else "in 20_claims.yaml"
    assert last_line(result) == (
        f"error: claim id '{GOOD['id']}' is used twice, {where}; make claim ids unique."
    )


# -- README --------------------------------------------------------------------------------------
def test_the_readme_hard_codes_no_test_count():
    readme = (ROOT / "README.md").read_text()
    assert not re.search(r"\b\d+\s+tests?\b", readme), "a test count goes stale: leave it out"
