"""`artifact bench --project`: the paper suite's wall time predicted from a bench report.

Model (serial, one device): every batch of every epoch of every phase at the measured step
time, plus one evaluation per epoch at the measured evaluation time: of the registered reading
alone, or, at the epochs train/phase_plan.readings_due names (a phase's last, at_k_start), with
every configured reading. The Top-k joint step is
measured at k = 50; the epochs at larger k (the warm-up at k_start and, on average, half the
anneal) are charged the gap between the SAE steps at k_start and k_end. Stage 2 is an SAE step
at k_start plus a third of a VAE step (its forward, no backward). The rows are measured on
Shapes3D's 3 channels, so dSprites' steps are slightly overestimated. Data loading and
checkpoint writes are not counted (a checkpoint every 10 minutes in the background: < 2 %,
benchmarks/bench_checkpoint.py).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from artifact.config import RunConfig
from artifact.errors import InputError
from artifact.train.phase_plan import epoch_slots, readings_due

NEEDED = {
    "vae": ("vae_step",),
    "sae_start": ("sae_topk500_sparse", "sae_topk500_dense"),
    "sae_end": ("sae_topk50_sparse", "sae_topk50_dense"),
    "joint_topk": ("joint_topk50",),
    "joint_l1": ("joint_l1",),
    "evaluation": ("evaluation",),
    "evaluation_readings": ("evaluation_readings",),
}


def _step_ms(report: dict) -> dict[str, float]:
    """The step times the model needs, in ms; the faster of a row's sparse/dense variants
    (what `train.fast_topk: auto` should pick)."""
    rows = {row["name"]: row["ms_per_step"] for row in report.get("rows", [])}
    found = {}
    for what, names in NEEDED.items():
        times = [rows[name] for name in names if name in rows]
        if not times:
            raise InputError(
                f"the bench report lacks the row {names[0]}; rerun `artifact bench` in full."
            )
        found[what] = min(times)
    return found


def project(report: dict, cfg: RunConfig) -> dict:
    """Hours of the paper suite (cfg: the paper profile) on the bench report's device."""
    from artifact.data.spec import get_spec
    from artifact.data.splits import n_train

    ms = _step_ms(report)
    train, s3 = cfg.train, cfg.train.stage3
    at_start = s3.k_warmup_epochs + (s3.k_anneal_end_epoch - s3.k_warmup_epochs) / 2
    joint_topk = ms["joint_topk"] + (ms["sae_start"] - ms["sae_end"]) * at_start / s3.n_epochs
    joint = {"topk": joint_topk, "l1": ms["joint_l1"]}
    extended = [m for m in train.methods if m in train.extended.methods]
    # (stage, epoch, method) of every evaluation of a chain: pretrain once, joint per method.
    slots = [(s, e, None) for s, e in epoch_slots("pretrain", cfg)]
    slots += [(s, e, m) for m in train.methods for s, e in epoch_slots("joint", cfg)]
    slots += [(s, e, m) for m in extended for s, e in epoch_slots("extended", cfg)]
    with_readings = sum(readings_due(s, e, m, cfg) for s, e, m in slots)
    evaluation_ms = ((len(slots) - with_readings) * ms["evaluation"]
                     + with_readings * ms["evaluation_readings"])  # fmt: skip
    hours = {}
    for name in cfg.data.datasets:
        batches = math.ceil(n_train(get_spec(name).n_images, name, cfg.data) / train.batch_size)
        per_batch_ms = (
            train.stage1.n_epochs * ms["vae"]
            + train.stage2.n_epochs * (ms["sae_start"] + ms["vae"] / 3)
            + s3.n_epochs * sum(joint[m] for m in train.methods)
            + train.extended.n_epochs * len(extended) * ms["joint_topk"]
        )
        hours[name] = (batches * per_batch_ms + evaluation_ms) / 3.6e6
    total = sum(hours.values()) * len(train.seeds)
    return {
        "device": report.get("device", "unknown"),
        "hours_per_seed": {name: round(h, 3) for name, h in hours.items()},
        "seeds": len(train.seeds),
        "hours_serial_one_device": round(total, 2),
        "hours_with_one_chain_per_device": round(max(hours.values()), 2),
    }


def read_bench_report(path: Path) -> dict:
    """A bench report from `artifact bench --json`, or the `bench` part of a GPU check's JSON
    (benchmarks/gpu_check.sh)."""
    try:
        raw = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        raise InputError(f"{path} is not a readable bench or GPU-check JSON file.") from None
    report = raw.get("bench", raw) if isinstance(raw, dict) else None
    if not isinstance(report, dict) or "rows" not in report:
        raise InputError(f"{path} holds no bench rows; give the JSON of `artifact bench --json`.")
    return report


def format_projection(projection: dict) -> str:
    per_seed = ", ".join(f"{name} {h:.2f} h" for name, h in projection["hours_per_seed"].items())
    return (
        f"paper suite on {projection['device']}: {projection['hours_serial_one_device']:.1f} h "
        f"serial ({per_seed} per seed, x{projection['seeds']} seeds); "
        f"{projection['hours_with_one_chain_per_device']:.1f} h with one chain per device"
    )
