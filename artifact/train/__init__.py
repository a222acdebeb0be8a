"""Training: schedules (pure), losses, the step, the epoch loop, revival, the phase plan and runner, checkpoints."""
