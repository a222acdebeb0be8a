"""The hashed locks agree with pyproject.toml and with the installed environment.

requirements/lock.txt installs the .venv and the image alike (everything but torch);
requirements/torch-cuda.txt adds the image's CUDA torch, requirements/torch-cpu.txt the .venv's
CPU torch; requirements/build.txt pip and
setuptools. `requirements/compile.sh` regenerates them; these tests fail when someone edits
pyproject.toml without regenerating.
"""

from __future__ import annotations

import importlib.metadata
import re

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.helpers import ROOT
from tests.helpers.locks import REQUIREMENTS, declared, pinned_torch, pyproject, read_lock


def test_every_declared_dependency_but_torch_is_locked_at_a_version_it_allows():
    locked = {p.name: p.version for p in read_lock("lock.txt")}
    for requirement in declared():
        name = canonicalize_name(requirement.name)
        if name == "torch":
            assert name not in locked, "torch differs by machine: it must stay out of lock.txt"
            continue
        assert name in locked, (
            f"{name} is in pyproject.toml but not in lock.txt: run requirements/compile.sh"
        )
        assert requirement.specifier.contains(locked[name], prereleases=True), (
            f"lock.txt pins {name}=={locked[name]}, outside pyproject's '{requirement.specifier}'"
        )


def test_torch_pin_is_the_same_in_pyproject_the_image_lock_and_the_cpu_lock():
    version = pinned_torch()
    assert [p.version for p in read_lock("torch-cuda.txt") if p.name == "torch"] == [version]
    assert [p.version for p in read_lock("torch-cpu.txt")] == [f"{version}+cpu"]


def test_the_makefile_installs_every_package_but_the_project_itself_hash_checked():
    """README: `make setup` installs from hashed locks, torch included (its CPU wheel)."""
    lines = [line for line in (ROOT / "Makefile").read_text().splitlines() if "pip install" in line]
    assert lines, "the Makefile installs nothing"
    for line in lines:
        if line.rstrip().endswith("-e ."):
            continue  # this tree
        assert "--require-hashes" in line and "--no-deps" in line and " -r requirements/" in line, line
    assert any("-r requirements/torch-cpu.txt" in line for line in lines)
    assert "torch==" not in (ROOT / "Makefile").read_text(), "torch by version only is unhashed"


def test_every_locked_package_is_pinned_with_sha256_hashes():
    for filename in ("lock.txt", "build.txt", "torch-cuda.txt", "torch-cpu.txt"):
        pins = read_lock(filename)
        assert pins, f"{filename} is empty"
        for pin in pins:
            assert pin.hashes, f"{filename}: {pin.name} has no --hash"
            assert all(re.fullmatch(r"sha256:[0-9a-f]{64}", h) for h in pin.hashes), pin.name


def test_the_locks_do_not_overlap_and_cuda_packages_stay_out_of_the_cpu_lock():
    lock = {p.name: p.version for p in read_lock("lock.txt")}
    cuda = {p.name for p in read_lock("torch-cuda.txt")}
    assert not cuda & set(lock), f"in both lock.txt and torch-cuda.txt: {sorted(cuda & set(lock))}"
    cuda_only = {
        canonicalize_name(line.strip())
        for line in (REQUIREMENTS / "cuda-only.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert cuda_only <= cuda
    assert not [n for n in lock if n.startswith(("nvidia-", "cuda-")) or n == "triton"]
    for pin in read_lock("build.txt"):  # build.txt follows lock.txt where both have a package
        assert lock.get(pin.name, pin.version) == pin.version, pin.name


def test_build_lock_satisfies_the_build_system():
    build = {p.name: p.version for p in read_lock("build.txt")}
    for text in pyproject()["build-system"]["requires"]:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        assert name in build and requirement.specifier.contains(build[name]), text


def test_installed_environment_matches_the_lock():
    """The .venv was installed from lock.txt (README, Makefile): no package has drifted."""
    drifted = []
    for pin in read_lock("lock.txt"):
        try:
            installed = importlib.metadata.version(pin.name)
        except importlib.metadata.PackageNotFoundError:
            drifted.append(f"{pin.name} (locked {pin.version}, not installed)")
            continue
        if installed != pin.version:
            drifted.append(f"{pin.name} (locked {pin.version}, installed {installed})")
    assert not drifted, "reinstall from requirements/lock.txt: " + ", ".join(drifted)
    assert importlib.metadata.version("torch").split("+")[0] == pinned_torch()
