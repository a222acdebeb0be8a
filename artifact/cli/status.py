"""`artifact status`: which phases of an output directory are complete, running, partial or
missing, read from its files (whichever executor wrote them), and its SLURM jobs if it has any."""

from __future__ import annotations

from pathlib import Path

import typer

from artifact.cli.common import handle_errors, run_config
from artifact.cli.options import OutDirOption, ParamsOption


@handle_errors
def status(params: ParamsOption = Path("params.yaml"), out: OutDirOption = None) -> None:
    """Print each phase's state (complete, running, partial = resumes, missing) and the final
    step's, from the output directory's files; then the SLURM jobs that wrote it, if any."""
    from collections import Counter

    from artifact.experiment.layout import slurm_dir
    from artifact.experiment.slurm import read_submission
    from artifact.experiment.status import FINAL_STEP, final_state, phase_statuses

    cfg = run_config(params, None, out)
    statuses = phase_statuses(cfg)
    for entry in statuses:
        typer.echo(f"{entry.state:<9} {entry.name}")
    final = final_state(cfg)
    typer.echo(f"{final:<9} {FINAL_STEP}")
    counts = Counter(entry.state for entry in statuses)
    summary = ", ".join(f"{counts[s]} {s}" for s in ("complete", "running", "partial", "missing") if counts[s])
    typer.echo(f"{len(statuses)} phases: {summary}; {FINAL_STEP} {final}")
    submission = read_submission(Path(cfg.paths.out))
    if submission is not None and submission.job_ids:
        from artifact.experiment import slurm_queue as queue

        states = queue.queue_states(submission.job_ids)

        def state(job_id: str) -> str:
            found = queue.task_state(states, job_id)
            return "no longer in the queue" if found == queue.GONE else found.lower()

        for name, job_id in submission.chains.items():
            typer.echo(f"slurm {job_id} {name}: {state(job_id)}")
        if submission.final_id:
            typer.echo(f"slurm {submission.final_id} {FINAL_STEP}: {state(submission.final_id)}")
        typer.echo(f"slurm logs: {slurm_dir(cfg.paths.out)}")


def register(app: typer.Typer) -> None:
    app.command("status")(status)
