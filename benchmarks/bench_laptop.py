"""Learning curves that choose the `laptop` profile's knobs, and its measured wall time.

    python benchmarks/bench_laptop.py curves [--epochs 4] [--out benchmarks/results/laptop]
    python benchmarks/bench_laptop.py chain --dataset dsprites [--seed 42] [--out ...]
    python benchmarks/bench_laptop.py extrapolate [--out ...]

`curves`: short stage-1 runs (the VAE alone, the laptop profile's images and evaluation samples)
for a few (lr, batch) settings on both datasets, MSE and MIG after every epoch, beside the
untrained model's (epoch 0) and the paper's MSE; writes curves.json and curves.png.
`chain`: one (dataset, seed) chain of the laptop profile as `reproduce` runs it (pretrain, Top-k
and L1 joint, Top-k extended), timed per phase; writes chain-{dataset}-{seed}.json.
`extrapolate`: the whole profile's wall time from the chains measured (x seeds), plus each
chain's final MSE, MIG, dead % and specialised; writes laptop.json. Never run by the test suite.
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
            result["runs"].append(stage1_curve(name, _config(data_dir, lr, batch), loaded, n_epochs))
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


def chain(out: Path, name: str, seed: int, data_dir: Path) -> dict:
    """One (dataset, seed) chain, every epoch's wall and process CPU time recorded as it ends
    (chain-{dataset}-{seed}.json is rewritten after each epoch, so a chain cut short still
    measures every stage it reached)."""
    from artifact.experiment.phase import run_phase

    cfg = _config(data_dir)
    runs = Path(tempfile.mkdtemp(prefix="bench_laptop_runs_"))  # checkpoints: not for the repo
    cfg = cfg.model_copy(update={"paths": cfg.paths.model_copy(update={"out": runs})})
    loaded = _loaded(name, cfg)
    result = {"schema": "artifact.bench_laptop.chain/1", "profile": PROFILE, "dataset": name,
              "seed": seed, "threads": torch.get_num_threads(), "lr": cfg.train.lr,
              "batch_size": cfg.train.batch_size,
              "n_eval": len(loaded[1].evaluation), "epochs": [], "complete": False,
              "note": "measured on 2 CPU cores shared with other jobs: wall time is inflated, "
                      "process CPU time is the steadier measure"}  # fmt: skip
    clock = {"cpu": time.process_time()}
    path = out / f"chain-{name}-{seed}.json"

    def on_epoch(label: str, record: dict) -> None:
        now = time.process_time()
        result["epochs"].append({
            "phase": label.split()[0], "run": label.split()[1], "stage": record["stage"],
            "epoch": record["epoch"], "wall_s": record["wall_s"], "cpu_s": now - clock["cpu"],
            **{k: record.get(k) for k in ("k", "mse", "mig", "dead_pct", "specialised")}})  # fmt: skip
        clock["cpu"] = now
        write_json(path, result)
        print(f"  {label} {record['stage']} {record['epoch']}: {result['epochs'][-1]}",
              file=sys.stderr)  # fmt: skip

    steps = [("pretrain", None), *[("joint", m) for m in cfg.train.methods],
             *[("extended", m) for m in cfg.train.extended.methods]]  # fmt: skip
    for phase, method in steps:
        run_phase(phase, RunKey(name, seed, method), cfg, torch.device("cpu"), fresh=True,
                  loaded=loaded, on_epoch=on_epoch)  # fmt: skip
    result["complete"] = True
    write_json(path, result)
    print(f"  checkpoints and metrics of the chain: {runs}", file=sys.stderr)
    return result


def _epochs_per_chain(cfg) -> dict[str, int]:
    """Epochs of each (phase, stage) kind in one (dataset, seed) chain of the profile."""
    train = cfg.train
    counts = {"pretrain/stage1": train.stage1.n_epochs, "pretrain/stage2": train.stage2.n_epochs}
    for method in train.methods:
        counts[f"joint-{method}/stage3"] = train.stage3.n_epochs
    for method in train.extended.methods:
        counts[f"extended-{method}/extended"] = train.extended.n_epochs
    return counts


# A kind the chain did not reach is ASSUMED to cost an epoch of the nearest kind it reached (an
# all-SAE epoch of the same shapes: the L1 stage 3 and extended training run the same matmuls as
# the Top-k stage 3); laptop.json names every such assumption in `assumed_from`.
STAND_INS = {
    "joint-l1/stage3": ("joint-topk/stage3",),
    "extended-topk/extended": ("joint-topk/stage3",),
    "joint-topk/stage3": ("joint-l1/stage3",),
}


def extrapolate(out: Path) -> dict:
    """The profile's whole run from the epochs measured: per (phase, stage) kind and dataset,
    the mean CPU and wall seconds of an epoch x the profile's epochs x seeds."""
    cfg = resolve(load_params(), PROFILE)
    counts, n_seeds = _epochs_per_chain(cfg), len(cfg.train.seeds)
    per_dataset = {}
    for chain_path in sorted(out.glob("chain-*.json")):
        chain = json.loads(chain_path.read_text())
        kinds: dict[str, list[dict]] = {}
        for e in chain["epochs"]:
            method = e["run"].split("-")[1] if e["phase"] != "pretrain" else None
            kind = f"{e['phase']}{'-' + method if method else ''}/{e['stage']}"
            kinds.setdefault(kind, []).append(e)
        rows, cpu_total, wall_total, unmeasured = {}, 0.0, 0.0, []
        for kind, n_epochs in counts.items():
            source = kind if kinds.get(kind) else next(
                (k for k in STAND_INS.get(kind, ()) if kinds.get(k)), None)  # fmt: skip
            if source is None:
                unmeasured.append(kind)
                continue
            measured = kinds[source]
            cpu = sum(e["cpu_s"] for e in measured) / len(measured)
            wall = sum(e["wall_s"] for e in measured) / len(measured)
            rows[kind] = {"epochs_measured": len(measured) if source == kind else 0,
                          "epochs_in_chain": n_epochs, "cpu_s_per_epoch": cpu,
                          "wall_s_per_epoch": wall,
                          "assumed_from": None if source == kind else source}  # fmt: skip
            cpu_total, wall_total = cpu_total + cpu * n_epochs, wall_total + wall * n_epochs
        stage1 = [e for e in chain["epochs"] if e["stage"] == "stage1"]
        last = {kind: es[-1] for kind, es in kinds.items()}
        per_dataset[chain["dataset"]] = {
            "lr": chain["lr"], "batch_size": chain["batch_size"],
            "kinds": rows, "unmeasured": unmeasured, "chain_cpu_s": cpu_total,
            "chain_wall_s": wall_total, "threads": chain["threads"], "n_eval": chain["n_eval"],
            "stage1_curve": [{k: e[k] for k in ("epoch", "mse", "mig")} for e in stage1],
            "last_epoch_of": {kind: {k: e[k] for k in ("k", "mse", "mig", "dead_pct", "specialised")}
                              for kind, e in last.items()}}  # fmt: skip
    cpu_all = sum(d["chain_cpu_s"] for d in per_dataset.values()) * n_seeds
    wall_all = sum(d["chain_wall_s"] for d in per_dataset.values()) * n_seeds
    result = {"schema": "artifact.bench_laptop/1", "profile": PROFILE, "n_seeds": n_seeds,
              "epochs_per_chain": counts, "datasets": per_dataset,
              "extrapolated_cpu_s": cpu_all, "extrapolated_shared_wall_s": wall_all,
              # Two dedicated cores, `reproduce -j 2` with one thread a worker: CPU time / 2.
              "extrapolated_dedicated_2_core_wall_s": cpu_all / 2,
              "how": "EXTRAPOLATED, not measured whole: per-epoch process CPU seconds of one "
                     "(dataset, seed 42) chain per dataset x each stage's epochs x seeds; "
                     "kinds listed as unmeasured are not counted"}  # fmt: skip
    write_json(out / "laptop.json", result)
    _merged_plot(out, per_dataset)
    return result


def _merged_plot(out: Path, per_dataset: dict) -> None:
    """curves.png: the curves runs beside each chain's stage 1 (the lr and batch it ran at),
    which starts from the same seed-42 weights, so it shares the curves' untrained point."""
    curves_path = out / "curves.json"
    if not curves_path.is_file():
        return
    result = json.loads(curves_path.read_text())
    chains = {(name, c["lr"], c["batch_size"]): c for name, c in per_dataset.items()}
    runs = [r for r in result["runs"] if (r["dataset"], r["lr"], r["batch_size"]) not in chains]
    for (name, lr, batch), chain in chains.items():
        untrained = next((r["points"][0] for r in runs if r["dataset"] == name), None)
        points = [untrained] if untrained else []
        points += [{"epoch": e["epoch"] + 1, "mse": e["mse"], "mig": e["mig"]}
                   for e in chain["stage1_curve"]]  # fmt: skip
        runs.append({"dataset": name, "lr": lr, "batch_size": batch, "points": points,
                     "from": "chain"})  # fmt: skip
    plot_curves(result | {"runs": runs, "paper_mse": paper_mse()}, out / "curves.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["curves", "chain", "extrapolate"])
    parser.add_argument("--epochs", type=int, default=3)  # the laptop profile's stage 1
    parser.add_argument("--settings", default=",".join(f"{lr:g}:{b}" for lr, b in SETTINGS),
                        help="lr:batch pairs, comma-separated")
    parser.add_argument("--dataset", choices=["dsprites", "shapes3d"], default="dsprites")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--data-dir", type=Path, default=Path("data/bench_laptop"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.what == "curves":
        settings = [(float(lr), int(b)) for lr, b in (p.split(":") for p in args.settings.split(","))]
        curves(args.out, args.epochs, args.data_dir, settings)
    elif args.what == "chain":
        chain(args.out, args.dataset, args.seed, args.data_dir)
    print(json.dumps(extrapolate(args.out) if args.what == "extrapolate" else "done", indent=1))


if __name__ == "__main__":
    main()
