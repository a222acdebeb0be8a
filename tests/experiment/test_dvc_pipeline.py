"""dvc.yaml agrees with the code: each training stage lists exactly the params its checkpoint
digest covers (so an edit reruns what it changes and nothing else), and every path a stage
declares is the one experiment/layout.py writes."""

from __future__ import annotations

import pytest
import yaml

from artifact.experiment import layout
from artifact.train.phase_plan import PHASE_INDEPENDENT
from artifact.train.run_key import RunKey
from tests.helpers import ROOT, paper_config

DVC = yaml.safe_load((ROOT / "dvc.yaml").read_text())
PARAMS = yaml.safe_load((ROOT / "params.yaml").read_text())
PROFILE_ENTRIES = {"profile", "profiles.${profile}"}  # the profile and its preset


def _leaves(tree: dict, prefix: str = "") -> set[str]:
    out = set()
    for key, value in tree.items():
        name = f"{prefix}{key}"
        out |= _leaves(value, f"{name}.") if isinstance(value, dict) and value else {name}
    return out


def _under(tree: dict, dotted: str) -> set[str]:
    node = tree
    for part in dotted.split("."):
        node = node[part]
    return _leaves(node, f"{dotted}.") if isinstance(node, dict) else {dotted}


def _digest_leaves(phase: str) -> set[str]:
    """The params.yaml leaves a phase's checkpoint digest covers (RunConfig minus paths and
    minus what the phase does not depend on; keys a profile sets come with `profiles.*`)."""
    exclude = {"paths": True, "profile": True, **PHASE_INDEPENDENT[phase]}
    dumped = paper_config().model_dump(mode="json", exclude=exclude)
    return _leaves(dumped) & _leaves({k: v for k, v in PARAMS.items() if k != "profiles"})


@pytest.mark.parametrize("phase", ["pretrain", "joint", "extended"])
def test_a_training_stage_lists_exactly_the_params_its_checkpoint_digest_covers(phase):
    listed = DVC["stages"][phase]["params"]
    assert PROFILE_ENTRIES <= set(listed), f"{phase} must rerun when the profile changes"
    declared = set().union(*(_under(PARAMS, p) for p in listed if p not in PROFILE_ENTRIES))
    covered = _digest_leaves(phase)
    assert sorted(declared - covered) == [], f"{phase}: dvc.yaml lists params the digest ignores"
    assert sorted(covered - declared) == [], f"{phase}: the digest covers params dvc.yaml omits"


def _substitute(path: str, item: dict) -> str:
    path = path.replace("${paths.out}", "OUT")
    for name, value in item.items():
        path = path.replace(f"${{item.{name}}}", str(value))
    return path


@pytest.mark.parametrize(
    ("phase", "item"),
    [
        ("pretrain", {"dataset": "dsprites", "seed": 42}),
        ("joint", {"dataset": "shapes3d", "method": "l1", "seed": 43}),
        ("extended", {"dataset": "dsprites", "method": "topk", "seed": 44}),
    ],
)
def test_dvc_declares_the_files_layout_writes(phase, item):
    stage = DVC["stages"][phase]
    key = RunKey(item["dataset"], item["seed"], item.get("method"))
    paths = layout.phase_paths("OUT", key, phase)
    declared = {_substitute(p, item) for p in stage["outs"]}
    assert declared == {str(paths.checkpoint), str(paths.metrics)}
    assert [_substitute(p, item) for p in stage["metrics"]] == [str(paths.summary)]
    if paths.parent_checkpoint is not None:
        assert str(paths.parent_checkpoint) in {_substitute(p, item) for p in stage["deps"]}


def test_dvc_declares_the_aggregate_claims_and_report_files_layout_writes():
    stages = DVC["stages"]
    out = "OUT"
    assert [_substitute(p, {}) for p in stages["aggregate"]["outs"]] == [str(layout.aggregate_path(out))]
    assert [_substitute(p, {}) for p in stages["aggregate"]["metrics"]] == [str(layout.summary_json_path(out))]
    assert {_substitute(p, {}) for p in stages["claims"]["outs"]} == {
        str(layout.claims_path(out)),
        str(layout.audit_path(out)),
    }
    assert str(layout.report_dir(out)) in {_substitute(p, {}) for p in stages["report"]["outs"]}
    assert stages["report"]["cmd"].endswith(f"--out ${{paths.out}}/{layout.report_dir('').name}")
