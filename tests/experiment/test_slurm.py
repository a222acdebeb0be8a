"""`artifact reproduce --executor slurm` on a real SLURM cluster (.ci/slurm-cluster.sh starts a
one-node one): the array's metrics equal a local run's at the same thread count, a task signalled
(submitit's checkpoint protocol) and then killed and requeued (`scontrol requeue`) mid-run ends
with the same metrics, and a failed task is one sentence naming its chain, job and log, with the
final step not run and a rerun resubmitting only the failed chain.

Skipped where no cluster answers; CI sets ARTIFACT_SLURM_CLUSTER, and there they fail instead."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from artifact.cli import app as cli
from artifact.train.checkpoint import FORMAT
from tests.helpers import write_params

CI_CONF = Path(os.environ.get("ARTIFACT_SLURM_DIR", "/tmp/artifact-slurm")) / "slurm.conf"
# One CPU per task (and so one torch thread), short polls; 12 extended epochs (~4 s on 2 cores)
# leave a window to requeue mid-phase.
SLURM = {"gpus_per_task": 0, "cpus_per_task": 1, "mem_gb": None, "time_min": 10, "poll_s": 1}
LONGER = {"train": {"extended": {"n_epochs": 300}}, "slurm": SLURM}


def comparable(out: Path) -> dict[str, dict]:
    """Every phase's per-epoch records and final metrics, without the wall-clock times."""
    files = {}
    for path in sorted(out.glob("runs/*/*.json")):
        if not path.stem.endswith("_summary"):  # a summary is a digest of the same file
            payload = json.loads(path.read_text())
            records = [*payload["epochs"], payload.get("final") or {}]
            files[str(path.relative_to(out))] = [
                {k: v for k, v in r.items() if k != "wall_s"} for r in records
            ]
    return files


def _cluster_problem() -> str | None:
    if shutil.which("sinfo") is None:
        return "sinfo is not on PATH"
    try:  # sinfo retries a missing controller or config for a minute: give it 10 s
        listed = subprocess.run(["sinfo", "--noheader", "--format=%T"], capture_output=True,
                                text=True, timeout=10)  # fmt: skip
    except subprocess.TimeoutExpired:
        return "sinfo did not answer within 10 s (no controller, or no slurm.conf; see SLURM_CONF)"
    if listed.returncode != 0:
        return f"sinfo failed ({(listed.stderr.strip().splitlines() or ['no output'])[-1]})"
    if not re.search(r"idle|mixed|allocated", listed.stdout):
        return f"no node is up (sinfo: {listed.stdout.split()})"
    return None


@pytest.fixture(scope="module")
def cluster():
    with pytest.MonkeyPatch.context() as patch:
        if "SLURM_CONF" not in os.environ and CI_CONF.is_file():  # started by .ci/slurm-cluster.sh
            patch.setenv("SLURM_CONF", str(CI_CONF))
        problem = _cluster_problem()
        if problem and os.environ.get("ARTIFACT_SLURM_CLUSTER"):
            pytest.fail(f"ARTIFACT_SLURM_CLUSTER is set but the SLURM cluster is not up: {problem}")
        if problem:
            pytest.skip(f"no SLURM cluster reachable: {problem}; `.ci/slurm-cluster.sh up` starts one")
        yield


def reproduce(params: Path, out: Path, *extra: str, code: int = 0):
    result = CliRunner().invoke(
        cli.app, ["reproduce", "--params", str(params), "--out", str(out), "--profile", "smoke", *extra]
    )
    assert result.exit_code == code, result.output
    return result


def scontrol(job_id: str) -> str:
    return subprocess.run(["scontrol", "show", "job", "--oneliner", job_id],
                          capture_output=True, text=True, check=True).stdout  # fmt: skip


def wait_for(path: Path, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not path.is_file():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.1)


def wait_until_done(params: Path, out: Path) -> None:
    from artifact.cli.common import run_config
    from artifact.experiment.slurm import read_submission, wait

    wait(run_config(params, "smoke", out), read_submission(out), poll_s=1)


@pytest.fixture(scope="module")
def runs(cluster, tmp_path_factory) -> tuple[Path, dict, Path, str]:
    """A SLURM run submitted, and while its one task runs (on one CPU), the same experiment on
    this machine at the task's thread count (on the other)."""
    directory = tmp_path_factory.mktemp("runs")
    params = write_params(directory, LONGER)
    submitted = reproduce(params, directory / "slurm", "--executor", "slurm", "--no-wait")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        reproduce(params, directory / "local")
    finally:
        torch.set_num_threads(threads)
    return params, comparable(directory / "local"), directory / "slurm", submitted.output


def test_the_array_gives_the_metrics_of_a_local_run_and_the_report_waits_for_it(runs):
    params, local, out, printed = runs
    jobs = json.loads((out / "slurm" / "jobs.json").read_text())
    assert f"SLURM job {jobs['final_id']} after the array (afterok:{jobs['array_id']})" in printed
    script = (out / "slurm" / f"{jobs['final_id']}_submission.sh").read_text()
    assert f"--dependency=afterok:{jobs['array_id']}" in script and "--kill-on-invalid-dep=yes" in script
    wait_until_done(params, out)
    assert comparable(out) == local and (out / "report" / "report.md").is_file()
    again = reproduce(params, out, "--executor", "slurm")  # everything is on disk
    assert "nothing to submit" in again.output


def test_a_task_signalled_then_requeued_mid_run_resumes_and_ends_with_the_same_metrics(runs, tmp_path):
    params, local, _, _ = runs
    out = tmp_path / "out"
    reproduce(params, out, "--executor", "slurm", "--no-wait")
    jobs = json.loads((out / "slurm" / "jobs.json").read_text())
    (task,) = jobs["chains"].values()
    runs = out / "runs"
    wait_for(runs / "dsprites-42" / "pretrain.json")
    # What a time limit or a preemption sends: submitit checkpoints and requeues the task.
    subprocess.run(["scancel", "--signal=USR2", task], check=True)
    wait_for(runs / "dsprites-topk-42" / "metrics.json")  # the requeued task got past stage 3
    joint_done = (runs / "dsprites-topk-42" / "metrics.json").stat().st_mtime_ns
    subprocess.run(["scontrol", "requeue", task], check=True)  # killed mid-extended, requeued
    wait_until_done(params, out)
    assert comparable(out) == local
    assert (runs / "dsprites-topk-42" / "metrics.json").stat().st_mtime_ns == joint_done  # not redone
    assert "Restarts=2" in scontrol(task)
    log = (out / "slurm" / f"{task}_0_log.out").read_text()
    assert "Calling checkpoint method" in log  # the protocol's path, the first time
    assert log.count("Starting with JobEnvironment") == 3


def test_a_failed_task_is_one_sentence_the_report_waits_and_a_rerun_submits_only_it(cluster, tmp_path):
    params = write_params(tmp_path, {"train": {"seeds": [42, 43]}, "slurm": SLURM})
    out = tmp_path / "out"
    broken = out / "runs" / "dsprites-43" / "pretrain.pt"
    broken.parent.mkdir(parents=True)
    # A checkpoint of other params: the task of seed 43 refuses to resume from it.
    torch.save({"format": FORMAT, "config_digest": "other", "config": '{"profile": "paper"}'}, broken)
    result = reproduce(params, out, "--executor", "slurm", code=4)
    jobs = json.loads((out / "slurm" / "jobs.json").read_text())
    task = jobs["chains"]["dsprites-43"]
    log = out / "slurm" / f"{task}_0_log.err"
    assert result.output.strip().splitlines()[-1] == (
        f"error: chain dsprites-43 failed in SLURM job {task} (InputError); its log is {log}; "
        "rerun the same command to resubmit only what is missing."
    )
    assert "was made with other params" in log.read_text()
    assert not (out / "aggregate.json").exists()  # the final step never ran on partial results
    assert "JobState=CANCELLED" in scontrol(jobs["final_id"])
    status = CliRunner().invoke(cli.app, ["status", "--params", str(params), "--out", str(out)])
    assert "complete  joint dsprites-l1-42" in status.output
    assert "partial   pretrain dsprites-43" in status.output  # the foreign checkpoint is still there
    assert "missing   aggregate, claims and report" in status.output
    assert f"slurm {task} dsprites-43: failed" in status.output
    kept = {p: p.stat().st_mtime_ns for p in (out / "runs").glob("dsprites-*42/*")}
    broken.unlink()
    rerun = reproduce(params, out, "--executor", "slurm")
    again = json.loads((out / "slurm" / "jobs.json").read_text())
    assert list(again["chains"]) == ["dsprites-43"] and "dsprites-42" not in rerun.output
    assert {p: p.stat().st_mtime_ns for p in kept} == kept  # seed 42's finished files untouched
    aggregate = json.loads((out / "aggregate.json").read_text())
    assert aggregate["metrics"]["dsprites.topk.dead_pct"]["seeds"] == [42, 43]


def test_jobs_that_sbatch_refuses_are_one_sentence_and_nothing_is_left_queued(cluster, tmp_path):
    params = write_params(tmp_path, {"slurm": SLURM})
    result = reproduce(params, tmp_path / "out", "--executor", "slurm", "--partition", "nope", code=2)
    assert result.output.strip().splitlines() == [
        "error: sbatch refused the jobs (sbatch: error: invalid partition specified: nope); "
        "check the slurm: section of params.yaml."
    ]
    assert not (tmp_path / "out" / "slurm" / "jobs.json").exists()


def test_usr2_saves_at_the_next_step_before_submitit_requeues():
    """Without SLURM: SIGUSR2 only asks the phase to save and stop; submitit's own handler
    (requeue, exit) runs once the phase has stopped with its checkpoint written."""
    import signal

    from artifact.experiment.slurm import _save_before_requeue
    from artifact.train.checkpoint_triggers import REQUESTS, Stopped, stopped

    calls = []
    previous = signal.signal(signal.SIGUSR2, lambda signum, frame: calls.append(signum))
    try:
        with pytest.raises(Stopped), _save_before_requeue():
            os.kill(os.getpid(), signal.SIGUSR2)
            assert REQUESTS.stop.is_set() and calls == []  # asked, not yet requeued
            raise stopped()  # what the phase raises after its save
        assert calls == [signal.SIGUSR2]
    finally:
        signal.signal(signal.SIGUSR2, previous)
        REQUESTS.save.clear()
        REQUESTS.stop.clear()
