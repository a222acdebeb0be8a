"""`artifact data info | verify | show | prepare`: exit codes and what they print."""

from __future__ import annotations

import json

import numpy as np
from PIL import Image
from typer.testing import CliRunner

from artifact.cli.app import app
from artifact.data.spec import Pin, official_path
from tests.helpers import write_params
from tests.helpers.official_files import install_small_spec, md5_of, write_dsprites_npz

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, ["data", *args])


def test_prepare_then_info_reports_a_ready_procedural_dataset(tmp_path):
    params = write_params(tmp_path)
    result = invoke("prepare", "dsprites", "--params", str(params))
    assert result.exit_code == 0, result.output
    assert "dsprites: 256 images (procedural, profile smoke)" in result.output
    result = invoke("info", "dsprites", "--params", str(params), "--json")
    report = json.loads(result.output)
    assert report["factor_sizes"] == [3, 6, 40, 32, 32] and report["n_images"] == 737_280
    assert report["n_images_used"] == 256 and report["prepared"]["status"] == "ready"


def test_info_on_an_official_file_shows_its_checksum_status(tmp_path, monkeypatch):
    path = write_dsprites_npz(tmp_path / "d.npz")
    install_small_spec(monkeypatch, "dsprites", Pin(md5=md5_of(path)))
    result = invoke(
        "info", "dsprites", "--path", str(path), "--params", str(write_params(tmp_path))
    )
    assert result.exit_code == 0, result.output
    assert "md5 verified" in result.output and "pin its sha256" in result.output


def test_verify_fails_with_exit_3_when_prepared_images_were_altered(tmp_path):
    params = write_params(tmp_path)
    assert invoke("prepare", "dsprites", "--params", str(params)).exit_code == 0
    assert invoke("verify", "--params", str(params)).exit_code == 0
    images = tmp_path / "data" / "prepared" / "dsprites" / "images.npy"
    data = bytearray(images.read_bytes())
    data[-1] ^= 1
    images.write_bytes(bytes(data))
    result = invoke("verify", "--params", str(params))
    assert result.exit_code == 3 and "FAIL prepared" in result.output
    assert result.output.strip().splitlines()[-1].startswith("error: 1 of 1 data files failed")


def test_verify_checks_a_present_official_file(tmp_path, monkeypatch):
    params = write_params(tmp_path)
    path = official_path("dsprites", tmp_path / "data")
    path.parent.mkdir(parents=True)
    write_dsprites_npz(path)
    install_small_spec(monkeypatch, "dsprites", Pin(md5="0" * 32))
    result = invoke("verify", "--params", str(params))
    assert result.exit_code == 3 and "FAIL official" in result.output and "0" * 32 in result.output


def test_show_writes_a_png_with_official_beside_procedural(tmp_path, monkeypatch):
    install_small_spec(monkeypatch, "dsprites")
    official = write_dsprites_npz(tmp_path / "d.npz")
    out = tmp_path / "walk.png"
    result = invoke(
        "show",
        "dsprites",
        "--out",
        str(out),
        "--path",
        str(official),
        "--columns",
        "4",
        "--params",
        str(write_params(tmp_path)),
    )
    assert result.exit_code == 0, result.output
    with Image.open(out) as picture:
        width, height = picture.size
    assert width > 1.5 * height  # two panels side by side


def test_show_without_official_file_draws_the_renderer_only(tmp_path):
    out = tmp_path / "walk.png"
    result = invoke("show", "dsprites", "--out", str(out), "--params", str(write_params(tmp_path)))
    assert result.exit_code == 0, result.output
    pixels = np.asarray(Image.open(out))
    assert pixels.ndim == 3 and pixels.shape[0] > 200


def test_unknown_dataset_is_one_line_and_exit_3(tmp_path):
    result = invoke("info", "mnist", "--params", str(write_params(tmp_path)))
    assert result.exit_code == 3
    assert (
        result.output.strip()
        == "error: unknown dataset 'mnist'; choose one of: dsprites, shapes3d."
    )
