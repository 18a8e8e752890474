"""Early stopping, fair or not: one all-families study budget under several pruning rules, and what each stopped.

    python -m benchmarks.fidelity [--trials 25] [--epochs 3] [--train-size 10000] [--val-size 2000]
                                  [--seeds 0 1 2] [--arms none median median_peak budget sha] [--out F] [--plot F]

Arms, each ``lrsweep -m +sweep=all_families`` as ``make sweep`` runs it (TPE, ``lr_range=auto``, the enqueued
baselines), no MLflow, one trial at a time:

- ``none``: no pruning, every trial runs its whole budget (the reference);
- ``median``: Optuna's median pruner, judged after any epoch (today's default);
- ``median_peak``: the same pruner with ``hydra.sweeper.prune_from=peak``: not judged before the trial's LR has
  peaked;
- ``budget``: successive halving over whole schedules (``hydra.sweeper.rung_epochs=1``, no pruner): every sampled
  configuration first trains its whole schedule in one epoch, the best third of those run again in full. A short
  run whose configuration was promoted is not counted as stopped;
- ``sha``: Optuna's successive-halving pruner (``hydra/sweeper/pruner=successive_halving``: ``min_resource=1``,
  ``reduction_factor=3``): at its first rung only a trial in the best third of those judged there goes on. The
  rung is step 1, and a trial reports Keras' 0-based epoch as its step, so it is judged after its second epoch.

For each arm: the median best over seeds, the wall time, the time it took to reach the ``none`` arm's median best
(as a share of ``none``'s median wall time: the target is at most 0.6), and how often it stopped a configuration
that, run in full, would have been in its study's top 3. Each stopped configuration runs once to its end, in
this process (``lrsweep.run_trial`` on the trial's own job config), to know.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.search import BIN, best_so_far, finish_results, job_overrides, start_results, study_parser
from lrsweep import _keys as keys

__all__ = ["ARMS", "main", "run_arm", "time_to_reach"]

ARMS: dict[str, list[str]] = {
    "none": ["hydra/sweeper/pruner=none"],
    "median": ["hydra/sweeper/pruner=median"],
    "median_peak": ["hydra/sweeper/pruner=median", "hydra.sweeper.prune_from=peak"],
    "budget": ["hydra/sweeper/pruner=none", "hydra.sweeper.rung_epochs=1"],
    "sha": ["hydra/sweeper/pruner=successive_halving"],
}


def _parser() -> argparse.ArgumentParser:
    parser = study_parser("benchmarks.fidelity", __doc__.split("\n")[0], list(ARMS))
    parser.add_argument("--startup", type=int, default=None, help="the median pruner's n_startup_trials (null: 5)")
    parser.add_argument("--out", type=Path, default=None, help="write the figures here as JSON")
    parser.add_argument("--plot", type=Path, default=None, help="write best-so-far against wall time here as PNG")
    parser.add_argument("extra", nargs="*", help="more overrides for every study (e.g. lr_find.num_steps=60)")
    return parser


def run_arm(arm: str, seed: int, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """One study: each finished trial's state, value, finish time (seconds from the command's start) and, for a
    pruned one, its job's overrides (to run it in full)."""
    import optuna

    storage, name = f"sqlite:///{work / 'fidelity.db'}", f"{arm}_seed{seed}"
    pruner = (
        [f"hydra.sweeper.pruner.n_startup_trials={args.startup}"]
        if args.startup and "hydra/sweeper/pruner=median" in ARMS[arm]
        else []
    )
    command = [
        str(BIN / "lrsweep"), "-m", "+sweep=all_families", "hydra.sweeper.lr_range=auto", *ARMS[arm], *pruner,
        f"hydra.sweeper.sampler.seed={seed}", f"hydra.sweeper.n_trials={args.trials}",
        f"hydra.sweeper.study_name={name}", f"hydra.sweeper.storage={storage}", "hydra.sweeper.n_jobs=1",
        "tracking=none", *job_overrides(args),
    ]  # fmt: skip
    started, wall_clock = time.perf_counter(), time.time()
    done = subprocess.run(command, cwd=work, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{name} failed:\n{done.stderr[-3000:]}")
    study = optuna.load_study(study_name=name, storage=storage)
    trials = sorted((t for t in study.trials if t.state.is_finished()), key=lambda t: t.number)
    promoted = {t.user_attrs[keys.TRIAL_PROMOTES] for t in trials if keys.TRIAL_PROMOTES in t.user_attrs}
    return {
        "states": [t.state.name for t in trials],
        "values": [t.value if t.state == optuna.trial.TrialState.COMPLETE else None for t in trials],
        "finished_s": [t.datetime_complete.timestamp() - wall_clock for t in trials],
        # Epochs each trial trained: the cost measure that a loaded machine cannot distort.
        "epochs": [
            args.epochs if t.state == optuna.trial.TrialState.COMPLETE else len(t.intermediate_values) for t in trials
        ],
        "pruned": {  # the configuration in full: a short run's full-budget overrides
            t.number: list(
                (t.user_attrs.get(keys.TRIAL_RUNG) or {}).get("overrides") or t.user_attrs.get(keys.TRIAL_OVERRIDES, [])
            )
            for t in trials
            if t.state == optuna.trial.TrialState.PRUNED and t.number not in promoted
        },
        "wall_s": wall,
    }


def run_in_full(overrides: list[str], args: argparse.Namespace) -> float:
    """A stopped configuration's objective when it runs its whole budget (no pruning, no tracking)."""
    import lrsweep
    from lrsweep.training import run_trial

    config = lrsweep.compose(["tracking=none", *job_overrides(args), *overrides])
    return float(run_trial(config).objective)


def time_to_reach(run: dict[str, Any], target: float, cost: str = "finished_s") -> float | None:
    """Seconds (``cost="finished_s"``) or epochs trained (``cost="epochs"``) until the study's best-so-far reached
    ``target``; ``None`` if it never did."""
    spent = run[cost] if cost == "finished_s" else list(itertools.accumulate(run[cost]))
    for value, used in zip(best_so_far(run["values"]), spent, strict=True):
        if value is not None and value >= target:
            return float(used)
    return None


def _stopped_top3(run: dict[str, Any], full: dict[int, float]) -> int:
    """How many stopped configurations would, run in full, be among the study's three best."""
    complete = sorted((v for v in run["values"] if v is not None), reverse=True)
    third = complete[2] if len(complete) >= 3 else (complete[-1] if complete else float("-inf"))
    return sum(value >= third for value in full.values())


def _summary(runs: dict[int, dict[str, Any]], reference: dict[str, Any] | None) -> dict[str, Any]:
    bests = [max((v for v in r["values"] if v is not None), default=None) for r in runs.values()]
    found = [b for b in bests if b is not None]
    summary: dict[str, Any] = {
        "median_best": statistics.median(found) if found else None,
        "median_wall_s": statistics.median(r["wall_s"] for r in runs.values()),
        "median_epochs": statistics.median(sum(r["epochs"]) for r in runs.values()),
        "pruned": sum(len(r["pruned"]) for r in runs.values()),
        "stopped_top3": sum(r.get("stopped_top3", 0) for r in runs.values()),
    }
    if reference is not None and reference["median_best"] is not None:
        reached = [time_to_reach(r, reference["median_best"]) for r in runs.values()]
        summary["reached"] = sum(t is not None for t in reached)
        times = [t for t in reached if t is not None]
        summary["time_share"] = statistics.median(times) / reference["median_wall_s"] if times else None
        spent = [e for e in (time_to_reach(r, reference["median_best"], "epochs") for r in runs.values()) if e]
        summary["epoch_share"] = statistics.median(spent) / reference["median_epochs"] if spent else None
    return summary


def table(results: dict[str, Any]) -> str:
    rows = [
        "| arm | median best | median wall time | epochs trained | reached `none`'s median best | "
        "time to it / `none`'s wall | epochs to it / `none`'s epochs | stopped would-be top 3 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for arm, result in results["arms"].items():
        s = result["summary"]
        best = "—" if s["median_best"] is None else f"{s['median_best']:.4f}"
        reached = f"{s['reached']} of {len(result['seeds'])} seeds" if "reached" in s else "(the reference)"
        share = f"{s['time_share']:.2f}" if s.get("time_share") is not None else "—"
        epochs = f"{s['epoch_share']:.2f}" if s.get("epoch_share") is not None else "—"
        stopped = f"{s['stopped_top3']} of {s['pruned']} stopped" if s["pruned"] else "—"
        rows.append(f"| `{arm}` | {best} | {s['median_wall_s']:.0f} s | {s['median_epochs']:.0f} | {reached} | "
                    f"{share} | {epochs} | {stopped} |")  # fmt: skip
    return "\n".join(rows) + "\n"


def plot(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 4.2), dpi=110, layout="constrained")
    axes = figure.add_subplot()
    for index, (arm, result) in enumerate(results["arms"].items()):
        for n, run in enumerate(result["seeds"].values()):
            axes.plot(run["finished_s"], best_so_far(run["values"]), color=f"C{index}", alpha=0.8,
                      label=arm if n == 0 else None, drawstyle="steps-post")  # fmt: skip
    axes.set_xlabel("seconds since the study's command started")
    axes.set_ylabel("best validation accuracy so far")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    axes.set_title("Pruning rules: best-so-far against wall time")
    figure.savefig(path)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = _parser().parse_intermixed_args(argv)
    results = start_results("benchmarks.fidelity", argv, args)
    reference = None
    with tempfile.TemporaryDirectory(prefix="lrsweep-fidelity-") as folder:
        for arm in args.arms:
            runs = {seed: run_arm(arm, seed, args, Path(folder)) for seed in args.seeds}
            for run in runs.values():  # each stopped configuration, once, to its end
                run["full"] = {n: run_in_full(o, args) for n, o in run["pruned"].items()}
                run["stopped_top3"] = _stopped_top3(run, run["full"])
            summary = _summary(runs, reference)
            reference = summary if arm == "none" and reference is None else reference
            results["arms"][arm] = {"seeds": runs, "summary": summary}
            print(f"{arm}: {json.dumps(summary)}", flush=True)
    finish_results(results, args, table, plot)
    return results


if __name__ == "__main__":
    main()
