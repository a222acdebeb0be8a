"""Training: schedules (pure), losses, the step, revival, checkpoints and the phases."""
