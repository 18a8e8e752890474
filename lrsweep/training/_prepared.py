"""A trial built and checked before it trains: the config validated, the names it compiles with resolved, the data
loaded and checked against the loss, the model built, checked against the data, compiled and evaluated on the
first batches. Nothing is tracked or written (see :func:`prepare_trial`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from omegaconf import DictConfig, OmegaConf

from lrsweep._errors import ConfigError, first_line
from lrsweep.schedules import ScheduleParams, from_config
from lrsweep.training._compile import check_objective
from lrsweep.training._instantiate import instantiate

__all__ = ["PreparedTrial", "as_config", "prepare_trial", "validate"]
_VERBOSE = ("auto", "0", "1", "2")


def as_config(config: DictConfig | Mapping[str, Any]) -> DictConfig:
    return config if isinstance(config, DictConfig) else OmegaConf.create(dict(config))


def validate(config: DictConfig | Mapping[str, Any]) -> ScheduleParams:
    """Check everything that can be checked without data; return the typed schedule parameters.

    Raises:
        ConfigError: naming the full field (``schedule.decay_steps``, ``trainer.epochs``, ...).
    """
    config = as_config(config)
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
    given_data: bool = False  # the caller's data (run_trial(dataset=...)), not config.data

    @property
    def total_steps(self) -> int:
        return self.steps_per_epoch * int(self.config.trainer.epochs)


def prepare_trial(
    config: DictConfig | Mapping[str, Any], dataset: Any = None, *, schedule: ScheduleParams | None = None
) -> PreparedTrial:
    """Everything a trial does before it trains, in order: validate the config, load (or take) the data, resolve
    the names it compiles with and check the data against the loss, build the model on the data's shapes, check it
    against the data, compile it and evaluate the first batches. Nothing is tracked or written.

    A warm trial (``trainer.reuse``) takes the process's compiled model (:mod:`lrsweep.training._warm`), reset to
    the trial's seed and fed its LR trace.

    Raises:
        ConfigError, DataError, InvalidArgumentError: one line naming the field, the value and what is allowed.
    """
    from lrsweep.training._checks import check_batches, check_model, check_targets, make_optimizer, resolve_compile

    config = as_config(config)
    schedule = schedule or validate(config)
    trainer = config.trainer
    given, dataset = dataset is not None, _trial_dataset(config, dataset)  # a bad file is named before Keras loads
    compiled = resolve_compile(trainer, instantiate)
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
    return PreparedTrial(
        config, schedule, dataset, model, callbacks, built.keras_schedule, steps_per_epoch, trace, given
    )


def _trial_dataset(config: DictConfig, dataset: Any) -> Any:
    """The data a trial trains on: ``dataset`` when given (anything :func:`~lrsweep.data.as_dataset` takes),
    else ``config.data``, built once per process."""
    if dataset is not None:
        from lrsweep.data import as_dataset

        return as_dataset(dataset, field_name="dataset")
    from lrsweep.training._data import trial_data

    return trial_data(config.data, instantiate)
