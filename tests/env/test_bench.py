"""`artifact bench`'s harness and CLI at toy sizes (the benchmark itself never runs in the suite)."""

from __future__ import annotations

import json

import pytest
import torch
import typer
from typer.testing import CliRunner

from artifact.cli.bench import register
from artifact.config import load_params, resolve
from artifact.env.bench.rows import ROWS, Row, Setup, sae_step_flops
from artifact.env.bench.run import format_table, run_bench
from artifact.errors import ExitCode
from tests.helpers import write_params

TOY = {  # paper profile at toy sizes: d = 4 * 64 = 256, m = 64, B = 4, k 16 -> 4
    "model": {"vae_layout": "conv8x8_fc", "conv_channels": [4, 4, 4, 4], "conv_sae_width": 64, "fc_hidden": 16},
    "train": {"batch_size": 4, "stage2": {"k": 16}, "stage3": {"k_start": 16, "k_end": 4}},
    "profiles": {"paper": {"n_eval_samples": 48}},
}
ROW_FIELDS = {"name", "ms_per_step", "images_per_s", "gflops", "ratio_to_matmul", "peak_mb"}


@pytest.fixture
def restore_determinism():
    """The CLI sets training's global determinism flags; put them back for the other tests."""
    enabled = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    yield
    torch.use_deterministic_algorithms(enabled, warn_only=warn_only)


def _cli() -> typer.Typer:
    app = typer.Typer()
    register(app)
    app.command("noop")(lambda: None)  # a second command keeps `bench` a subcommand
    return app


def test_sae_flops_count_only_the_k_active_atoms_beyond_the_encoder():
    dense_encoder = 2.0 * 512 * 4096 * 8192
    assert sae_step_flops(512, 4096, 8192, None, False) == 5 * dense_encoder
    assert sae_step_flops(512, 4096, 8192, 50, False) == dense_encoder + 2.0 * 512 * 50 * 4096 * 4
    assert sae_step_flops(512, 4096, 8192, 50, True) - sae_step_flops(
        512, 4096, 8192, 50, False
    ) == (2.0 * 512 * 50 * 4096)


def test_run_bench_times_each_row_against_the_matmul_and_skips_missing_modules(tmp_path):
    cfg = resolve(load_params(write_params(tmp_path, TOY)), "paper")
    calls = []
    counted = Row("counted", lambda c, d: Setup(lambda: calls.append(1), flops=1e6, images=4))
    absent = Row("absent", counted.build, requires=("artifact.no_such_module:thing",))
    report = run_bench(cfg, torch.device("cpu"), rows=[counted, absent])
    assert len(calls) == counted.warmup + counted.repeats
    (row,) = report["rows"]
    assert ROW_FIELDS <= row.keys() and row["name"] == "counted"
    assert row["images_per_s"] == pytest.approx(4 / (row["ms_per_step"] / 1e3))
    assert report["skipped"] == [
        {"name": "absent", "why": "artifact.no_such_module does not exist yet"}
    ]
    assert report["matmul"]["ms"] > 0 and report["matmul"]["gflops"] > 0
    assert "counted" in format_table(report)


def test_bench_json_has_the_matmul_and_every_row(tmp_path, restore_determinism):
    params = write_params(tmp_path, TOY)
    result = CliRunner().invoke(_cli(), ["bench", "--json", "--params", str(params)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report["matmul"]) == {"ms", "gflops"}
    names = [row["name"] for row in report["rows"]] + [s["name"] for s in report["skipped"]]
    assert names == [row.name for row in ROWS]
    for row in report["rows"]:
        assert ROW_FIELDS <= row.keys(), row["name"]
        assert row["ms_per_step"] > 0 and row["peak_mb"] >= 0
    shares = [row for row in report["rows"] if "share_of_step" in row]
    assert all(0 < row["share_of_step"] for row in shares)


@pytest.mark.skipif(
    torch.cuda.is_available(), reason="checks the refusal on a machine without CUDA"
)
def test_bench_on_cuda_without_a_gpu_is_one_line_and_exit_5(tmp_path):
    params = write_params(tmp_path, TOY)
    result = CliRunner().invoke(_cli(), ["bench", "--device", "cuda", "--params", str(params)])
    assert result.exit_code == ExitCode.HARDWARE
    assert result.output.strip().startswith("error: --device cuda")
    assert len(result.output.strip().splitlines()) == 1


def _report(ms: dict[str, float]) -> dict:
    from artifact.env.bench.project import NEEDED

    return {"device": "toy", "rows": [{"name": names[0], "ms_per_step": ms.get(what, 0.0)}
                                      for what, names in NEEDED.items()]}  # fmt: skip


def test_the_projection_charges_one_evaluation_per_epoch_and_every_batch_its_step():
    from artifact.env.bench.project import project
    from tests.helpers import paper_config

    cfg = paper_config()
    train = cfg.train
    epochs = train.stage1.n_epochs + train.stage2.n_epochs + 2 * train.stage3.n_epochs + train.extended.n_epochs
    hour = 3.6e6  # ms
    only_eval = project(_report({"evaluation": hour, "evaluation_readings": hour}), cfg)
    assert only_eval["hours_per_seed"] == {"dsprites": epochs, "shapes3d": epochs}
    assert only_eval["hours_serial_one_device"] == 2 * epochs * len(train.seeds)
    # The readings only where the aggregate reads them: the ends of pretrain, of each joint run
    # and of the extended run, and the Top-k run's at_k_start.
    only_readings = project(_report({"evaluation_readings": hour}), cfg)
    assert only_readings["hours_per_seed"] == {"dsprites": 5, "shapes3d": 5}
    only_vae = project(_report({"vae": hour}), cfg)  # stage 1 a full VAE step, stage 2 a third
    vae_epochs = train.stage1.n_epochs + train.stage2.n_epochs / 3
    assert only_vae["hours_per_seed"]["dsprites"] == pytest.approx(1152 * vae_epochs, abs=1e-3)
    assert only_vae["hours_per_seed"]["shapes3d"] == pytest.approx(782 * vae_epochs, abs=1e-3)


def test_the_projection_refuses_a_report_without_its_rows(tmp_path):
    from artifact.env.bench.project import project, read_bench_report
    from artifact.errors import InputError
    from tests.helpers import paper_config

    with pytest.raises(InputError, match="lacks the row vae_step"):
        project({"rows": []}, paper_config())
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(InputError, match="holds no bench rows"):
        read_bench_report(tmp_path / "bad.json")


def test_bench_project_from_a_gpu_check_json_prints_the_suite_hours(tmp_path, restore_determinism):
    check = tmp_path / "gpu_check.json"
    check.write_text(json.dumps({"bench": _report({"evaluation": 3.6e6}) | {"device": "NVIDIA H200"}}))
    params = write_params(tmp_path)
    result = CliRunner().invoke(_cli(), ["bench", "--from", str(check), "--params", str(params)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("paper suite on NVIDIA H200: ")
