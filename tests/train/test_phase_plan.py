"""readings_due: the readings are computed at exactly the epochs whose records the aggregate
reads (a phase's final epoch and the joint run's at_k_start), at every profile."""

from __future__ import annotations

import pytest

from artifact.config import load_params, resolve
from artifact.train.phase_plan import PHASE_STAGES, epoch_slots, plan_for, readings_due
from artifact.train.phase_runner import _at_k_start

PROFILES = ("paper", "laptop", "slice", "smoke")


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("method", ["topk", "l1"])
def test_readings_due_exactly_where_the_aggregate_reads(profile, method):
    cfg = resolve(load_params(), profile)
    records = {
        phase: [{"stage": s, "epoch": e, "k": plan_for(s, e, method, cfg).k}
                for s, e in epoch_slots(phase, cfg)]  # fmt: skip
        for phase in PHASE_STAGES
    }
    read = {(r["stage"], r["epoch"]) for phase in PHASE_STAGES for r in records[phase][-1:]}
    at_k_start = _at_k_start(records["pretrain"] + records["joint"], cfg)
    read.add((at_k_start["stage"], at_k_start["epoch"]))
    due = {(s, e) for phase in PHASE_STAGES for s, e in epoch_slots(phase, cfg)
           if readings_due(s, e, method, cfg)}  # fmt: skip
    assert due == read
    if profile == "paper" and method == "topk":
        assert at_k_start["stage"] == "stage3" and at_k_start["epoch"] == 6  # k rounds to 500
        assert len(due) == 4  # pretrain and joint final, at_k_start, extended final
