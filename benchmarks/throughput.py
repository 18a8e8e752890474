"""Trial throughput: the same K-trial sweep run the naive way and lrsweep's way, side by side in one run.

    python -m benchmarks.throughput [--trials 8] [--epochs 5] [--jobs auto] [--naive-jobs 1]
                                    [--train-size N] [--val-size N] [--pack K [K ...]] [--out F]

1. **lrsweep**: ``lrsweep -m +sweep=FAMILY`` with ``n_trials=K`` and ``n_jobs=--jobs`` warm workers (``auto``: one
   on a CPU, several per GPU; no pruning, no MLflow, a fixed sampler seed), timed from the command's start to its
   exit.
2. **naive**: the very configurations that sweep sampled, each in a fresh ``python`` process that imports Keras,
   builds, compiles and runs plain ``model.fit`` (``benchmarks/_naive.py``), ``--naive-jobs`` processes at a time
   (several share the GPUs as lrsweep's workers do: pinned round-robin, with the same memory limits).
3. **JAX floor** (backend ``jax`` only): a hand-written jitted ``lax.scan`` epoch of the same CNN.
4. **packed** (``--pack K ...``, backend ``jax`` only; on another it is skipped with one line saying why): the same
   configurations trained K at a time in this process by one ``PackedTrainer`` (``benchmarks/_packed.py``), a slot
   refilled when its trial ends, timed from building the trainer to the last trial's end.

It prints trials/hour for each path and their ratio, the steady-state seconds per epoch, the first trial's compile
overhead (its first epoch minus a steady one), the peak memory per worker, and how far the two paths' objectives
are apart (they train the same configurations from the same seed); for each packed K, trials/hour and its ratio to
naive, a steady epoch's seconds per member (÷ K) and its ratio to the JAX floor's epoch, the compile time, the
device memory per member (on an accelerator) and the largest objective difference from lrsweep's (the packed
trainer shuffles with its own RNG). ``--out`` writes the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from lrsweep import _keys as keys

__all__ = ["main", "run"]

BIN = Path(sys.executable).parent


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.throughput", description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=8, help="trials per path (K)")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--jobs", default="auto", help="lrsweep's hydra.sweeper.n_jobs: an int or auto")
    parser.add_argument("--naive-jobs", type=int, default=1, help="naive processes at a time")
    parser.add_argument("--family", default="exponential_decay", help="the sweep file (+sweep=FAMILY)")
    parser.add_argument("--train-size", type=int, default=None, help="training images (default: all 60,000)")
    parser.add_argument("--val-size", type=int, default=None, help="validation images (default: all 10,000)")
    parser.add_argument("--pack", type=int, nargs="+", default=[], metavar="K", help="packed arms of K slots (JAX)")
    parser.add_argument("--out", type=Path, default=None, help="write the figures here as JSON")
    return parser


def _overrides(args: argparse.Namespace) -> list[str]:
    overrides = [f"trainer.epochs={args.epochs}", f"trainer.batch_size={args.batch_size}"]
    if args.train_size:
        overrides.append(f"data.train_size={args.train_size}")
    if args.val_size:
        overrides.append(f"data.val_size={args.val_size}")
    return overrides


def _steady(seconds: list[list[float]]) -> float | None:
    later = [s for trial in seconds for s in trial[1:]]
    return statistics.median(later) if later else None


def _path_figures(
    wall_s: float, trials: int, seconds: list[list[float]], peaks: list[dict[str, float]]
) -> dict[str, Any]:
    steady = _steady(seconds)
    first = seconds[0][0] if seconds and seconds[0] else None
    return {
        "wall_s": wall_s,
        "trials_per_hour": 3600 * trials / wall_s,
        "steady_epoch_s": steady,
        "first_trial_compile_s": None if first is None or steady is None else first - steady,
        "later_trials_first_epoch_over_steady": (
            statistics.median(s[0] for s in seconds[1:]) / steady if len(seconds) > 1 and steady else None
        ),
        "peak_host_mib": max((p.get("host", 0.0) for p in peaks), default=None),
        "peak_device_mib": max((p["device"] for p in peaks if "device" in p), default=None),
    }


def _lrsweep(args: argparse.Namespace, work: Path) -> tuple[float, list[Any]]:
    """Run the sweep; its wall time and its trials (with the configs and timings the jobs recorded)."""
    import optuna

    storage = f"sqlite:///{work / 'bench.db'}"
    command = [
        str(BIN / "lrsweep"),
        "-m",
        f"+sweep={args.family}",
        f"hydra.sweeper.n_trials={args.trials}",
        f"hydra.sweeper.n_jobs={args.jobs}",
        "hydra/sweeper/pruner=none",
        "hydra.sweeper.enqueue=[]",
        "hydra.sweeper.study_name=bench",
        f"hydra.sweeper.storage={storage}",
        "tracking=none",
        "trainer.verbose=0",
        *_overrides(args),
    ]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=work, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"the lrsweep sweep failed:\n{done.stderr[-3000:]}")
    trials = optuna.load_study(study_name="bench", storage=storage).trials
    return wall, sorted(trials, key=lambda t: t.number)


def _config(args: argparse.Namespace) -> Any:
    """The composed config every trial shares but for its schedule."""
    from hydra import compose, initialize_config_dir

    from lrsweep._paths import config_dir
    from lrsweep.config import register_configs

    register_configs()
    with initialize_config_dir(str(config_dir()), version_base="1.3"):
        return compose("config", overrides=_overrides(args))


def _naive(args: argparse.Namespace, work: Path, schedules: list[dict[str, Any]]) -> tuple[float, list[dict[str, Any]]]:
    """Each configuration in a fresh process, ``--jobs`` at a time; the wall time and each process's figures."""
    from omegaconf import OmegaConf

    config = _config(args)
    base = {key: OmegaConf.to_container(config[key], resolve=True) for key in ("optimizer", "trainer", "data")}

    environments = _naive_environments(args.naive_jobs)

    def one(index: int) -> dict[str, Any]:
        spec = json.dumps({**base, "schedule": schedules[index]})
        env = _env(environments[index % len(environments)])
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks._naive", spec], cwd=work, capture_output=True, text=True, env=env
        )
        if done.returncode != 0:
            raise SystemExit(f"a naive trial failed:\n{done.stderr[-3000:]}")
        return dict(json.loads(done.stdout.strip().splitlines()[-1]))

    started = time.perf_counter()
    with ThreadPoolExecutor(args.naive_jobs) as pool:
        results = list(pool.map(one, range(len(schedules))))
    return time.perf_counter() - started, results


def _naive_environments(jobs: int) -> list[dict[str, str | None]]:
    """Several naive processes at a time share the GPUs as lrsweep's workers do (one alone gets the defaults)."""
    from lrsweep._backend import backend_name
    from lrsweep.sweep.workers._devices import visible_accelerators, worker_environments

    if jobs == 1:
        return [{}]
    return worker_environments(jobs, visible_accelerators(), backend_name()) or [{}]


def _env(changes: dict[str, str | None] | None = None) -> dict[str, str]:
    root = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    for key, value in (changes or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def _floor(args: argparse.Namespace) -> dict[str, float] | None:
    import keras

    if keras.backend.backend() != "jax":
        return None
    from benchmarks._jax_floor import jax_floor
    from lrsweep.data import load_fashion_mnist

    data = load_fashion_mnist(train_size=args.train_size, val_size=args.val_size)
    return jax_floor(data.x_train, data.y_train, batch_size=args.batch_size, epochs=max(args.epochs, 3))


def run(args: argparse.Namespace) -> dict[str, Any]:
    import keras

    from benchmarks._packed import packed_rows, skip_reason
    from lrsweep._backend import backend_name, device_description

    with tempfile.TemporaryDirectory(prefix="lrsweep-bench-") as folder:
        work = Path(folder)
        sweep_wall, trials = _lrsweep(args, work)
        schedules = [t.user_attrs[keys.TRIAL_SCHEDULE] for t in trials]
        fits = {t.number: t.user_attrs.get(keys.TRIAL_FIT) or {} for t in trials}
        naive_wall, naive = _naive(args, work, schedules)
    ours = [t.value for t in trials]
    packed_skipped = skip_reason(backend_name()) if args.pack else None
    packed = packed_rows(_config(args), schedules, args.pack, ours) if args.pack and not packed_skipped else []
    theirs = [r["objective"] for r in naive]
    figures: dict[str, Any] = {
        "device": device_description(),
        "backend": backend_name(),
        "keras": keras.__version__,
        "trials": args.trials,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "jobs": args.jobs,
        "lrsweep_workers": len({fits[t.number].get(keys.FIT_PROCESS) for t in trials}),
        "naive_jobs": args.naive_jobs,
        "train_size": args.train_size,
        "val_size": args.val_size,
        "family": args.family,
        "naive": _path_figures(
            naive_wall, len(naive), [r["epoch_seconds"] for r in naive], [r["peak_memory"] for r in naive]
        ),
        "lrsweep": _path_figures(
            sweep_wall,
            len(trials),
            [fits[t.number].get(keys.FIT_EPOCH_SECONDS, []) for t in trials],
            [fits[t.number].get(keys.FIT_PEAK_MEMORY, {}) for t in trials],
        ),
        "objectives": {"lrsweep": ours, "naive": theirs},
        "max_objective_difference": max(abs(a - b) for a, b in zip(ours, theirs, strict=True)),
        "jax_floor": _floor(args),
        "packed": packed,
        "packed_skipped": packed_skipped,
    }
    figures["ratio"] = figures["lrsweep"]["trials_per_hour"] / figures["naive"]["trials_per_hour"]
    floor = (figures["jax_floor"] or {}).get("steady_epoch_s")
    for row in packed:
        row["ratio_to_naive"] = row["trials_per_hour"] / figures["naive"]["trials_per_hour"]
        member = row["steady_epoch_s_per_member"]
        row["per_member_over_jax_floor"] = member / floor if member is not None and floor else None
    return figures


def _cell(value: Any) -> str:
    return "-" if value is None else f"{value:.3g}" if isinstance(value, float) else str(value)


def _aligned(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)) for row in rows]


def _packed_table(figures: dict[str, Any]) -> list[str]:
    if figures["packed_skipped"]:
        return [figures["packed_skipped"]]
    if not figures["packed"]:
        return []
    rows = [
        (
            "packed",
            "trials/hour",
            "x naive",
            "steady s/epoch/member",
            "x JAX floor",
            "compile s",
            "device MiB/member",
            "max objective diff",
            "complete/diverged",
        )
    ]
    for row in figures["packed"]:
        done = (row["statuses"].count("complete"), row["statuses"].count("diverged"))
        rows.append(
            (
                f"K={row['slots']}",
                _cell(row["trials_per_hour"]),
                f"{row['ratio_to_naive']:.2f}x",
                _cell(row["steady_epoch_s_per_member"]),
                _cell(row["per_member_over_jax_floor"]),
                _cell(row["compile_s"]),
                _cell(row["device_mib_per_member"]) if row["device_mib_per_member"] is not None else "n/a",
                _cell(row["max_objective_difference"]),
                f"{done[0]}/{done[1]}",
            )
        )
    from benchmarks._packed import SHUFFLE_NOTE

    return [*_aligned(rows), f"({SHUFFLE_NOTE})"]


def _table(figures: dict[str, Any]) -> str:
    cell = _cell
    rows = [("path", "trials/hour", "steady s/epoch", "first-trial compile s", "peak host MiB", "peak device MiB")]
    for name in ("naive", "lrsweep"):
        f = figures[name]
        rows.append(
            (
                name,
                cell(f["trials_per_hour"]),
                cell(f["steady_epoch_s"]),
                cell(f["first_trial_compile_s"]),
                cell(f["peak_host_mib"]),
                cell(f["peak_device_mib"]),
            )
        )
    if figures["jax_floor"]:
        floor = figures["jax_floor"]
        rows.append(("JAX floor", "-", cell(floor["steady_epoch_s"]), cell(floor["first_epoch_s"]), "-", "-"))
    lines = _aligned(rows)
    head = (
        f"{figures['device']} · {figures['backend']} · K={figures['trials']} trials × {figures['epochs']} epochs · "
        f"batch {figures['batch_size']} · lrsweep: {figures['lrsweep_workers']} warm worker(s) "
        f"(n_jobs={figures['jobs']}) · naive: {figures['naive_jobs']} process(es) at a time"
    )
    tail = (
        f"lrsweep / naive: {figures['ratio']:.2f}x trials/hour · "
        f"objectives differ by at most {figures['max_objective_difference']:.4f}"
    )
    return "\n".join([head, *lines, tail, *_packed_table(figures)])


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if any(k < 1 for k in args.pack):
        parser.error(f"argument --pack: every K must be >= 1. Received: --pack {' '.join(map(str, args.pack))}")
    figures = run(args)
    print(_table(figures))
    if args.out is not None:
        args.out.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
