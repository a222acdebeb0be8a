"""What SLURM says about submitted jobs, without its accounting database.

`sacct` needs slurmdbd, which many small clusters (and the CI's one-node cluster) lack, so job
states come from `squeue` (the controller's memory: pending, running and recently ended jobs) and
a job the controller has forgotten is judged by the result file submitit writes when a task ends.
"""

from __future__ import annotations

import pickle
import re
import subprocess
from pathlib import Path

ACTIVE = {"PENDING", "RUNNING", "REQUEUED", "REQUEUE_FED", "REQUEUE_HOLD", "CONFIGURING",
          "COMPLETING", "SUSPENDED", "RESIZING", "SIGNALING", "STAGE_OUT", "PREEMPTED"}  # fmt: skip
GONE = "GONE"  # no longer in the controller's memory
EXCEPTION_LINE = re.compile(r"^(?:\w+\.)*(\w*(?:Error|Exception|Exit|Interrupt))(?::|$)")


def queue_states(job_ids: list[str]) -> dict[str, str]:
    """{job id: state} for every job and array task of `job_ids` the controller still knows.

    Array tasks are listed one by one ("12_0"); a pending array's tasks too (squeue -r).
    """
    states: dict[str, str] = {}
    for job_id in job_ids:  # one call each: squeue fails the whole call on one forgotten id
        try:
            listed = subprocess.run(
                ["squeue", "--noheader", "--array", "--states=all", "--jobs", job_id,
                 "--format=%i|%T"],
                capture_output=True, text=True, timeout=60,
            )  # fmt: skip
        except (OSError, subprocess.TimeoutExpired):
            continue
        for line in listed.stdout.splitlines():
            task, _, state = line.strip().partition("|")
            if task:
                states[task] = state
    return states


def task_state(states: dict[str, str], job_id: str) -> str:
    """A task's state: the controller's, or GONE once it has forgotten the job."""
    return states.get(job_id, GONE)


def result_error(folder: Path, job_id: str) -> str | None:
    """The class of the exception a finished task ended with ("InputError"), from submitit's
    result file; None when the task succeeded or wrote no result."""
    path = Path(folder) / f"{job_id}_0_result.pkl"
    try:
        outcome, value = pickle.loads(path.read_bytes())  # our own file, written by submitit
    except Exception:  # missing, half-written or unreadable: no verdict from this file
        return None
    if outcome != "error":
        return None
    # The traceback's exception line ("artifact.errors.InputError: ..."); an exception's own
    # message may add lines after it, so search from the end.
    for line in reversed(str(value).splitlines()):
        found = EXCEPTION_LINE.match(line.strip())
        if found:
            return found.group(1)
    return "an exception"


def has_result(folder: Path, job_id: str) -> bool:
    return (Path(folder) / f"{job_id}_0_result.pkl").is_file()


def log_path(folder: Path, job_id: str) -> Path:
    """The task's stderr, where the traceback and submitit's messages go."""
    return Path(folder) / f"{job_id}_0_log.err"


def cancel(job_ids: list[str]) -> None:
    """Best effort: a job that has ended already cannot be cancelled, and that is fine."""
    if job_ids:
        subprocess.run(["scancel", *job_ids], capture_output=True, timeout=60)
