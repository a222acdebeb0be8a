"""`artifact reproduce --executor slurm`: the experiment as SLURM jobs, through submitit.

Each (dataset, seed) chain that is not complete becomes one task of a job array; the final step
(aggregate, claims, report) is one job that depends on the whole array (afterok), so it never
runs on partial results. Every job writes into the same output directory (a shared filesystem),
and the files alone say what is done (experiment/status.py): a rerun submits only what is missing.

Time limits and preemption follow submitit's checkpointing protocol: SLURM signals the task
(USR2, `signal_delay_s` before the limit; or when preempted); the running phase saves at its
next step boundary and stops, then submitit calls the task's `checkpoint()` and requeues it.
The requeued task skips the completed phases, resumes the interrupted one from that checkpoint
and ends with the metrics of an uninterrupted run. A task that SLURM kills (`scontrol requeue`:
SIGTERM, then SIGKILL after KillWait) resumes the same way from the save its SIGTERM asked for,
or from the last periodic one (`train.checkpoint_minutes`).
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import submitit

from artifact.config import RunConfig
from artifact.config.slurm import SlurmConfig
from artifact.errors import ConfigError, JobError
from artifact.experiment import slurm_queue as queue
from artifact.experiment.layout import slurm_dir
from artifact.experiment.plan import chains
from artifact.experiment.status import FINAL_STEP, final_state, incomplete_chains, phase_statuses
from artifact.storage.atomic import read_json, write_json
from artifact.storage.lock import directory_lock

CHAIN_JOB, FINAL_JOB = "artifact-chains", "artifact-final"


def chain_name(dataset: str, seed: int) -> str:
    return f"{dataset}-{seed}"


class ChainTask(submitit.helpers.Checkpointable):
    """One array task: every phase of one (dataset, seed) chain.

    Checkpointable's `checkpoint()` hands submitit this same call to requeue: the epoch
    checkpoints the phases write are the state, so nothing else needs saving.
    """

    def __call__(self, cfg_json: str, dataset: str, seed: int, device: str, fresh: bool,
                 n_threads: int) -> str:  # fmt: skip
        import torch

        from artifact.env.determinism import pick_device
        from artifact.env.preflight import preflight
        from artifact.experiment.reproduce import run_chain

        cfg = RunConfig.model_validate_json(cfg_json)
        torch.set_num_threads(n_threads)  # the metrics are bit-identical at equal thread counts
        torch_device = pick_device(device)
        preflight(cfg.profile, torch_device.type, Path(cfg.paths.out), cfg)  # the node's hardware
        # A requeued `--fresh` task continues what its first start began instead of starting over.
        restarted = int(os.environ.get("SLURM_RESTART_COUNT", "0")) > 0
        with _save_before_requeue(), directory_lock(Path(cfg.paths.out), exclusive=False):
            run_chain(cfg, dataset, seed, torch_device, fresh and not restarted)
        return chain_name(dataset, seed)


@contextlib.contextmanager
def _save_before_requeue():
    """On SLURM's USR2 (time limit, preemption) submitit's handler requeues and exits at once,
    which would lose the work since the last save. Ours first asks the running phase to save at
    its next step boundary and stop (train/checkpoint_triggers.py); once it has, submitit's
    handler runs: `checkpoint()`, `scontrol requeue`, exit."""
    from artifact.train.checkpoint_triggers import Stopped, request_checkpoint

    submitits = signal.getsignal(signal.SIGUSR2)
    caught: list[int] = []

    def on_usr2(signum, frame):
        request_checkpoint(stop=True, reason="SLURM's USR2 (time limit or preemption)")
        caught.append(signum)

    signal.signal(signal.SIGUSR2, on_usr2)
    try:
        yield
    except Stopped:
        if caught and callable(submitits):
            print("artifact: checkpoint written after SLURM's USR2; submitit requeues the task",
                  file=sys.stderr, flush=True)  # fmt: skip
            submitits(caught[0], None)  # requeues, then exits (SystemExit)
        raise
    finally:
        signal.signal(signal.SIGUSR2, submitits)


def final_step(cfg_json: str) -> str:
    """The dependent job: aggregate, claims and report, only on every chain's results."""
    from artifact.experiment.reproduce import finish

    cfg = RunConfig.model_validate_json(cfg_json)
    missing = incomplete_chains(cfg)
    if missing:
        names = ", ".join(chain_name(d, s) for d, s in missing)
        raise JobError(f"chains {names} are not complete; the {FINAL_STEP} wait for every chain.")
    with directory_lock(Path(cfg.paths.out)):
        return str(finish(cfg))


@dataclass(frozen=True)
class Submission:
    """What one `reproduce --executor slurm` submitted (jobs.json in the slurm folder)."""

    array_id: str | None = None
    chains: dict[str, str] = field(default_factory=dict)  # chain name -> array task id
    final_id: str | None = None

    @property
    def job_ids(self) -> list[str]:
        return [j for j in (self.array_id, self.final_id) if j is not None]

    def describe(self, folder: Path) -> list[str]:
        lines = []
        if self.array_id is not None:
            tasks = ", ".join(f"{task} {name}" for name, task in self.chains.items())
            lines.append(f"chains: SLURM job array {self.array_id} ({tasks})")
        if self.final_id is not None:
            after = f" after the array (afterok:{self.array_id})" if self.array_id else ""
            lines.append(f"{FINAL_STEP}: SLURM job {self.final_id}{after}")
        lines.append(f"logs: {folder}/<job id>_0_log.{{out,err}}")
        return lines


def read_submission(out: Path) -> Submission | None:
    path = slurm_dir(out) / "jobs.json"
    if not path.is_file():
        return None
    raw = read_json(path, "SLURM submission record")
    return Submission(raw.get("array_id"), dict(raw.get("chains", {})), raw.get("final_id"))


def _executor(folder: Path, slurm: SlurmConfig, final: bool = False,
              after: str | None = None) -> submitit.SlurmExecutor:  # fmt: skip
    """The chains' executor, or the final step's: one CPU, no GPU, and with `after` (an array
    id) started only once every task of it succeeded, cancelled by SLURM if one fails."""
    executor = submitit.SlurmExecutor(folder=folder, max_num_timeout=slurm.max_timeouts)
    extra = dict(slurm.extra_sbatch) | ({"kill-on-invalid-dep": "yes"} if after else {})
    parameters: dict = {
        "job_name": FINAL_JOB if final else CHAIN_JOB,
        "time": slurm.time_min,
        "cpus_per_task": 1 if final else slurm.cpus_per_task,
        "signal_delay_s": slurm.signal_delay_s,
        "additional_parameters": extra,
    }
    optional = {"partition": slurm.partition, "account": slurm.account,
                "mem": f"{slurm.mem_gb}GB" if slurm.mem_gb else None,
                "array_parallelism": slurm.array_parallelism,
                "dependency": f"afterok:{after}" if after else None,
                "gpus_per_task": slurm.gpus_per_task if slurm.gpus_per_task and not final else None}  # fmt: skip
    parameters |= {k: v for k, v in optional.items() if v is not None}
    executor.update_parameters(**parameters)
    return executor


def _refuse_if_active(out: Path) -> None:
    previous = read_submission(out)
    if previous is None:
        return
    states = queue.queue_states(previous.job_ids)
    active = sorted({job.split("_")[0] for job, state in states.items() if state in queue.ACTIVE})
    if active:
        raise JobError(
            f"SLURM jobs {', '.join(active)} of an earlier submission to {out} are still queued or "
            f"running; wait for them (artifact status --out {out}) or scancel them."
        )


def submit(cfg: RunConfig, slurm: SlurmConfig, device: str = "auto", fresh: bool = False) -> Submission:
    """Submit what `cfg`'s output directory lacks: the incomplete chains (all with `fresh`) as
    one array, and the final step after them. Returns what was submitted (maybe nothing)."""
    from artifact.data import prepare_dataset

    if shutil.which("sbatch") is None:
        raise ConfigError(
            "SLURM's sbatch is not on PATH; run on a login node of the cluster or use --executor local."
        )
    out = Path(cfg.paths.out)
    folder = slurm_dir(out)
    _refuse_if_active(out)
    with directory_lock(out):  # no local `reproduce` of the same directory meanwhile
        for name in cfg.data.datasets:  # once, here: tasks sharing a dataset never race to render it
            prepare_dataset(name, cfg.data, cfg.paths.data_dir, fetch=True)  # as local reproduce
        todo = chains(cfg) if fresh else incomplete_chains(cfg)
        if not todo and not fresh and final_state(cfg) == "complete":
            return Submission()
        cfg_json = cfg.model_dump_json()
        array_id, tasks = None, {}
        try:
            with contextlib.redirect_stderr(io.StringIO()):  # submitit echoes sbatch's refusal
                if todo:
                    n = len(todo)
                    jobs = _executor(folder, slurm).map_array(
                        ChainTask(), [cfg_json] * n, [d for d, _ in todo], [s for _, s in todo],
                        [device] * n, [fresh] * n, [slurm.cpus_per_task] * n,
                    )  # fmt: skip
                    array_id = jobs[0].job_id.split("_")[0]
                    tasks = {chain_name(d, s): job.job_id for (d, s), job in zip(todo, jobs, strict=True)}
                final_id = _executor(folder, slurm, True, array_id).submit(final_step, cfg_json).job_id
        except (submitit.core.utils.FailedJobError, submitit.core.utils.FailedSubmissionError) as error:
            if array_id is not None:
                queue.cancel([array_id])
            reason = next((ln for ln in str(error).splitlines() if "error:" in ln), str(error).strip())
            raise ConfigError(f"sbatch refused the jobs ({reason.strip()}); check the slurm: section of params.yaml.") from None
        submission = Submission(array_id, tasks, final_id)
        write_json(folder / "jobs.json", {"array_id": array_id, "chains": tasks, "final_id": final_id})
        return submission


@dataclass(frozen=True)
class Snapshot:
    """One look at a submission: phases complete, each chain's task state, the final job's."""

    phases_done: int
    phases_total: int
    chain_states: Counter
    final: str


def _chain_failure(folder: Path, name: str, job_id: str, state: str) -> str:
    error = queue.result_error(folder, job_id)
    reason = error or f"state {state}"
    if state == queue.GONE and error is None and not queue.has_result(folder, job_id):
        reason = "it ended without a result: killed, out of memory or out of time"
    return (
        f"chain {name} failed in SLURM job {job_id} ({reason}); its log is "
        f"{queue.log_path(folder, job_id)}; rerun the same command to resubmit only what is missing"
    )


def wait(cfg: RunConfig, submission: Submission, poll_s: float,
         on_poll: Callable[[Snapshot], None] | None = None) -> Path:  # fmt: skip
    """Poll until the final step has written the report (its path), or raise JobError naming the
    first failed chain (after the others have ended) or the failed final step."""
    from artifact.experiment.layout import report_dir

    out = Path(cfg.paths.out)
    folder = slurm_dir(out)
    while True:
        states = queue.queue_states(submission.job_ids)
        statuses = phase_statuses(cfg)
        incomplete = {chain_name(x.key.dataset, x.key.seed) for x in statuses if x.state != "complete"}
        counts: Counter = Counter()
        failures = []
        for name, job_id in submission.chains.items():
            state = queue.task_state(states, job_id)
            if name not in incomplete:
                counts["complete"] += 1
            elif state in queue.ACTIVE:
                counts[state.lower()] += 1
            else:
                counts["failed"] += 1
                failures.append(_chain_failure(folder, name, job_id, state))
        final = queue.task_state(states, submission.final_id) if submission.final_id else queue.GONE
        done = sum(x.state == "complete" for x in statuses)
        if on_poll is not None:
            on_poll(Snapshot(done, len(statuses), counts, final))
        # A task whose files are complete may still be exiting: wait for it to leave the queue.
        still_running = any(queue.task_state(states, j) in queue.ACTIVE for j in submission.chains.values())
        if failures and not still_running:
            if submission.final_id:  # if SLURM has not cancelled it already (kill-on-invalid-dep)
                queue.cancel([submission.final_id])
            more = f" ({len(failures) - 1} more chains failed)" if len(failures) > 1 else ""
            raise JobError(failures[0] + more + ".")
        if not failures and not still_running and final not in queue.ACTIVE:
            if final_state(cfg) == "complete":
                return report_dir(out) / "report.md"
            error = queue.result_error(folder, submission.final_id or "")
            reason = error or f"state {final}"
            raise JobError(
                f"the {FINAL_STEP} failed in SLURM job {submission.final_id} ({reason}); its log is "
                f"{queue.log_path(folder, submission.final_id or '')}."
            )
        time.sleep(poll_s)
