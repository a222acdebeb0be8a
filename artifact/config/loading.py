"""Reading params.yaml: YAML, then validation, each failure one sentence naming the key."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from artifact.config.params import Params
from artifact.errors import ConfigError
from artifact.storage.paths import path_problem


def _describe(error: dict) -> str:
    key = ".".join(str(part) for part in error["loc"]) or "(top level)"
    if error["type"] == "extra_forbidden":
        return f"unknown key '{key}'"
    return f"'{key}': {error['msg']}"


def parse_params(raw: object, source: str = "params.yaml") -> Params:
    """Validate a parsed YAML document; one line per bad key."""
    if raw is None:
        raise ConfigError(f"{source} is empty; copy the repository's params.yaml and edit it.")
    if not isinstance(raw, dict):
        kind = "a YAML list" if isinstance(raw, list) else f"a single {type(raw).__name__}"
        raise ConfigError(
            f"{source} holds {kind}, not a mapping of keys to values like the repository's "
            "params.yaml; fix its top level."
        )
    try:
        return Params.model_validate(raw)
    except ValidationError as exc:
        lines = "; ".join(_describe(e) for e in exc.errors())
        raise ConfigError(f"{source} is invalid: {lines}.") from None


def load_params(path: Path | str = "params.yaml", overrides: dict | None = None) -> Params:
    """Read and validate params.yaml. `overrides` is a nested dict merged on top (tests, CLI)."""
    path = Path(path)
    problem = path_problem(path)  # a directory, a symlink loop: never said to be missing
    if problem is not None:
        raise ConfigError(f"params file {path} {problem}; pass --params FILE.")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"params file {path} is not UTF-8 text (byte {exc.object[exc.start]:#04x} "
                          f"at offset {exc.start}); save it as UTF-8.") from None  # fmt: skip
    except OSError as exc:
        raise ConfigError(f"params file {path} cannot be read ({exc.strerror}); fix its "
                          "permissions or pass another --params FILE.") from None  # fmt: skip
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path} is not valid YAML{where}; fix the syntax.") from None
    if overrides:
        raw = deep_merge(raw if isinstance(raw, dict) else {}, overrides)
    return parse_params(raw, source=str(path))


def deep_merge(base: dict, update: dict) -> dict:
    """A copy of `base` with `update` merged in, recursively for nested mappings."""
    merged = dict(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged
