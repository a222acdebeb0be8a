#!/usr/bin/env bash
# The GPU check (benchmarks/gpu_check.py): bench, the slice profile on CUDA with per-phase wall
# time and peak GPU memory, a bit-identity rerun, and the paper suite's projected wall time, all
# in one JSON file. Sized for 8 minutes on one H200; run it first whenever a GPU is available and
# commit its numbers to benchmarks/README.md.
#
#   benchmarks/gpu_check.sh [OUT.json]          # default gpu_check.json
#   benchmarks/gpu_check.sh --cpu-smoke OUT.json # toy sizes on the CPU (what CI runs)
set -euo pipefail
cd "$(dirname "$0")/.."
mode=()
if [[ ${1:-} == --cpu-smoke ]]; then mode=(--cpu-smoke); shift; fi
out=${1:-gpu_check.json}
export CUBLAS_WORKSPACE_CONFIG=${CUBLAS_WORKSPACE_CONFIG:-:4096:8}  # deterministic cuBLAS
PYTHON=${PYTHON:-.venv/bin/python}
[[ -x $PYTHON ]] || PYTHON=python3
# 8 minutes in all: the budget the check is sized for; a hang is cut off, not waited out.
exec timeout --signal=INT --kill-after=20 "${GPU_CHECK_TIMEOUT_S:-480}" \
    "$PYTHON" benchmarks/gpu_check.py --json "$out" "${mode[@]}"
