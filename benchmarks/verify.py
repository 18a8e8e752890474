"""Search or verify: one all-families study budget spent all on search, or partly on verification and controls,
and how each pick holds up over fresh seeds.

    python -m benchmarks.verify [--trials 25] [--epochs 3] [--train-size 10000] [--val-size 2000]
                                [--seeds 0 1 2] [--top 3] [--verify-seeds 2] [--eval-seeds 2000 2001 2002]
                                [--out F] [--plot F]

Arms, each ``lrsweep -m +sweep=all_families hydra.sweeper.lr_range=auto`` as ``make sweep`` runs it (TPE, the
median pruner, the enqueued baselines), no MLflow, one trial at a time, the same total number of trainings:

- ``search``: all ``--trials`` on the search; the pick is the study's best trial (today's ``make sweep``);
- ``verified``: the search gets what verification and the one control (``constant``) leave
  (``--trials - (top + 1) * verify-seeds``), then ``verify_top=top`` configurations and the controls
  run with ``verify_seeds`` fresh seeds; the pick is the verified best (the best mean over those seeds).

Each pick then trains again with every ``--eval-seeds`` seed (``trainer.seed``, seeds neither arm used), in this
process (``lrsweep.run_trial`` on the trial's own job config), and its mean over them is what the arm found. The
target: for each sampler seed, the ``verified`` pick's mean is at least the ``search`` pick's.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.search import BIN, finish_results, job_overrides, start_results, study_parser

__all__ = ["ARMS", "evaluate", "main", "run_arm"]

ARMS = ["search", "verified"]


def _parser() -> argparse.ArgumentParser:
    parser = study_parser("benchmarks.verify", __doc__.split("\n")[0], ARMS)
    parser.add_argument("--top", type=int, default=3, help="the verified arm's verify_top")
    parser.add_argument("--verify-seeds", type=int, default=2, help="the verified arm's verify_seeds")
    parser.add_argument("--eval-seeds", type=int, nargs="+", default=[2000, 2001, 2002],
                        help="the fresh trainer seeds each pick is judged on")  # fmt: skip
    parser.add_argument("--out", type=Path, default=None, help="write the figures here as JSON")
    parser.add_argument("--plot", type=Path, default=None, help="write each pick's fresh-seed values here as PNG")
    parser.add_argument("extra", nargs="*", help="more overrides for every study (e.g. lr_find.num_steps=60)")
    return parser


def _search_trials(arm: str, args: argparse.Namespace) -> int:
    return args.trials if arm == "search" else args.trials - (args.top + 1) * args.verify_seeds


def run_arm(arm: str, seed: int, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """One study: how many trainings it ran, its wall time, and its pick (the trial's overrides, family, value)."""
    import optuna

    from lrsweep import _keys as keys
    from lrsweep.sweep import verdicts

    storage, name = f"sqlite:///{work / 'verify.db'}", f"{arm}_seed{seed}"
    verify = ["hydra.sweeper.verify_top=0"]
    if arm == "verified":
        verify = [f"hydra.sweeper.verify_top={args.top}", f"hydra.sweeper.verify_seeds={args.verify_seeds}"]
        verify.append("hydra.sweeper.controls=[constant]")  # one control whatever the optimizer: the budget adds up
    command = [
        str(BIN / "lrsweep"), "-m", "+sweep=all_families", "hydra.sweeper.lr_range=auto", *verify,
        f"hydra.sweeper.sampler.seed={seed}", f"hydra.sweeper.n_trials={_search_trials(arm, args)}",
        f"hydra.sweeper.study_name={name}", f"hydra.sweeper.storage={storage}", "hydra.sweeper.n_jobs=1",
        "tracking=none", *job_overrides(args),
    ]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(command, cwd=work, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{name} failed:\n{done.stderr[-3000:]}")
    study = optuna.load_study(study_name=name, storage=storage)
    finished = [t for t in study.trials if t.state.is_finished()]
    if arm == "verified":
        found = verdicts(study)
        if not found:
            raise SystemExit(f"{name}: no configuration was verified (the search fell short, or every seed failed)")
        best = found[0]
        pick, verified = study.trials[best.number], {"mean": best.mean, "values": list(best.values)}
    else:
        pick, verified = study.best_trial, None
    return {
        "trainings": len(finished),
        "search_trials": sum(keys.TRIAL_SEED not in t.user_attrs for t in finished),
        "wall_s": wall,
        "pick": {
            "number": pick.number,
            "family": pick.user_attrs.get(keys.TRIAL_FAMILY),
            "value": pick.value,
            "verified": verified,
            "overrides": list(pick.user_attrs.get(keys.TRIAL_OVERRIDES, [])),
        },
    }


def evaluate(overrides: list[str], seeds: list[int], args: argparse.Namespace) -> list[float]:
    """A configuration's objective with each of ``seeds`` as ``trainer.seed`` (no pruning, no tracking)."""
    import lrsweep
    from lrsweep.training import run_trial

    kept = [o for o in overrides if not o.startswith("trainer.seed=")]
    return [
        float(run_trial(lrsweep.compose(["tracking=none", *job_overrides(args), *kept, f"trainer.seed={s}"])).objective)
        for s in seeds
    ]


def _summary(runs: dict[int, dict[str, Any]]) -> dict[str, Any]:
    means = [run["eval_mean"] for run in runs.values()]
    return {
        "eval_means": means,
        "mean_of_eval_means": statistics.fmean(means),
        "median_wall_s": statistics.median(run["wall_s"] for run in runs.values()),
        "trainings": [run["trainings"] for run in runs.values()],
        "search_trials": [run["search_trials"] for run in runs.values()],
    }


def table(results: dict[str, Any]) -> str:
    arms = results["arms"]
    seeds = list(next(iter(arms.values()))["seeds"])
    rows = [
        "| arm | trainings (search) | " + " | ".join(f"sampler seed {s}: pick, study value → fresh mean" for s in seeds)
        + " | mean over sampler seeds | median wall time |",
        "|---|---|" + "---|" * len(seeds) + "---|---|",
    ]  # fmt: skip
    for arm, result in arms.items():
        s, cells = result["summary"], []
        for run in result["seeds"].values():
            pick = run["pick"]
            verified = f", verified {pick['verified']['mean']:.4f}" if pick["verified"] else ""
            cells.append(f"#{pick['number']} {pick['family']}, {pick['value']:.4f}{verified} → "
                         f"{run['eval_mean']:.4f} ± {run['eval_std']:.4f}")  # fmt: skip
        trainings = f"{s['trainings'][0]} ({s['search_trials'][0]})"
        rows.append(f"| `{arm}` | {trainings} | " + " | ".join(cells)
                    + f" | {s['mean_of_eval_means']:.4f} | {s['median_wall_s']:.0f} s |")  # fmt: skip
    return "\n".join(rows) + "\n"


def plot(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 4.2), dpi=110, layout="constrained")
    axes = figure.add_subplot()
    for index, (arm, result) in enumerate(results["arms"].items()):
        for n, (seed, run) in enumerate(result["seeds"].items()):
            x = [int(seed) + 0.15 * (index - 0.5)] * len(run["eval_values"])
            axes.scatter(x, run["eval_values"], color=f"C{index}", alpha=0.7, label=arm if n == 0 else None)
            axes.errorbar(x[0], run["eval_mean"], yerr=run["eval_std"], color=f"C{index}", capsize=4, fmt="_")
    axes.set_xlabel("sampler seed")
    axes.set_ylabel("validation accuracy of the pick, fresh seeds")
    axes.set_xticks([int(s) for s in results["settings"]["seeds"]])
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    axes.set_title("Each arm's pick over fresh seeds (mean ± std)")
    figure.savefig(path)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = _parser().parse_intermixed_args(argv)
    results = start_results("benchmarks.verify", argv, args)
    judged: dict[tuple[str, ...], list[float]] = {}  # the same pick in both arms trains once per eval seed
    with tempfile.TemporaryDirectory(prefix="lrsweep-verify-") as folder:
        for arm in args.arms:
            runs = {seed: run_arm(arm, seed, args, Path(folder)) for seed in args.seeds}
            for run in runs.values():
                key = tuple(run["pick"]["overrides"])
                if key not in judged:
                    judged[key] = evaluate(run["pick"]["overrides"], args.eval_seeds, args)
                values = judged[key]
                run.update(eval_values=values, eval_mean=statistics.fmean(values),
                           eval_std=statistics.stdev(values) if len(values) > 1 else 0.0)  # fmt: skip
            results["arms"][arm] = {"seeds": runs, "summary": _summary(runs)}
            print(f"{arm}: {json.dumps(results['arms'][arm]['summary'])}", flush=True)
    finish_results(results, args, table, plot)
    return results


if __name__ == "__main__":
    main()
