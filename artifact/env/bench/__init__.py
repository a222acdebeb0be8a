"""`artifact bench`: each training step timed against the machine's dense matmul (rows.py builds them, run.py times them)."""
