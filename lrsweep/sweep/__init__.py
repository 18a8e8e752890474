"""Optuna sweeps over schedule hyperparameters (the engine of ``hydra/sweeper=lrsweep``).

The sweeper side lives in the private modules (:mod:`lrsweep.sweep._sweeper` is the front Hydra's plugin loads);
this module holds what a sweep's *job* needs: :func:`trial_reporter`, the Keras callback that reports each epoch
to the job's Optuna trial, and :class:`JobReport`, what the job returns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from omegaconf import DictConfig

from lrsweep import _keys as keys
from lrsweep.sweep.job._report import JobReport, carry_record
from lrsweep.sweep.storage._urls import default_storage

if TYPE_CHECKING:
    from collections.abc import Callable

    from optuna.storages import BaseStorage

    from lrsweep.sweep._verify import Verdict, verdicts
    from lrsweep.sweep.job._pruning import OptunaPruning

__all__ = [
    "JobReport",
    "Verdict",
    "carry_record",
    "default_storage",
    "study_storage",
    "trial_reporter",
    "verdicts",
]


def __getattr__(name: str) -> object:
    """The verdict's names on first use: Hydra imports this package at start-up (its plugin reads the settings),
    and they bring Optuna."""
    if name in ("Verdict", "verdicts"):
        from lrsweep.sweep import _verify

        return getattr(_verify, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def trial_reporter(config: DictConfig) -> OptunaPruning | None:
    """The callback a sweep's job reports through (and is pruned by); ``None`` outside a sweep."""
    reference = config.get("optuna")
    if reference is None or reference.trial_number is None:
        return None
    from hydra.core.hydra_config import HydraConfig

    from lrsweep._backend import load_keras

    load_keras()  # before the pruning callback imports it: the backend's start-up lines go to its log
    from lrsweep.sweep._progress import report_epoch
    from lrsweep.sweep._samplers import build_pruner
    from lrsweep.sweep._settings import DEFAULTS
    from lrsweep.sweep.job._pruning import OptunaPruning
    from lrsweep.sweep.storage._retry import retrying
    from lrsweep.sweep.storage._study import load_trial
    from lrsweep.training import MEASURED, objective_names

    names = objective_names(config.trainer)
    sweeper = HydraConfig.get().sweeper if HydraConfig.initialized() else DictConfig({})
    pruner = build_pruner(sweeper["pruner"], len(names)) if "pruner" in sweeper else None  # the study's own
    retry = retrying(
        reference.storage or default_storage(), float(sweeper.get("storage_timeout", DEFAULTS.storage_timeout))
    )
    number = int(reference.trial_number)
    trial = retry(lambda: load_trial(reference.study_name, reference.storage, number, pruner=pruner), "loading a trial")
    # A multi-objective study is not pruned (Optuna's pruners are single-objective), nor is one on what the trial
    # measures at its end (fit_seconds, steps): its epochs are shown, not reported.
    monitor = next((name for name in names if name not in MEASURED), "loss")
    prunable = len(trial.study.directions) == 1 and names[0] == monitor
    marks = retry(lambda: trial.user_attrs, "reading a trial")
    prunable = prunable and keys.TRIAL_SEED not in marks  # a verification or control trial runs to its end
    judge_from: Callable[[int, int], int] | None = None
    if sweeper.get("prune_from", DEFAULTS.prune_from) == "peak":  # not judged before its LR has peaked
        from functools import partial

        from lrsweep._plain import plain
        from lrsweep.sweep.job._pruning import after_the_peak

        judge_from = partial(after_the_peak, plain(config.schedule))
    if sweeper.get("rung_epochs") is not None:  # the short runs are the early stopping: reported, never judged
        judge_from = _never
    return OptunaPruning(trial, monitor, on_epoch=report_epoch, retry=retry, report=prunable, judge_from=judge_from)


def _never(steps_per_epoch: int, epochs: int) -> int:
    """``judge_from`` for a run the pruner never stops: judged from an epoch after its last."""
    return epochs + 1


def study_storage(url: str | None = None, field: str = "--storage") -> BaseStorage:
    """The Optuna storage of a study database URL (``None``: :func:`default_storage`), one per URL and process;
    a :class:`~lrsweep._errors.StorageError` naming ``field`` if it cannot be reached."""
    from lrsweep.sweep.storage._study import make_storage

    return make_storage(url, field=field)
