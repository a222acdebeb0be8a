"""`artifact data info | verify | show | prepare | fidelity`: exit codes and what they print."""

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
    small = {"profiles": {"smoke": {"n_eval_samples": 10}}}  # the small spec's validation split
    result = invoke(
        "info", "dsprites", "--path", str(path), "--params", str(write_params(tmp_path, small))
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
    params = write_params(tmp_path, {"profiles": {"smoke": {"n_eval_samples": 10}}})  # small spec
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


def _write_gif(path, frames: np.ndarray) -> None:
    """A GIF of binary 64 x 64 frames, as the dSprites README GIF stores them (0/255)."""
    images = [Image.fromarray((f * 255).astype(np.uint8)).convert("RGB") for f in frames]
    images[0].save(path, save_all=True, append_images=images[1:])


def test_fidelity_of_an_unknown_dataset_is_one_line_and_exit_3(tmp_path):
    result = invoke("fidelity", "mnist", "--out", str(tmp_path / "f.png"))
    assert result.exit_code == 3
    assert result.output.strip() == (
        "error: unknown dataset 'mnist'; choose one of: dsprites, shapes3d."
    )
    assert not (tmp_path / "f.png").exists()


def test_fidelity_without_reference_frames_is_one_line_and_exit_3(tmp_path):
    missing = tmp_path / "nowhere"
    result = invoke(
        "fidelity", "dsprites", "--out", str(tmp_path / "f.png"), "--reference", str(missing)
    )
    assert result.exit_code == 3
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "not found" in lines[0] and str(missing) in lines[0]
    assert "Traceback" not in result.output


def test_fidelity_finds_each_reference_frame_and_writes_the_picture(tmp_path, monkeypatch):
    # A reduced grid (the first 48 dSprites images) so that the full-grid search stays fast;
    # the reference frames are three of those images, so each must be found pixel for pixel.
    from artifact.data.procedural import render_images

    install_small_spec(monkeypatch, "dsprites")
    wanted = [0, 17, 40]
    reference = tmp_path / "reference"
    reference.mkdir()
    _write_gif(reference / "dsprites.gif", render_images("dsprites", wanted)[..., 0])
    out = tmp_path / "fidelity.png"
    result = invoke(
        "fidelity", "dsprites", "--out", str(out), "--reference", str(reference), "--json"
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["frames"] == 3 and figures["identical"] == 3 and figures["iou_min"] == 1.0
    with Image.open(out) as picture:
        width, height = picture.size
    assert (width, height) == (3 * 200, 3 * 3 * 68)  # 3 rows of official | match | difference
    sheet = np.asarray(Image.open(out).convert("L"))
    difference = sheet[:, 3 * 136 :]  # the third panel: identical frames leave it black
    rows = [difference[3 * (68 * r + 2) : 3 * (68 * r + 66)] for r in range(3)]
    assert max(row.max() for row in rows) == 0 and sheet.max() > 0
