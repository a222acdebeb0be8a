"""The `slurm:` section of params.yaml: what `reproduce --executor slurm` asks the cluster for.

Not part of a run's resolved config (RunConfig): where a run was scheduled never changes its
numbers, so these knobs stay out of the config digest that checkpoints are checked against.
The values live in params.yaml (no defaults here, as for every section).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

PositiveInt = Annotated[int, Field(gt=0)]


class SlurmConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    partition: str | None  # null: the cluster's default partition
    account: str | None  # null: the user's default account
    gpus_per_task: Annotated[int, Field(ge=0)]
    cpus_per_task: PositiveInt  # also the task's torch thread count (determinism)
    mem_gb: PositiveInt | None  # null: the partition's default memory
    time_min: PositiveInt  # per task; a task that reaches it is checkpointed and requeued
    signal_delay_s: PositiveInt  # SIGUSR2 this long before the time limit: checkpoint, requeue
    max_timeouts: Annotated[int, Field(ge=0)]  # requeues after reaching the time limit
    array_parallelism: PositiveInt | None  # at most this many tasks at once (null: all)
    extra_sbatch: dict[str, str]  # {option: value} -> `#SBATCH --option=value`
    poll_s: PositiveInt  # how often the waiting command asks squeue and reads the files
