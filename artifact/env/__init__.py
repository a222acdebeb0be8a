"""The machine a run happens on: provenance, preflight, determinism, and the step benchmark (bench/)."""
