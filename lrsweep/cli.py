"""The ``lrsweep`` command: a thin Hydra front over :func:`lrsweep.training.run_trial`.

``lrsweep [overrides]`` composes ``conf/config.yaml`` with the overrides and trains one trial;
``lrsweep -m ...`` is a Hydra multirun. Outputs (``outputs/``, ``mlflow.db``) land in the working directory.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from lrsweep._errors import ConfigError, LRSweepError, TrialPrunedError, report
from lrsweep._paths import config_dir

if TYPE_CHECKING:
    from lrsweep.sweep import JobReport

__all__ = ["main"]


def run(config: DictConfig) -> float | JobReport:
    """The job of ``lrsweep``: one trial of the composed config.

    Outside a sweep, it prints the result and returns the objective; a bad config or a failed trial ends the
    command with one line and exit code 2 or 1. Inside lrsweep's sweep it returns a :class:`JobReport` (the
    objective and what the job measured), and an error goes back to Hydra (and to the sweeper) carrying the same,
    so the other jobs go on.
    """
    from lrsweep._preflight import release_composition_errors
    from lrsweep.sweep import JobReport, carry_record, trial_reporter
    from lrsweep.training import run_trial

    release_composition_errors()  # composed: from here on, Hydra reports errors as it always does
    reporter = trial_reporter(config)
    multirun = HydraConfig.get().mode == RunMode.MULTIRUN
    try:
        result = run_trial(config, callbacks=[reporter] if reporter is not None else [])
    except TrialPrunedError:
        if multirun:
            raise  # the sweep records the trial as pruned
        sys.exit(1)
    except Exception as error:
        if reporter is not None:
            carry_record(error, reporter.record)
        if not isinstance(error, LRSweepError):
            raise
        code = report(error)
        if multirun:
            raise  # Hydra records the job as failed, runs the others, and reports it at the end
        sys.exit(code)
    values = list(result.objectives.values())
    if reporter is not None:  # a sweep's trial: the sweep reports it (a multi-objective study: every objective)
        return JobReport(values if len(values) > 1 else result.objective, reporter.record)
    shown = ", ".join(f"{name} {value:.4f}" for name, value in result.objectives.items())
    print(
        f"lrsweep: {config.schedule.family} · {shown} after {result.epochs_completed} "
        f"epoch(s) · {result.seconds:.1f} s" + (f" · MLflow run {result.run_id}" if result.run_id else "")
    )
    return result.objective


_trial = hydra.main(version_base="1.3", config_path=str(config_dir()), config_name="config")(run)


def main() -> None:
    """Entry point of the ``lrsweep`` console script."""
    from lrsweep._commands import SUBCOMMANDS, run_subcommand

    # TensorFlow's C++ start-up chatter (CUDA probing on CPU machines) stays out of the terminal; its workers
    # inherit the setting.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if os.getcwd() not in sys.path and "" not in sys.path:
        # The user's `_target_`s (model, data, functions) import from the working directory, as with `python -m`.
        sys.path.insert(0, os.getcwd())
    if len(sys.argv) > 1 and sys.argv[1] in SUBCOMMANDS:
        sys.exit(run_subcommand(sys.argv[1:]))
    from hydra.errors import CompactHydraException, ConfigCompositionException

    from lrsweep._preflight import (
        check_group_choices,
        composition_error,
        hold_composition_errors,
        quote_sweeper_params,
        release_composition_errors,
    )
    from lrsweep.config import register_configs

    register_configs()
    try:
        check_group_choices(sys.argv[1:], str(config_dir()))
    except ConfigError as error:
        sys.exit(report(error))
    sys.argv[1:] = quote_sweeper_params(sys.argv[1:])
    held = hold_composition_errors()
    try:
        _trial()
    except CompactHydraException as error:  # raised only while held: composition comes before any work
        if not held:
            raise
        said = composition_error(error, sys.argv[1:]) if isinstance(error, ConfigCompositionException) else None
        if said is not None:
            sys.exit(report(said))
        words = [str(error), *([str(error.__cause__)] if error.__cause__ is not None else [])]
        print("lrsweep: error: " + " ".join(line.strip() for w in words for line in w.splitlines() if line.strip()),
              file=sys.stderr)  # fmt: skip
        sys.exit(2 if isinstance(error, ConfigCompositionException) else 1)
    except KeyboardInterrupt:  # the sweep has said what it marked; a traceback would bury that line
        print("lrsweep: interrupted", file=sys.stderr)
        sys.exit(130)
    finally:
        release_composition_errors()


if __name__ == "__main__":
    main()
