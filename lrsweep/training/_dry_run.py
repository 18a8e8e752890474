"""The dry run of a sweep's job: one job's config taken through everything a trial does before it trains, and one
training step, in the sweep's process, before the study exists.

A sweep calls :func:`dry_run` on the config its first trial gets (the sampled parameters aside), so a bad loss
name, data the model cannot take or a tracking setting MLflow would refuse is one line before the study, an MLflow
run or a trial exists. What it builds is kept where it is natural: the data (one build per process, see
:func:`~lrsweep.training.trial_data`) and, for warm trials, the compiled model the sweep's own trials then reuse.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from omegaconf import DictConfig

from lrsweep.schedules import ScheduleParams
from lrsweep.training._checks import check_batches
from lrsweep.training._instantiate import instantiate
from lrsweep.training._prepared import as_config, prepare_trial, validate
from lrsweep.training._trial import run_params

__all__ = ["DryRun", "dry_run"]


@dataclass(frozen=True)
class DryRun:
    """What the dry run learnt: the data (as trials will see it), its steps per epoch, and what it cost."""

    dataset: Any
    steps_per_epoch: int
    seconds: float


def dry_run(config: DictConfig | Mapping[str, Any], *, schedule: ScheduleParams | None = None) -> DryRun:
    """Validate ``config``, build its tracker (no run), load its data, build, check and compile its model, and take
    one training step and one evaluation on the first batches; nothing is written.

    Raises:
        ConfigError, DataError, InvalidArgumentError: one line naming the field, the value and what is allowed.
    """
    started = time.perf_counter()
    config = as_config(config)
    schedule = schedule or validate(config)  # the caller's, when it validated the config already
    tracker = instantiate(config.tracking, "tracking")
    trial = prepare_trial(config, schedule=schedule)
    if trial.trace is None:  # a cold trial's model only evaluated; a warm session trained one step when made
        check_batches(trial.model, trial.dataset, int(config.trainer.batch_size), train=True)
    tracker.check_params(run_params(trial))
    return DryRun(trial.dataset, trial.steps_per_epoch, time.perf_counter() - started)
