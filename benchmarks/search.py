"""Sample efficiency: one all-families study budget searched four ways, several sampler seeds each, in one run.

    python -m benchmarks.search [--trials 25] [--epochs 3] [--train-size 10000] [--val-size 2000]
                                [--seeds 0 1 2] [--arms random tpe tpe_lr_range gp] [--out F] [--plot F]

Arms, each ``lrsweep -m +sweep=all_families`` on the same data subset and budget (trials x epochs), with the
tutorial's enqueued runs as ``make sweep`` has them, no pruning (every trial costs the same) and no MLflow:

- ``random``: Optuna's ``RandomSampler``;
- ``tpe``: TPE as ``make sweep`` runs it (multivariate, group, constant liar);
- ``tpe_lr_range``: the same TPE with ``hydra.sweeper.lr_range=auto`` (one LR range test per study, its cost
  included in the study's wall time);
- ``gp``: Optuna 5's ``GPSampler``.

For each arm it reports the median over seeds of the best objective and the seed-to-seed spread, how many sampled
trials (the enqueued baselines are the same in every arm) ended at chance level (FAIL, or an objective within
0.05 of 1/classes: diverged or not learning), the median
wall time, and what the range test cost; it draws best-so-far against trial number and against wall time
(``--plot``) and writes everything as JSON (``--out``).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lrsweep import _keys as keys

__all__ = ["ARMS", "finish_results", "job_overrides", "main", "run_arm", "start_results", "study_parser"]

BIN = Path(sys.executable).parent
ARMS: dict[str, list[str]] = {
    "random": ["hydra/sweeper/sampler=random"],
    "tpe": ["hydra/sweeper/sampler=tpe"],
    "tpe_lr_range": ["hydra/sweeper/sampler=tpe", "hydra.sweeper.lr_range=auto"],
    "gp": ["hydra/sweeper/sampler=gp"],
}
CHANCE_MARGIN = 0.05


def study_parser(module: str, description: str, arms: list[str]) -> argparse.ArgumentParser:
    """The options every study benchmark takes: make sweep's budget by default, seeds and arms."""
    parser = argparse.ArgumentParser(prog=f"python -m {module}", description=description)
    parser.add_argument("--trials", type=int, default=25, help="trials per study (make sweep: 25)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--train-size", type=int, default=10_000)
    parser.add_argument("--val-size", type=int, default=2_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="sampler seeds per arm")
    parser.add_argument("--arms", nargs="+", default=arms, choices=arms)
    return parser


def job_overrides(args: argparse.Namespace) -> list[str]:
    """Every job's budget and data from a study benchmark's options, quiet, with its extra overrides last."""
    return [
        "trainer.verbose=0",
        f"trainer.epochs={args.epochs}",
        f"data.train_size={args.train_size}",
        f"data.val_size={args.val_size}",
        *args.extra,
    ]


def _parser() -> argparse.ArgumentParser:
    parser = study_parser("benchmarks.search", __doc__.split("\n")[0], list(ARMS))
    parser.add_argument("--classes", type=int, default=10, help="for the chance level: 1/classes")
    parser.add_argument("--out", type=Path, default=None, help="write the figures here as JSON")
    parser.add_argument("--plot", type=Path, default=None, help="write best-so-far curves here as PNG")
    parser.add_argument("extra", nargs="*", help="more overrides for every study (e.g. lr_find.num_steps=50)")
    return parser


def run_arm(arm: str, seed: int, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """One study: its trials' objectives and finish times (seconds from the command's start), its wall time."""
    import optuna

    storage, name = f"sqlite:///{work / 'search.db'}", f"{arm}_seed{seed}"
    command = [
        str(BIN / "lrsweep"),
        "-m",
        "+sweep=all_families",
        *ARMS[arm],
        f"hydra.sweeper.sampler.seed={seed}",
        f"hydra.sweeper.n_trials={args.trials}",
        "hydra/sweeper/pruner=none",
        f"hydra.sweeper.study_name={name}",
        f"hydra.sweeper.storage={storage}",
        "hydra.sweeper.n_jobs=1",
        "tracking=none",
        *job_overrides(args),
    ]
    started, wall_clock = time.perf_counter(), time.time()
    done = subprocess.run(command, cwd=work, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{name} failed:\n{done.stderr[-3000:]}")
    study = optuna.load_study(study_name=name, storage=storage)
    trials = sorted((t for t in study.trials if t.state.is_finished()), key=lambda t: t.number)
    chance = 1.0 / args.classes + CHANCE_MARGIN
    values = [t.value if t.state == optuna.trial.TrialState.COMPLETE else None for t in trials]
    enqueued = [bool(t.system_attrs.get("fixed_params")) for t in trials]  # the tutorial's runs, as given
    record = study.user_attrs.get(keys.STUDY_LR_RANGE) or {}
    low = [v is None or v <= chance for v in values]
    return {
        "values": values,
        "enqueued": enqueued,
        "finished_s": [t.datetime_complete.timestamp() - wall_clock for t in trials],
        "at_chance": sum(c for c, e in zip(low, enqueued, strict=True) if not e),
        "enqueued_at_chance": sum(c for c, e in zip(low, enqueued, strict=True) if e),
        "best": max((v for v in values if v is not None), default=None),
        "wall_s": wall,
        "range_test_s": record.get("seconds"),
        "lr_range": [record["lower"], record["upper"]] if "lower" in record else None,
    }


def best_so_far(values: list[float | None]) -> list[float | None]:
    out: list[float | None] = []
    for value in values:
        previous = out[-1] if out else None
        out.append(value if previous is None or (value is not None and value > previous) else previous)
    return out


def _summary(runs: dict[int, dict[str, Any]]) -> dict[str, Any]:
    bests = [r["best"] for r in runs.values() if r["best"] is not None]
    trials = sum(len(r["values"]) - sum(r["enqueued"]) for r in runs.values())
    range_shares = [r["range_test_s"] / r["wall_s"] for r in runs.values() if r["range_test_s"] is not None]
    return {
        "median_best": statistics.median(bests) if bests else None,
        "spread": [min(bests), max(bests)] if bests else None,
        "at_chance": sum(r["at_chance"] for r in runs.values()),
        "trials": trials,  # sampled ones: the enqueued baselines are the same in every arm
        "enqueued_at_chance": sum(r["enqueued_at_chance"] for r in runs.values()),
        "enqueued": sum(sum(r["enqueued"]) for r in runs.values()),
        "median_wall_s": statistics.median(r["wall_s"] for r in runs.values()),
        "range_test_share": statistics.median(range_shares) if range_shares else None,
    }


def table(results: dict[str, Any]) -> str:
    rows = [
        "| arm | median best (of seeds) | seed spread | sampled trials at chance | median wall time | range test |",
        "|---|---|---|---|---|---|",
    ]
    for arm, result in results["arms"].items():
        s = result["summary"]
        share = "—" if s["range_test_share"] is None else f"{100 * s['range_test_share']:.1f} % of wall time"
        spread = "—" if s["spread"] is None else f"{s['spread'][0]:.4f} – {s['spread'][1]:.4f}"
        best = "—" if s["median_best"] is None else f"{s['median_best']:.4f}"
        chance = f"{s['at_chance']} of {s['trials']}"
        rows.append(f"| `{arm}` | {best} | {spread} | {chance} | {s['median_wall_s']:.0f} s | {share} |")
    return "\n".join(rows) + "\n"


def plot(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    figure = Figure(figsize=(11, 4.2), dpi=110, layout="constrained")
    by_trial, by_time = figure.subplots(1, 2, sharey=True)
    for index, (arm, result) in enumerate(results["arms"].items()):
        color = f"C{index}"
        for n, run in enumerate(result["seeds"].values()):
            curve = best_so_far(run["values"])
            label = arm if n == 0 else None
            by_trial.plot(range(1, len(curve) + 1), curve, color=color, alpha=0.8, label=label, drawstyle="steps-post")
            by_time.plot(run["finished_s"], curve, color=color, alpha=0.8, drawstyle="steps-post")
    by_trial.set_xlabel("trial")
    by_time.set_xlabel("seconds since the study's command started")
    by_trial.set_ylabel("best validation accuracy so far")
    for axes in (by_trial, by_time):
        axes.grid(alpha=0.3)
    by_trial.legend(fontsize=8)
    figure.suptitle(f"all_families: {results['settings']['trials']} trials x {results['settings']['epochs']} epochs, "
                    f"{results['settings']['train_size']} images, seeds {results['settings']['seeds']}")  # fmt: skip
    figure.savefig(path)


def start_results(module: str, argv: list[str] | None, args: argparse.Namespace) -> dict[str, Any]:
    """A benchmark's results, before its arms: the command, the machine and the settings."""
    return {
        "command": f"python -m {module} " + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": f"{platform.node()} · {platform.machine()} · Python {platform.python_version()}",
        "settings": {
            **{k: v for k, v in vars(args).items() if k not in ("out", "plot")},
            "out": str(args.out) if args.out else None,
        },
        "arms": {},
    }


def finish_results(results: dict[str, Any], args: argparse.Namespace, table: Any, plot: Any) -> None:
    """Print the table; write the JSON (``--out``) and the figure (``--plot``)."""
    print(table(results), end="")
    if args.out:
        args.out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    if args.plot:
        plot(results, args.plot)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = _parser().parse_intermixed_args(argv)
    results = start_results("benchmarks.search", argv, args)
    with tempfile.TemporaryDirectory(prefix="lrsweep-search-") as folder:
        for arm in args.arms:
            runs = {seed: run_arm(arm, seed, args, Path(folder)) for seed in args.seeds}
            results["arms"][arm] = {"seeds": runs, "summary": _summary(runs)}
            print(f"{arm}: {json.dumps(results['arms'][arm]['summary'])}", flush=True)
    finish_results(results, args, table, plot)
    return results


if __name__ == "__main__":
    main()
