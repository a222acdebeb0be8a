"""The aggregate carries every evaluation-time reading under the plain key vocabulary."""

from __future__ import annotations

from artifact.experiment.aggregate import reading_values, run_values
from artifact.metrics.keys import all_metric_keys

A, B = (
    "codes.equal_width20.nats.raw.boost_off.mig20",
    "pre_cut.active_inactive.bits.raw.boost_on.mig10",
)


def _record(dead: float, spec: int) -> dict:
    return {"mig": 0.1, "mse": 0.02, "dead_pct": dead, "specialised": spec,
            "effective_sparsity_pct": 99.0, "dead_pct_at": {"0.01": dead + 1},
            "specialised_at": {"0.2": spec + 5}}  # fmt: skip


def _with_readings(dead: float, spec: int) -> dict:
    return _record(dead, spec) | {
        "readings": {A: _record(dead, spec), B: _record(dead / 2, spec * 3)}
    }


def test_each_reading_has_the_run_keys_of_its_own_record():
    joint = {
        "final": _with_readings(40.0, 100),
        "at_k_start": _with_readings(10.0, 300),
        "timing_s": {},
    }
    extended = {"final": _with_readings(30.0, 200)}
    values = reading_values(joint, extended)
    assert set(values) == {A, B}
    assert values[A] == {
        k: v for k, v in run_values(joint, extended).items() if not k.endswith("_minutes")
    }
    assert (
        values[B]["extended_specialised_thr_0.2"] == 605 and values[B]["dead_pct_at_k_start"] == 5.0
    )
    assert all(f"dsprites.topk.{name}" in all_metric_keys() for name in values[B])


def test_records_without_readings_give_none():
    joint = {"final": _record(1.0, 1), "timing_s": {}}
    assert reading_values(joint, None) == {}
