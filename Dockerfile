# The paper's environment, pinned: the CUDA base by digest, torch's CUDA build and every other
# Python package by version and sha256 (requirements/*.txt, the same lock as the local .venv).
#
#   docker build -t artifact .
#   docker run --gpus all -v "$PWD/data:/data" -v "$PWD/results:/results" artifact
#
# docs/container.md: building from scratch, volumes, verifying claims from the host, and what to
# do when the base image's tag is withdrawn (the digest below; `docker save` / `docker load`).

# Base: tag nvidia/cuda:13.0.1-base-ubuntu24.04, pinned by its digest. CUDA 13.0 is what PyPI's
# torch 2.13.0 is built for (cuda-toolkit 13.0.3 in requirements/torch-cuda.txt; it needs an
# NVIDIA driver >= 580). The slim "base" flavour suffices: torch's wheels bring their own CUDA
# runtime, cuBLAS and cuDNN (the nvidia-* packages of requirements/torch-cuda.txt, hashed).
# The digest was taken from public Dockerfiles that pin this tag; no registry was reachable where
# this file was written, so confirm it on a machine with internet:
#   docker buildx imagetools inspect nvidia/cuda:13.0.1-base-ubuntu24.04
ARG BASE_IMAGE=nvidia/cuda:13.0.1-base-ubuntu24.04@sha256:f8ef28f579ea42a44b415d2c5d46f788e6a9b395c6c83f2929416e1fc192c143

# The offline rebuild's wheels (docs/container.md): empty unless the build is given them with
# `--build-context wheels=./wheels`; wheels/ itself stays out of the context (.dockerignore).
FROM scratch AS wheels

FROM ${BASE_IMAGE}
ARG BASE_IMAGE

SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# Ubuntu 24.04's Python 3.12. DL3008 (pin apt versions) is ignored on purpose: Ubuntu's archive
# drops superseded versions, so a pinned version stops building within months; the base digest
# fixes the distribution, and `docker save` keeps the built image (docs/container.md).
# hadolint ignore=DL3008
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        python3 python3-venv \
    && rm -rf /var/lib/apt/lists/*

ENV VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CUBLAS_WORKSPACE_CONFIG=:4096:8 \
    HOME=/home/artifact
RUN python3 -m venv "$VIRTUAL_ENV"

WORKDIR /opt/artifact

# Dependencies before the code, so their layer is reused while only the code changes. Every
# file is checked against its sha256 (--require-hashes); --no-deps: the locks are complete.
# build.txt first (pip, setuptools), so the two sdists in lock.txt build from locked tools.
# With saved wheels mounted at /wheels, nothing is downloaded (--no-index --find-links).
COPY requirements/ requirements/
RUN --mount=type=bind,from=wheels,target=/wheels \
    set -- \
    && if [ -n "$(find /wheels -name '*.whl' -print -quit)" ]; then \
        set -- --no-index --find-links /wheels; fi \
    && python -m pip install --require-hashes --no-deps "$@" -r requirements/build.txt \
    && python -m pip install --require-hashes --no-deps --no-build-isolation "$@" \
        -r requirements/lock.txt -r requirements/torch-cuda.txt

# Fail the build unless torch is exactly pyproject's pin (its +cuXXX local label aside), and a
# CUDA build.
ARG TORCH_VERSION=2.13.0
RUN python -c "import sys, torch; \
sys.exit(0 if torch.__version__.split('+')[0] == '${TORCH_VERSION}' and torch.version.cuda else \
f'torch {torch.__version__} (CUDA {torch.version.cuda}) is not the CUDA build of ${TORCH_VERSION}')"

# The code, editable so that claims/ and params.yaml are read from this tree; then a record of
# the build for the provenance of every run (artifact/env/provenance.py reads /etc/artifact-image).
# Pass the commit: --build-arg ARTIFACT_GIT_COMMIT="$(git rev-parse HEAD)$(git diff --quiet HEAD || echo -dirty)"
# Without it the commit is read from .git/HEAD and its ref (the only .git files the context
# keeps), recorded with git_dirty=unknown (uncommitted changes cannot be seen from them); with
# neither, git_commit_source says why there is no commit.
COPY . .
ARG ARTIFACT_GIT_COMMIT=""
LABEL org.opencontainers.image.title="artifact" \
      org.opencontainers.image.description="Re-run of 'Fundamental Limits of Neural Network Sparsification' (VAE-SAE collapse) at the paper's scale" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.revision="${ARTIFACT_GIT_COMMIT}" \
      org.opencontainers.image.base.name="${BASE_IMAGE}"
RUN python -m pip install --no-deps --no-build-isolation -e . \
    && python -m pip check \
    && commit="$ARTIFACT_GIT_COMMIT" && source=build-arg && dirty="" \
    && if [ -z "$commit" ]; then \
        source="none: built without --build-arg ARTIFACT_GIT_COMMIT and without .git/HEAD in the context"; \
        head="$(cat .git/HEAD 2>/dev/null || true)"; ref="${head#ref: }"; \
        if [ "$ref" != "$head" ]; then \
            commit="$(cat ".git/$ref" 2>/dev/null || grep -m1 " $ref\$" .git/packed-refs 2>/dev/null | cut -d' ' -f1 || true)"; \
        else commit="$head"; fi; \
        if [ -n "$commit" ]; then source=".git/HEAD"; dirty=unknown; fi; \
    fi \
    && rm -rf .git \
    && printf 'base_image=%s\ngit_commit=%s\ngit_commit_source=%s\ngit_dirty=%s\nlock_sha256=%s\n' \
        "$BASE_IMAGE" "$commit" "$source" "$dirty" \
        "$(cat requirements/build.txt requirements/lock.txt requirements/torch-cuda.txt | sha256sum | cut -d' ' -f1)" \
        > /etc/artifact-image

# A non-root user. data/ and results/ (params.yaml's paths) point at the two volumes; the home
# is world-writable so `docker run --user "$(id -u):$(id -g)"` (files owned by you) works too.
RUN useradd --uid 10001 --user-group --create-home --home-dir /home/artifact artifact \
    && chmod 1777 /home/artifact \
    && mkdir -p /data /results \
    && chown artifact:artifact /data /results \
    && ln -s /data /opt/artifact/data \
    && ln -s /results /opt/artifact/results
VOLUME ["/data", "/results"]
USER 10001:10001

# Checks that the volumes are writable by the user the container runs as (a host dir made by
# `mkdir` is not, without `--user`), then runs `artifact "$@"`.
ENTRYPOINT ["/opt/artifact/docker/entrypoint.sh"]
CMD ["reproduce", "--profile", "paper", "--out", "/results"]
