#!/usr/bin/env bash
# Regenerate the hashed locks from pyproject.toml (needs PyPI; run after editing dependencies).
#
#   lock.txt        every dependency (runtime + dev) except torch, for Python 3.11 on linux x86_64;
#                   the same pins also install on the image's Python 3.12 (every one has a cp312
#                   wheel or is pure Python). Installs the local .venv and the image alike.
#   build.txt       pip and setuptools (the build backend), installed first so that the sdists in
#                   lock.txt and the project itself build without fetching anything unlocked.
#   torch-cuda.txt  torch (pyproject's exact pin, PyPI's CUDA build) and the CUDA-only packages
#                   it needs, for the image's Python 3.12; shared dependencies come from lock.txt.
#
# torch is kept out of lock.txt because its wheel differs by machine: the CPU build here, the
# CUDA build in the image. Both install the exact version pyproject.toml pins.
set -euo pipefail
cd "$(dirname "$0")/.."
UV=${UV:-.venv/bin/uv}
PLATFORM=x86_64-manylinux_2_28
COMMON=(--python-platform "$PLATFORM" --generate-hashes --quiet
        --custom-compile-command "requirements/compile.sh")

"$UV" pip compile pyproject.toml --extra dev "${COMMON[@]}" --python-version 3.11 \
  --excludes requirements/cuda-only.txt --no-emit-package torch -o requirements/lock.txt

"$UV" pip compile requirements/build.in "${COMMON[@]}" --python-version 3.11 \
  -c requirements/lock.txt -o requirements/build.txt

# Everything already in lock.txt is left out of torch-cuda.txt (installed from lock.txt).
mapfile -t locked < <(grep -oE '^[a-z0-9][a-z0-9._-]*==' requirements/lock.txt | sed 's/==$//')
omit=()
for name in "${locked[@]}"; do omit+=(--no-emit-package "$name"); done
"$UV" pip compile pyproject.toml --extra dev "${COMMON[@]}" --python-version 3.12 \
  -c requirements/lock.txt "${omit[@]}" -o requirements/torch-cuda.txt
for lock in lock build torch-cuda; do
  echo "wrote requirements/$lock.txt ($(grep -c '==' "requirements/$lock.txt") packages)"
done
