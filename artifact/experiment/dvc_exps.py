"""The experiments of `dvc exp show --json` (DVC 3's format) and each one's aggregate.json.

`dvc exp show` lists metrics files only (summary.json: mean and std, no seeds or config), which
cannot be judged; aggregate.json is a cached output of the `aggregate` stage. So each
experiment's aggregate is read the way DVC itself resolves an output: the experiment commit's
dvc.lock gives the file's md5, the DVC cache holds it under files/md5/<2>/<rest>.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import yaml

from artifact.errors import InputError

AGGREGATE = "aggregate.json"


def _walk(entry: dict) -> Iterator[dict]:
    """Every experiment entry below a `dvc exp show --json` row (queued, failed or done)."""
    for group in entry.get("experiments") or []:
        for rev in group.get("revs") or []:
            yield rev
            yield from _walk(rev)


def experiments(payload: object) -> list[tuple[str, str, str]]:
    """[(label, commit, out dir)] of each finished experiment: its name (else the short
    commit), and params.yaml's paths.out as the experiment ran it."""
    if not isinstance(payload, list) or not all(isinstance(row, dict) for row in payload):
        raise InputError("the `dvc exp show --json` output is not a list of rows (DVC 3's "
                         "format); rerun it with DVC 3.")  # fmt: skip
    found = []
    for row in payload:
        for exp in _walk(row):
            data = exp.get("data") or {}
            if exp.get("error") or not data or not exp.get("rev"):
                continue  # queued, running or failed: nothing to judge yet
            params = ((data.get("params") or {}).get("params.yaml") or {}).get("data") or {}
            out = (params.get("paths") or {}).get("out", "results")
            found.append((exp.get("name") or exp["rev"][:7], exp["rev"], str(out)))
    if not found:
        raise InputError("`dvc exp show --json` lists no finished experiment; run the queue "
                         "(`dvc exp run --run-all`) first.")  # fmt: skip
    return found


def _git_show(repo: Path, commit: str, path: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), "show", f"{commit}:{path}"],
                          capture_output=True, text=True, check=False)  # fmt: skip
    if done.returncode != 0:
        raise InputError(f"experiment {commit[:7]} has no {path} in git; is {repo} the "
                         "repository `dvc exp show` ran in?")  # fmt: skip
    return done.stdout


def aggregate_at(repo: Path, commit: str, out: str) -> dict:
    """aggregate.json of the experiment `commit`, from the DVC cache."""
    target = f"{out.rstrip('/')}/{AGGREGATE}"
    lock = yaml.safe_load(_git_show(repo, commit, "dvc.lock")) or {}
    outs = ((lock.get("stages") or {}).get("aggregate") or {}).get("outs") or []
    md5 = next((o.get("md5") for o in outs if o.get("path") == target), None)
    if not md5:
        raise InputError(f"experiment {commit[:7]}'s dvc.lock has no {target}; did its "
                         "aggregate stage run?")  # fmt: skip
    cached = Path(repo) / ".dvc" / "cache" / "files" / "md5" / md5[:2] / md5[2:]
    if not cached.is_file():
        raise InputError(f"{target} of experiment {commit[:7]} is not in the DVC cache "
                         f"({cached}); `dvc exp pull` it first.")  # fmt: skip
    return json.loads(cached.read_text())


def load_dvc_experiments(source: str, repo: Path = Path(".")) -> dict[str, dict]:
    """{label: aggregate.json}: `source` is a saved `dvc exp show --json` file, or "run" to
    run it here."""
    if source == "run":
        done = subprocess.run(["dvc", "exp", "show", "--json"], cwd=repo, capture_output=True,
                              text=True, check=False)  # fmt: skip
        if done.returncode != 0:
            raise InputError(f"`dvc exp show --json` failed: {done.stderr.strip()[-200:]}")
        text = done.stdout
    else:
        path = Path(source)
        if not path.is_file():
            raise InputError(f"{path} is not a file; pass a saved `dvc exp show --json` output, "
                             "or `run`.")  # fmt: skip
        text = path.read_text()
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(f"the `dvc exp show --json` output is not JSON ({error.msg}).") from None
    return {label: aggregate_at(repo, commit, out) for label, commit, out in experiments(payload)}
