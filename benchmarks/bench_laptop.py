"""Learning curves that choose the `laptop` profile's knobs, and its measured wall time.

    python benchmarks/bench_laptop.py curves [--epochs 4] [--out benchmarks/results/laptop]
    python benchmarks/bench_laptop.py run [-j 2] [--run-dir results/laptop] [--out ...]
    python benchmarks/bench_laptop.py summarise [--run-dir results/laptop] [--out ...]

`curves`: short stage-1 runs (the VAE alone, the laptop profile's images and evaluation samples)
for a few (lr, batch) settings on both datasets, MSE and MIG after every epoch, beside the
untrained model's (epoch 0) and the paper's MSE; writes curves.json and curves.png.
`run`: the whole profile, `artifact reproduce --profile laptop -j 2`, timed (wall seconds, peak
resident memory), then `summarise`d. `summarise`: run.json from a finished run's own records:
every run's learning curves (MSE and MIG per epoch, stages 1-3 and extended), its stage-1 and
final values beside the untrained model's (same seed), and the claims' verdicts, the qualitative
(scale-free) ones listed; run.png draws the curves. Never run by the test suite.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import torch

from artifact.config import load_params, resolve
from artifact.data import eval_indices, load_dataset, split_indices
from artifact.data.prepare import prepare_dataset
from artifact.env.determinism import configure_determinism, seed_everything
from artifact.storage.atomic import write_json
from artifact.train import epoch_loop
from artifact.train.evaluation import evaluate
from artifact.train.phase_runner import build_model
from artifact.train.run_key import RunKey, Splits
from artifact.train.step import make_optimizer

PROFILE = "laptop"
# Stage-1 settings measured: the paper's, and larger steps with smaller batches (--settings).
SETTINGS = ((1e-5, 512), (1e-4, 64), (1e-3, 64))


def paper_mse() -> dict[str, float]:
    """Table 1's Top-k MSE per dataset, from claims/ (the one source of the paper's numbers)."""
    from artifact.claims import load_registry

    claims = {c.id: c for c in load_registry().claims}
    return {d: claims[f"t1.{d}.topk.mse"].value.mean for d in ("dsprites", "shapes3d")}


DEFAULT_OUT = Path("benchmarks/results/laptop")


def _config(data_dir: Path, lr: float | None = None, batch: int | None = None):
    cfg = resolve(load_params(), PROFILE)
    paths = cfg.paths.model_copy(update={"data_dir": data_dir})
    train = cfg.train.model_copy(
        update={"lr": lr or cfg.train.lr, "batch_size": batch or cfg.train.batch_size}
    )
    return cfg.model_copy(update={"paths": paths, "train": train})


def _loaded(name: str, cfg):
    prepare_dataset(name, cfg.data, cfg.paths.data_dir)
    dataset = load_dataset(name, cfg.data, cfg.paths.data_dir)
    train_idx, val_idx = split_indices(len(dataset), name, cfg.data)
    return dataset, Splits(train=train_idx, evaluation=eval_indices(val_idx, cfg.data))


def stage1_curve(name: str, cfg, loaded, n_epochs: int, seed: int = 42) -> dict:
    """MSE and MIG of the VAE after each of `n_epochs` stage-1 epochs (epoch 0: untrained)."""
    dataset, splits = loaded
    configure_determinism(torch.device("cpu"), cfg.train.precision)
    seed_everything(seed)
    stage1 = cfg.train.stage1.model_copy(update={"n_epochs": n_epochs})
    cfg = cfg.model_copy(update={"train": cfg.train.model_copy(update={"stage1": stage1})})
    key = RunKey(name, seed)
    model = build_model(key, cfg, torch.device("cpu"))
    first = evaluate(model, dataset, splits.evaluation, None, cfg.metrics, 512, with_sae=False)
    state = {"model": model, "revival": None,
             "optimizer": make_optimizer(list(model.vae.parameters()), cfg.train)}  # fmt: skip
    points = [{"epoch": 0, "steps": 0, "mse": first["mse"], "mig": first["mig"], "wall_s": 0.0}]
    steps_per_epoch = -(-len(splits.train) // cfg.train.batch_size)
    wall = 0.0
    for epoch in range(n_epochs):
        record = epoch_loop.run_epoch(state, "stage1", epoch, epoch, key, cfg, dataset, splits)
        wall += record["wall_s"]
        points.append({"epoch": epoch + 1, "steps": (epoch + 1) * steps_per_epoch,
                       "mse": record["mse"], "mig": record["mig"], "wall_s": wall})  # fmt: skip
        print(f"  {name} lr {cfg.train.lr:g} batch {cfg.train.batch_size} epoch {epoch + 1}: "
              f"mse {record['mse']:.4f} mig {record['mig']:.4f} ({wall:.0f} s)", file=sys.stderr)  # fmt: skip
    return {"dataset": name, "lr": cfg.train.lr, "batch_size": cfg.train.batch_size,
            "n_train": len(splits.train), "n_eval": len(splits.evaluation), "points": points}  # fmt: skip


def curves(out: Path, n_epochs: int, data_dir: Path, settings=SETTINGS) -> dict:
    result = {"schema": "artifact.bench_laptop.curves/1", "profile": PROFILE,
              "paper_mse": paper_mse(), "note": "other jobs shared the 2 CPU cores", "runs": [],
              "untrained": {}}  # fmt: skip
    for name in ("dsprites", "shapes3d"):
        loaded = _loaded(name, _config(data_dir))
        for lr, batch in settings:
            result["runs"].append(
                stage1_curve(name, _config(data_dir, lr, batch), loaded, n_epochs)
            )
            result["untrained"][name] = result["runs"][-1]["points"][0]  # the seed's start
            write_json(out / "curves.json", result)  # after each run: a cut-short bench keeps it
    plot_curves(result, out / "curves.png")
    return result


def plot_curves(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(10, 7), constrained_layout=True)
    settings = sorted({(r["lr"], r["batch_size"]) for r in result["runs"] if r["lr"] is not None})
    colour = {setting: f"C{i}" for i, setting in enumerate(settings)}  # one colour a setting
    for col, name in enumerate(("dsprites", "shapes3d")):
        for run in (r for r in result["runs"] if r["dataset"] == name and r["lr"] is not None):
            label = f"lr {run['lr']:g}, batch {run['batch_size']}"
            epochs = [p["epoch"] for p in run["points"]]
            style = {"marker": "o", "label": label, "color": colour[(run["lr"], run["batch_size"])]}
            axes[0, col].plot(epochs, [p["mse"] for p in run["points"]], **style)
            axes[1, col].plot(epochs, [p["mig"] for p in run["points"]], **style)
            for ax in axes[:, col]:
                ax.xaxis.get_major_locator().set_params(integer=True)
        paper = result["paper_mse"][name]
        axes[0, col].axhline(paper, color="k", ls="--", lw=1, label=f"paper {paper}")
        axes[0, col].axhline(2 * paper, color="k", ls=":", lw=1, label=f"2x paper {2 * paper:g}")
        untrained = (result.get("untrained") or {}).get(name)
        if untrained:
            axes[1, col].axhline(untrained["mig"], color="grey", ls=":", lw=1,
                                 label=f"untrained {untrained['mig']:.3f}")  # fmt: skip
            axes[1, col].legend(fontsize=7)
        axes[0, col].set(title=f"{name}: reconstruction MSE", yscale="log", xlabel="epoch")
        axes[1, col].set(title=f"{name}: MIG (epoch 0 = untrained)", xlabel="epoch")
        axes[0, col].legend(fontsize=7)
    fig.suptitle(f"Stage 1 learning curves at the '{result['profile']}' profile's data size")
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".png", delete=False) as handle:
        fig.savefig(handle.name, dpi=90)
    Path(handle.name).chmod(0o644)  # NamedTemporaryFile makes it owner-only
    Path(handle.name).replace(path)
    plt.close(fig)


def run(out: Path, run_dir: Path, workers: int) -> dict:
    """`artifact reproduce --profile laptop -j workers --out run_dir` in its own process, timed
    (wall seconds, peak resident memory of the largest worker), then `summarise`d."""
    import resource
    import subprocess

    command = [sys.executable, "-m", "artifact", "reproduce", "--profile", PROFILE,
               "-j", str(workers), "--out", str(run_dir)]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(command)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed with exit code {done.returncode}")
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    timing = {"command": " ".join(command[2:]), "wall_s": wall, "peak_rss_mb": peak_mb}
    return summarise(out, run_dir, timing)


def _untrained(name: str, seed: int, cfg, loaded) -> dict:
    """MSE and MIG of a chain's model before its first step (the same seed's initial weights)."""
    dataset, splits = loaded
    configure_determinism(torch.device("cpu"), cfg.train.precision)
    model = build_model(RunKey(name, seed), cfg, torch.device("cpu"))
    first = evaluate(model, dataset, splits.evaluation, None, cfg.metrics, 512, with_sae=False)
    return {"mse": first["mse"], "mig": first["mig"]}


def summarise(out: Path, run_dir: Path, timing: dict | None = None) -> dict:
    """run.json from a finished laptop run's own records: per dataset and method the learning
    curves (MSE, MIG per epoch) of each seed, stage-1 and final values, the untrained model's,
    and every claim's verdict; the qualitative (scale-free) ones listed apart. run.png: curves."""
    records = {}
    for path in sorted((run_dir / "runs").glob("*/metrics.json")):
        payload = json.loads(path.read_text())
        records[path.parent.name] = payload
    if not records:
        raise SystemExit(f"{run_dir} holds no finished run (runs/*/metrics.json)")
    profiles = {r["profile"] for r in records.values()}
    if profiles != {PROFILE}:
        raise SystemExit(f"{run_dir} holds runs of profile(s) {sorted(profiles)}, not {PROFILE}")
    cfg = resolve(load_params(), PROFILE)
    data_dir = Path(next(iter(records.values()))["config"]["paths"]["data_dir"])
    per_run, untrained = {}, {}
    for name in sorted({r["run"]["dataset"] for r in records.values()}):
        loaded = _loaded(name, _config(data_dir))
        for seed in sorted({r["run"]["seed"] for r in records.values()}):
            untrained[f"{name}-{seed}"] = _untrained(name, seed, _config(data_dir), loaded)
    for label, payload in records.items():
        epochs = payload["epochs"]
        stage1 = [e for e in epochs if e["stage"] == "stage1"]
        extended_path = run_dir / "runs" / label / "extended.json"
        extended = json.loads(extended_path.read_text()) if extended_path.is_file() else None
        curve = epochs + (extended["epochs"] if extended else [])
        run_key = payload["run"]
        per_run[label] = {
            "dataset": run_key["dataset"],
            "method": run_key["method"],
            "seed": run_key["seed"],
            "untrained": untrained[f"{run_key['dataset']}-{run_key['seed']}"],
            "stage1_end": {k: stage1[-1][k] for k in ("mse", "mig")},
            "final": {k: payload["final"][k] for k in ("mse", "mig", "dead_pct", "specialised")},
            "extended_final": (
                {k: extended["final"][k] for k in ("mse", "mig", "dead_pct", "specialised")}
                if extended
                else None
            ),  # fmt: skip
            "curve": [
                {k: e[k] for k in ("stage", "epoch", "k", "mse", "mig", "dead_pct")} for e in curve
            ],  # fmt: skip
            "train_wall_s": sum(e["wall_s"] for e in curve),
        }
    claims = json.loads((run_dir / "claims.json").read_text())
    qualitative = [{"id": c["id"], "verdict": c["verdict"], "text": c["text"]}
                   for c in claims["claims"] if c["verdict"].endswith("_at_reduced_scale")]  # fmt: skip
    result = {"schema": "artifact.bench_laptop.run/1", "profile": PROFILE,
              "paper_mse": paper_mse(), "timing": timing, "runs": per_run,
              "verdict_counts": claims["summary"], "qualitative": qualitative,
              "lr": cfg.train.lr, "batch_size": cfg.train.batch_size}  # fmt: skip
    write_json(out / "run.json", result)
    plot_run(result, out / "run.png")
    return result


def plot_run(result: dict, path: Path) -> None:
    """MSE and MIG per epoch of every run of the whole laptop run (stages 1-3 and extended),
    one line per (method, seed), with the untrained model's MIG and the paper's MSE."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(11, 7), constrained_layout=True)
    for col, name in enumerate(("dsprites", "shapes3d")):
        runs = [r for r in result["runs"].values() if r["dataset"] == name]
        for r in sorted(runs, key=lambda r: (r["method"], r["seed"])):
            style = {"color": "C0" if r["method"] == "topk" else "C3", "lw": 1, "alpha": 0.8,
                     "label": f"{r['method']} seed {r['seed']}"}  # fmt: skip
            xs = range(1, len(r["curve"]) + 1)
            axes[0, col].plot(xs, [e["mse"] for e in r["curve"]], **style)
            axes[1, col].plot(xs, [e["mig"] for e in r["curve"]], **style)
        if runs:
            paper = result["paper_mse"][name]
            axes[0, col].axhline(
                2 * paper, color="k", ls=":", lw=1, label=f"2x paper {2 * paper:g}"
            )
            base = sum(r["untrained"]["mig"] for r in runs) / len(runs)
            axes[1, col].axhline(base, color="grey", ls=":", lw=1, label=f"untrained {base:.3f}")
        axes[0, col].set(title=f"{name}: VAE reconstruction MSE", yscale="log",
                         xlabel="evaluation (stage 1, 2, 3, then extended)")  # fmt: skip
        axes[1, col].set(title=f"{name}: MIG", xlabel="evaluation (stage 1, 2, 3, then extended)")
        for ax in axes[:, col]:
            ax.legend(fontsize=6, ncol=2)
    fig.suptitle(f"The whole '{result['profile']}' run: every run's learning curves")
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".png", delete=False) as handle:
        fig.savefig(handle.name, dpi=90)
    Path(handle.name).chmod(0o644)
    Path(handle.name).replace(path)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["curves", "run", "summarise"])
    parser.add_argument("--epochs", type=int, default=3)  # the laptop profile's stage 1
    parser.add_argument(
        "--settings",
        default=",".join(f"{lr:g}:{b}" for lr, b in SETTINGS),
        help="lr:batch pairs, comma-separated",
    )
    parser.add_argument(
        "--run-dir",
        type=Path,
        default=Path("results/laptop"),
        help="the laptop run's --out (run: written; summarise: read)",
    )
    parser.add_argument("-j", "--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--data-dir", type=Path, default=Path("data/bench_laptop"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.what == "curves":
        settings = [
            (float(lr), int(b)) for lr, b in (p.split(":") for p in args.settings.split(","))
        ]
        curves(args.out, args.epochs, args.data_dir, settings)
        print(json.dumps("done"))
        return
    result = (run(args.out, args.run_dir, args.workers) if args.what == "run"
              else summarise(args.out, args.run_dir))  # fmt: skip
    print(json.dumps({k: result[k] for k in ("timing", "verdict_counts", "qualitative")}, indent=1))


if __name__ == "__main__":
    main()
