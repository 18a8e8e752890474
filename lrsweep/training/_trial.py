"""One trial: validate the config, load data, train the model under one schedule, track everything."""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from omegaconf import DictConfig, OmegaConf

from lrsweep import _keys as keys
from lrsweep._errors import TrialFailedError, TrialPrunedError
from lrsweep.training._compile import MEASURED, objective_names
from lrsweep.training._instantiate import instantiate
from lrsweep.training._prepared import PreparedTrial, as_config, prepare_trial, validate

__all__ = [
    "TrialResult",
    "end_run",
    "flatten_params",
    "run_params",
    "run_status",
    "run_trial",
    "start_run",
    "trial_objectives",
    "trial_result",
]
_UNTRACKED_GROUPS = ("tracking", "optuna", "hydra", "lr_find")


@dataclass(frozen=True)
class TrialResult:
    """What a finished trial returns.

    Attributes:
        objective: ``trainer.objective`` at the last epoch (the first objective, for several).
        objective_name: its name.
        objectives: every objective of ``trainer.objective``, by name, in its order.
        history: every epoch metric Keras logged, by name, one value per epoch.
        lr: the LR the optimizer applied at each optimizer step, as recorded.
        steps_per_epoch: optimizer steps per epoch.
        seconds: wall time of ``model.fit``.
        run_id: the tracker's run id (``None`` without tracking).
        model: the trained Keras model, to evaluate or save. With ``trainer.reuse`` (warm trials) it is the
            process's shared model, which the next warm trial in the process resets: save it, or copy its
            weights (``model.get_weights()``), before running another.
    """

    objective: float
    objective_name: str
    history: dict[str, list[float]]
    lr: np.ndarray
    steps_per_epoch: int
    seconds: float
    run_id: str | None
    params: dict[str, str] = field(default_factory=dict)
    objectives: dict[str, float] = field(default_factory=dict)
    model: Any = field(default=None, repr=False)

    @property
    def epochs_completed(self) -> int:
        return len(self.history.get("loss", []))


def flatten_params(config: DictConfig | Mapping[str, Any]) -> dict[str, str]:
    """The resolved config as MLflow params: dotted keys, values as in YAML (``true``, ``null``, ``[1, 2]``)."""
    config = as_config(config)
    flat: dict[str, str] = {}

    def walk(prefix: str, node: Any) -> None:
        if isinstance(node, dict) and node:
            for key, value in node.items():
                walk(f"{prefix}.{key}" if prefix else str(key), value)
        else:
            flat[prefix] = node if isinstance(node, str) else json.dumps(node)

    for group in config:
        if group not in _UNTRACKED_GROUPS:  # resolved group by group: the sweep's hydra node is not the job's
            node = config[group]
            walk(str(group), OmegaConf.to_container(node, resolve=True) if OmegaConf.is_config(node) else node)
    return flat


def _verbosity(verbose: str) -> int:
    if verbose == "auto":
        return 1 if sys.stdout.isatty() else 2
    return int(verbose)


def run_trial(
    config: DictConfig | Mapping[str, Any],
    *,
    tracker: Any = None,
    dataset: Any = None,
    callbacks: Sequence[Any] = (),
) -> TrialResult:
    """Train ``config.model`` on ``config.data`` under ``config.schedule`` and return the objective.

    Everything that can be wrong in the config is checked before data is loaded, and everything that can be
    wrong with the data and the model before the run is tracked (:func:`prepare_trial`). The run is tracked by
    ``tracker`` (default: ``config.tracking`` instantiated) and ends as ``finished``, ``failed`` (with the
    reason as tag ``lrsweep.failure_reason``) or ``killed``.

    Args:
        config: the composed config (``conf/config.yaml``'s shape), an OmegaConf node or a plain dict.
        tracker: a :class:`~lrsweep.tracking.Tracker` to use instead of ``config.tracking``.
        dataset: data to train on instead of ``config.data``: anything :func:`lrsweep.data.as_dataset` takes
            (a :class:`~lrsweep.data.Dataset`, arrays, a ``(train, val)`` pair of ``tf.data``/``PyDataset``).
        callbacks: extra Keras callbacks (e.g. a pruning reporter).

    Raises:
        ConfigError: a config value is not allowed (before any data is loaded).
        TrialFailedError: the loss became NaN/inf, or the objective is not finite.
    """
    config = as_config(config)
    schedule = validate(config)
    if tracker is None:
        tracker = instantiate(config.tracking, "tracking")
    trial = prepare_trial(config, dataset, schedule=schedule)
    params = run_params(trial)
    tracker.check_params(params)
    start_run(trial, tracker, params)
    return _fit(trial, tracker, params, callbacks)


def run_params(trial: PreparedTrial) -> dict[str, str]:
    """The run's MLflow params: the flattened config and what the run is (steps, data). Data given to
    :func:`run_trial` is recorded as what it is (its name here, its digest and shapes as the run's input), not as
    the ``data`` config it replaced."""
    params = flatten_params(trial.config)
    if trial.given_data:
        params = {key: value for key, value in params.items() if not key.startswith("data.")}
    dataset = trial.dataset
    params.update(
        {
            "run.steps_per_epoch": str(trial.steps_per_epoch),
            "run.total_steps": str(trial.total_steps),
            "data.name": dataset.name,
        }
    )
    if hasattr(dataset, "x_train"):
        params.update({"run.train_images": str(len(dataset.x_train)), "run.val_images": str(len(dataset.x_val))})
    return params


def start_run(trial: PreparedTrial, tracker: Any, params: dict[str, str]) -> None:
    """Open the tracked run: params, tags, the resolved config, the data's description, the Keras schedule."""
    from lrsweep._backend import load_keras

    keras = load_keras()

    from lrsweep._backend import backend_name, device_description

    family = trial.schedule.family_name()
    tracker.start(
        run_name=family,
        params=params,
        tags={
            keys.TAG_FAMILY: family,
            keys.TAG_KIND: trial.schedule.kind,
            keys.TAG_BACKEND: backend_name(),
            keys.TAG_DEVICE: device_description(),
            keys.TAG_STATUS: "running",
        },
    )
    logged: Any = trial.config
    if trial.given_data:  # the config as run: its data is the caller's, described, not config.data
        logged = {**OmegaConf.to_container(trial.config, resolve=True), "data": trial.dataset.describe()}  # type: ignore[dict-item]
    tracker.log_text(OmegaConf.to_yaml(logged, resolve=True), "config.yaml")
    tracker.log_input(trial.dataset.describe())
    if trial.keras_schedule is not None:
        tracker.log_dict(keras.optimizers.schedules.serialize(trial.keras_schedule), "schedule.json")


def _fit(trial: PreparedTrial, tracker: Any, params: dict[str, str], callbacks: Sequence[Any]) -> TrialResult:
    """``model.fit`` with the recorders and guards, the objectives read at the end, the run closed in any case."""
    from lrsweep.training._callbacks import EpochNaNGuard, EpochTracker, LearningRateRecorder, NaNGuard, TraceRecorder

    trainer, steps_per_epoch = trial.config.trainer, trial.steps_per_epoch
    recorder: LearningRateRecorder | TraceRecorder
    guard: EpochNaNGuard
    if trial.trace is not None:
        recorder, guard = TraceRecorder(trial.trace), EpochNaNGuard()
    else:
        recorder, guard = LearningRateRecorder(), NaNGuard()
    epochs = EpochTracker(tracker, recorder, guard)
    error: BaseException | None = None
    fitted = None
    started = time.perf_counter()
    try:
        trial.model.fit(
            **trial.dataset.fit_arguments(int(trainer.batch_size)),
            epochs=trainer.epochs,
            callbacks=[*trial.callbacks, recorder, guard, epochs, *callbacks],
            verbose=_verbosity(str(trainer.verbose)),
        )
        fitted = time.perf_counter() - started
        if guard.reason is not None:
            raise TrialFailedError(guard.reason, epochs.epochs_completed)
        objectives = trial_objectives(trainer, epochs.history, fitted, steps_per_epoch)
    except BaseException as raised:
        error = raised
        raise
    finally:
        seconds = fitted if fitted is not None else time.perf_counter() - started
        end_run(trial, tracker, error, seconds, epochs.epochs_completed, recorder.trace)
    return trial_result(objectives, epochs.history, recorder.trace, trial, seconds, tracker.run_id, params, trial.model)


def trial_result(
    objectives: dict[str, float],
    history: dict[str, list[float]],
    lr: np.ndarray,
    trial: PreparedTrial,
    seconds: float,
    run_id: str | None,
    params: dict[str, str],
    model: Any = None,
) -> TrialResult:
    """A finished trial's result, its first objective the one an Optuna study of one objective reads."""
    first = next(iter(objectives))
    return TrialResult(
        objective=objectives[first],
        objective_name=first,
        objectives=objectives,
        history=history,
        lr=lr,
        steps_per_epoch=trial.steps_per_epoch,
        seconds=seconds,
        run_id=run_id,
        params=params,
        model=model,
    )


def trial_objectives(
    trainer: DictConfig, history: Mapping[str, list[float]], seconds: float, steps_per_epoch: int
) -> dict[str, float]:
    """Every objective of ``trainer.objective`` at the last epoch (``fit_seconds`` and ``steps`` as measured).

    Raises:
        TrialFailedError: an objective is not finite.
    """
    done = len(history.get("loss", []))
    measured = {"fit_seconds": seconds, "steps": done * steps_per_epoch}
    objectives = {
        name: float(measured[name] if name in MEASURED else history[name][-1]) for name in objective_names(trainer)
    }
    for name, value in objectives.items():
        if not math.isfinite(value):
            raise TrialFailedError(f"{name} is {value}", done)
    return objectives


def run_status(error: BaseException | None) -> tuple[str, str | None]:
    """A trial's run status and failure reason from what ended its fit (``None``: it finished)."""
    if error is None:
        return "finished", None
    if isinstance(error, TrialPrunedError):
        return "pruned", None
    if isinstance(error, KeyboardInterrupt):
        return "killed", "interrupted"
    if isinstance(error, TrialFailedError):
        return "failed", error.reason
    return "failed", f"{type(error).__name__}: {error}"


def end_run(
    trial: PreparedTrial, tracker: Any, error: BaseException | None, seconds: float, done: int, lr: np.ndarray
) -> None:
    """Close the tracked run as ``error`` ended it (:func:`run_status`; ``None``: finished): fit's wall time and
    the steps run (what a multi-objective study may trade accuracy against), the status and failure reason as
    tags, the applied LR as a figure."""
    from lrsweep.plotting import plot_lr

    status, reason = run_status(error)
    steps_per_epoch = trial.steps_per_epoch
    tracker.log_metrics([("fit_seconds", seconds, done), ("steps", float(done * steps_per_epoch), done)])
    tags = {keys.TAG_STATUS: status, keys.TAG_EPOCHS_COMPLETED: str(done)}
    if reason is not None:
        tags[keys.TAG_FAILURE_REASON] = reason[:4000]
    if len(lr):
        family = trial.schedule.family_name()
        title = f"{family}: learning rate applied at each optimizer step"
        tracker.log_figure(plot_lr(lr, steps_per_epoch=steps_per_epoch, title=title), "lr_schedule.png")
    tracker.set_tags(tags)
    tracker.end(status)
