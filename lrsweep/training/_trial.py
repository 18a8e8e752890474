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
from lrsweep._errors import ConfigError, TrialFailedError, TrialPrunedError, first_line
from lrsweep.schedules import ScheduleParams, from_config
from lrsweep.training._compile import MEASURED, check_objective, objective_names
from lrsweep.training._instantiate import instantiate

__all__ = ["PreparedTrial", "TrialResult", "flatten_params", "prepare_trial", "run_trial", "validate"]
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
    _check_interpolations(config)
    try:
        params = from_config(config.schedule)
    except ConfigError as error:
        raise error.under("schedule") from None
    trainer = config.trainer
    if not trainer.epochs >= 1:
        raise ConfigError("trainer.epochs", trainer.epochs, ">= 1")
    if not trainer.batch_size >= 1:
        raise ConfigError("trainer.batch_size", trainer.batch_size, ">= 1")
    check_objective(trainer, instantiate)
    if str(trainer.verbose) not in _VERBOSE:
        raise ConfigError("trainer.verbose", trainer.verbose, f"one of {list(_VERBOSE)}")
    return params


def _check_interpolations(config: DictConfig) -> None:
    """Every ``${...}`` of the job's groups resolves (``${oc.env:NAME}`` with NAME unset does not): one line."""
    from omegaconf.errors import OmegaConfBaseException

    for group in config:
        if group == "hydra":
            continue
        try:
            OmegaConf.to_container(config[group], resolve=True) if OmegaConf.is_config(config[group]) else None
        except OmegaConfBaseException as error:
            key = str(getattr(error, "full_key", "") or group)
            raw = OmegaConf.to_container(config, resolve=False)
            for part in key.split("."):
                raw = raw.get(part) if isinstance(raw, dict) else raw
            raise ConfigError(key, raw, f"an interpolation that resolves ({first_line(error)})") from None


def flatten_params(config: DictConfig | Mapping[str, Any]) -> dict[str, str]:
    """The resolved config as MLflow params: dotted keys, values as in YAML (``true``, ``null``, ``[1, 2]``)."""
    config = _as_config(config)
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


@dataclass
class PreparedTrial:
    """A trial built and checked, nothing written yet: what :func:`prepare_trial` hands to training."""

    config: DictConfig
    schedule: ScheduleParams
    dataset: Any
    model: Any
    callbacks: list[Any]  # the schedule's own (epoch-wise and plateau families)
    keras_schedule: Any  # the Keras LearningRateSchedule of a step-wise family, else None
    steps_per_epoch: int
    trace: np.ndarray | None  # a warm trial's LR at every step (its optimizer reads it), else None

    @property
    def total_steps(self) -> int:
        return self.steps_per_epoch * int(self.config.trainer.epochs)


def prepare_trial(
    config: DictConfig | Mapping[str, Any], dataset: Any = None, *, schedule: ScheduleParams | None = None
) -> PreparedTrial:
    """Everything a trial does before it trains, in order: validate the config, resolve the names it compiles
    with, load (or take) the data and check it against the loss, build the model on the data's shapes, check it
    against the data, compile it and evaluate the first batches. Nothing is tracked or written.

    A warm trial (``trainer.reuse``) takes the process's compiled model (:mod:`lrsweep.training._warm`), reset to
    the trial's seed and fed its LR trace.

    Raises:
        ConfigError, DataError, InvalidArgumentError: one line naming the field, the value and what is allowed.
    """
    from lrsweep.training._checks import check_batches, check_model, check_targets, make_optimizer, resolve_compile

    config = _as_config(config)
    schedule = schedule or validate(config)
    trainer = config.trainer
    compiled = resolve_compile(trainer, instantiate)
    dataset = _trial_dataset(config, dataset)
    check_targets(dataset, compiled["loss"])
    from lrsweep._backend import load_keras

    keras = load_keras()

    steps_per_epoch = dataset.steps_per_epoch(int(trainer.batch_size))
    total_steps = steps_per_epoch * int(trainer.epochs)
    built = schedule.build(total_steps)
    trace = None
    if trainer.get("reuse", False) and schedule.kind != "metric":
        # A warm trial: the process's compiled model (checked when it was made), reset to this seed, fed this
        # schedule's LR trace.
        from lrsweep.training._warm import warm_session

        trace = schedule.trace(steps_per_epoch, int(trainer.epochs))
        session = warm_session(config, dataset, total_steps, instantiate)
        session.reset(int(trainer.seed), trace)
        model, callbacks = session.model, []
    else:
        keras.utils.clear_session()  # trials run one after another in a sweep's process: start from a clean slate
        keras.utils.set_random_seed(trainer.seed)
        optimizer = make_optimizer(config, built.learning_rate, instantiate)
        model = instantiate(config.model, "model", input_shape=dataset.input_shape, num_classes=dataset.num_classes)
        check_model(model, dataset, compiled["loss"])
        model.compile(optimizer=optimizer, **compiled)
        check_batches(model, dataset, int(trainer.batch_size), train=False)
        callbacks = list(built.callbacks)
    return PreparedTrial(config, schedule, dataset, model, callbacks, built.keras_schedule, steps_per_epoch, trace)


def _trial_dataset(config: DictConfig, dataset: Any) -> Any:
    """The data a trial trains on: ``dataset`` when given (anything :func:`~lrsweep.data.as_dataset` takes),
    else ``config.data``, built once per process."""
    if dataset is not None:
        from lrsweep.data import as_dataset

        return as_dataset(dataset, field_name="dataset")
    from lrsweep.training._data import trial_data

    return trial_data(config.data, instantiate)


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
    config = _as_config(config)
    schedule = validate(config)
    if tracker is None:
        tracker = instantiate(config.tracking, "tracking")
    trial = prepare_trial(config, dataset, schedule=schedule)
    params = _run_params(trial)
    tracker.check_params(params)
    _start_run(trial, tracker, params)
    return _fit(trial, tracker, params, callbacks)


def _run_params(trial: PreparedTrial) -> dict[str, str]:
    """The run's MLflow params: the flattened config and what the run is (steps, data)."""
    params = flatten_params(trial.config)
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


def _start_run(trial: PreparedTrial, tracker: Any, params: dict[str, str]) -> None:
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
    tracker.log_text(OmegaConf.to_yaml(trial.config, resolve=True), "config.yaml")
    tracker.log_input(trial.dataset.describe())
    if trial.keras_schedule is not None:
        tracker.log_dict(keras.optimizers.schedules.serialize(trial.keras_schedule), "schedule.json")


def _fit(trial: PreparedTrial, tracker: Any, params: dict[str, str], callbacks: Sequence[Any]) -> TrialResult:
    """``model.fit`` with the recorders and guards, the objectives read at the end, the run closed in any case."""
    from lrsweep.plotting import plot_lr
    from lrsweep.training._callbacks import EpochNaNGuard, EpochTracker, LearningRateRecorder, NaNGuard, TraceRecorder

    trainer, steps_per_epoch = trial.config.trainer, trial.steps_per_epoch
    recorder: LearningRateRecorder | TraceRecorder
    guard: EpochNaNGuard
    if trial.trace is not None:
        recorder, guard = TraceRecorder(trial.trace), EpochNaNGuard()
    else:
        recorder, guard = LearningRateRecorder(), NaNGuard()
    family = trial.schedule.family_name()
    epochs = EpochTracker(tracker, recorder, guard)
    status, reason, fitted = "failed", None, None
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
