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

from lrsweep import _records as keys
from lrsweep._errors import ConfigError, InvalidArgumentError, LRSweepError, TrialFailedError, TrialPrunedError
from lrsweep.schedules import ScheduleParams, from_config
from lrsweep.training._compile import MEASURED, check_objective, compile_arguments, objective_names

__all__ = [
    "TrialResult",
    "check_data",
    "check_model_outputs",
    "check_optimizer",
    "flatten_params",
    "run_trial",
    "validate",
]
_VERBOSE = ("auto", "0", "1", "2")
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

    @property
    def epochs_completed(self) -> int:
        return len(self.history.get("loss", []))


def _as_config(config: DictConfig | Mapping[str, Any]) -> DictConfig:
    return config if isinstance(config, DictConfig) else OmegaConf.create(dict(config))


def validate(config: DictConfig | Mapping[str, Any]) -> ScheduleParams:
    """Check everything that can be checked without data; return the typed schedule parameters.

    Raises:
        ConfigError: naming the full field (``schedule.decay_steps``, ``trainer.epochs``, ...).
    """
    config = _as_config(config)
    try:
        params = from_config(config.schedule)
    except ConfigError as error:
        raise error.under("schedule") from None
    trainer = config.trainer
    if not trainer.epochs >= 1:
        raise ConfigError("trainer.epochs", trainer.epochs, ">= 1")
    if not trainer.batch_size >= 1:
        raise ConfigError("trainer.batch_size", trainer.batch_size, ">= 1")
    check_objective(trainer, _instantiate)
    if str(trainer.verbose) not in _VERBOSE:
        raise ConfigError("trainer.verbose", trainer.verbose, f"one of {list(_VERBOSE)}")
    return params


def flatten_params(config: DictConfig | Mapping[str, Any]) -> dict[str, str]:
    """The resolved config as MLflow params: dotted keys, values as in YAML (``true``, ``null``, ``[1, 2]``)."""
    container = OmegaConf.to_container(_as_config(config), resolve=True)
    flat: dict[str, str] = {}

    def walk(prefix: str, node: Any) -> None:
        if isinstance(node, dict) and node:
            for key, value in node.items():
                walk(f"{prefix}.{key}" if prefix else str(key), value)
        else:
            flat[prefix] = node if isinstance(node, str) else json.dumps(node)

    assert isinstance(container, dict)
    for group, node in container.items():
        if group not in _UNTRACKED_GROUPS:
            walk(str(group), node)
    return flat


def _instantiate(node: Any, group: str, **kwargs: Any) -> Any:
    """``hydra.utils.instantiate``, with errors turned into lrsweep's own where they are the user's."""
    from hydra.errors import InstantiationException
    from hydra.utils import instantiate

    try:
        return instantiate(node, **kwargs)
    except InstantiationException as error:
        cause = error.__cause__
        if isinstance(cause, ConfigError):
            raise cause.under(group) from None
        if isinstance(cause, LRSweepError):
            raise cause from None
        target = node.get("_target_") if hasattr(node, "get") else None
        if cause is None or isinstance(cause, ImportError):
            raise ConfigError(f"{group}._target_", target, "the dotted path of an importable callable") from None
        if isinstance(cause, ValueError | TypeError):  # e.g. Keras: "`momentum` must be a float between [0, 1]."
            raise InvalidArgumentError(f"{group} ({target}): {cause}") from None
        raise cause from None


def check_optimizer(config: DictConfig | Mapping[str, Any]) -> None:
    """Build ``config.optimizer`` once (cheap), so a bad optimizer argument stops a sweep before its trials."""
    config = _as_config(config)
    _instantiate(config.optimizer, "optimizer", learning_rate=0.01)


def check_model_outputs(model: Any, dataset: Any) -> None:
    """Class labels must fall within the model's outputs (a Dense(10) cannot score label 12)."""
    classes = getattr(dataset, "num_classes", None)
    shape = getattr(model, "output_shape", None)
    if classes is None or not isinstance(shape, tuple) or not shape or not isinstance(shape[-1], int):
        return
    if shape[-1] > 1 and shape[-1] < classes:
        from lrsweep._errors import DataError

        raise DataError("data", f"class labels 0 to {classes - 1}", f"labels the model's {shape[-1]} outputs can score")


def check_data(config: DictConfig | Mapping[str, Any]) -> Any:
    """Build the config's data (kept for this process's trials) and the model once: the data honours the data
    contract, its labels fit the model's outputs. Returns the data."""
    from lrsweep.training._data import trial_data

    config = _as_config(config)
    dataset = trial_data(config.data, _instantiate)
    model = _instantiate(config.model, "model", input_shape=dataset.input_shape, num_classes=dataset.num_classes)
    check_model_outputs(model, dataset)
    return dataset


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

    Everything that can be wrong in the config is checked before data is loaded. The run is tracked by
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
    config = _as_config(config)
    schedule = validate(config)
    if tracker is None:
        tracker = _instantiate(config.tracking, "tracking")
    if dataset is None:
        from lrsweep.training._data import trial_data

        dataset = trial_data(config.data, _instantiate)
    else:
        from lrsweep.data import as_dataset

        dataset = as_dataset(dataset, field_name="dataset")

    import keras

    from lrsweep._backend import backend_name, device_description
    from lrsweep.plotting import plot_lr
    from lrsweep.training._callbacks import (
        EpochNaNGuard,
        EpochTracker,
        LearningRateRecorder,
        NaNGuard,
        TraceRecorder,
    )

    trainer = config.trainer
    steps_per_epoch = dataset.steps_per_epoch(trainer.batch_size)
    total_steps = steps_per_epoch * trainer.epochs
    built = schedule.build(total_steps)
    recorder: LearningRateRecorder | TraceRecorder
    guard: EpochNaNGuard
    if trainer.get("reuse", False) and schedule.kind != "metric":
        # A warm trial: the process's compiled model, reset to this seed, fed this schedule's LR trace.
        from lrsweep.training._warm import warm_session

        trace = schedule.trace(steps_per_epoch, int(trainer.epochs))
        session = warm_session(config, dataset, total_steps, _instantiate)
        session.reset(int(trainer.seed), trace)
        model, schedule_callbacks = session.model, []
        recorder, guard = TraceRecorder(trace), EpochNaNGuard()
    else:
        keras.utils.clear_session()  # trials run one after another in a sweep's process: start from a clean slate
        keras.utils.set_random_seed(trainer.seed)
        optimizer = _instantiate(config.optimizer, "optimizer", learning_rate=built.learning_rate)
        model = _instantiate(config.model, "model", input_shape=dataset.input_shape, num_classes=dataset.num_classes)
        check_model_outputs(model, dataset)
        model.compile(optimizer=optimizer, **compile_arguments(trainer, _instantiate))
        schedule_callbacks = list(built.callbacks)
        recorder, guard = LearningRateRecorder(), NaNGuard()

    params = flatten_params(config)
    params.update(
        {
            "run.steps_per_epoch": str(steps_per_epoch),
            "run.total_steps": str(total_steps),
            "data.name": dataset.name,
        }
    )
    if hasattr(dataset, "x_train"):
        params.update({"run.train_images": str(len(dataset.x_train)), "run.val_images": str(len(dataset.x_val))})
    family = schedule.family_name()
    tracker.start(
        run_name=family,
        params=params,
        tags={
            keys.TAG_FAMILY: family,
            keys.TAG_KIND: schedule.kind,
            keys.TAG_BACKEND: backend_name(),
            keys.TAG_DEVICE: device_description(),
            keys.TAG_STATUS: "running",
        },
    )
    tracker.log_text(OmegaConf.to_yaml(config, resolve=True), "config.yaml")
    tracker.log_input(dataset.describe())
    if built.keras_schedule is not None:
        tracker.log_dict(keras.optimizers.schedules.serialize(built.keras_schedule), "schedule.json")

    epochs = EpochTracker(tracker, recorder, guard)
    status, reason, fitted = "failed", None, None
    started = time.perf_counter()
    try:
        model.fit(
            **dataset.fit_arguments(int(trainer.batch_size)),
            epochs=trainer.epochs,
            callbacks=[*schedule_callbacks, recorder, guard, epochs, *callbacks],
            verbose=_verbosity(str(trainer.verbose)),
        )
        fitted = time.perf_counter() - started
        if guard.reason is not None:
            raise TrialFailedError(guard.reason, epochs.epochs_completed)
        measured = {"fit_seconds": fitted, "steps": epochs.epochs_completed * steps_per_epoch}
        objectives = {
            name: float(measured[name] if name in MEASURED else epochs.history[name][-1])
            for name in objective_names(trainer)
        }
        for name, value in objectives.items():
            if not math.isfinite(value):
                raise TrialFailedError(f"{name} is {value}", epochs.epochs_completed)
        status = "finished"
    except KeyboardInterrupt:
        status, reason = "killed", "interrupted"
        raise
    except TrialPrunedError:
        status = "pruned"
        raise
    except TrialFailedError as error:
        reason = error.reason
        raise
    except Exception as error:
        reason = f"{type(error).__name__}: {error}"
        raise
    finally:
        seconds = fitted if fitted is not None else time.perf_counter() - started
        # What a multi-objective study may trade accuracy against: fit's wall time and the optimizer steps run.
        done = epochs.epochs_completed
        tracker.log_metrics([("fit_seconds", seconds, done), ("steps", float(done * steps_per_epoch), done)])
        tags = {keys.TAG_STATUS: status, keys.TAG_EPOCHS_COMPLETED: str(epochs.epochs_completed)}
        if reason is not None:
            tags[keys.TAG_FAILURE_REASON] = reason[:4000]
        if recorder.values:
            figure = plot_lr(
                recorder.trace,
                steps_per_epoch=steps_per_epoch,
                title=f"{family}: learning rate applied at each optimizer step",
            )
            tracker.log_figure(figure, "lr_schedule.png")
        tracker.set_tags(tags)
        tracker.end(status)

    first = next(iter(objectives))
    return TrialResult(
        objective=objectives[first],
        objective_name=first,
        objectives=objectives,
        history=epochs.history,
        lr=recorder.trace,
        steps_per_epoch=steps_per_epoch,
        seconds=seconds,
        run_id=tracker.run_id,
        params=params,
    )
