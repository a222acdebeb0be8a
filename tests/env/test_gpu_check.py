"""benchmarks/gpu_check.sh in its CPU mode (toy sizes): the script a GPU session runs first keeps
working, and its one JSON file holds the four measurements it promises."""

from __future__ import annotations

import json
import os
import subprocess

from tests.helpers import ROOT


def test_the_gpu_check_runs_end_to_end_on_the_cpu_and_writes_one_json(tmp_path):
    out = tmp_path / "gpu_check.json"
    env = os.environ | {"GPU_CHECK_TIMEOUT_S": "900"}  # a shared CI machine; ~40 s when quiet
    done = subprocess.run(
        [str(ROOT / "benchmarks" / "gpu_check.sh"), "--cpu-smoke", str(out)],
        capture_output=True, text=True, env=env, timeout=960,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["mode"].startswith("cpu-smoke")
    rows = {row["name"] for row in result["bench"]["rows"]}
    assert {"vae_step", "joint_topk50", "joint_l1", "evaluation"} <= rows
    phases = [p["phase"] for p in result["slice"]["phases"]]
    assert phases[0] == "data" and phases[-1].startswith("finish")
    assert {"pretrain dsprites-42", "joint dsprites-topk-42", "joint dsprites-l1-42",
            "extended dsprites-topk-42"} <= set(phases)  # fmt: skip
    assert all(p["wall_s"] >= 0 and p["peak_mb"] > 0 for p in result["slice"]["phases"])
    assert result["slice"]["data_source"] == "procedural"
    identity = result["bit_identity"]
    assert identity["bit_identical"] and identity["tensors_compared"] > 0
    hours = [v for k, v in result["projection"].items() if k.startswith("hours") and not isinstance(v, dict)]
    assert hours and all(h > 0 for h in hours)  # from `artifact bench --project`, or computed
