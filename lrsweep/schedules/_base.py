"""What every schedule family is: a typed parameter set that builds Keras objects and traces its LR.

A family is one dataclass (the schema Hydra checks the config against, whose field names are the Keras
constructor's argument names), one YAML preset in ``conf/schedule/`` and this dataclass's ``build`` and
``trace``. Three kinds exist:

- ``step``: a :class:`keras.optimizers.schedules.LearningRateSchedule` handed to the optimizer;
  the LR changes at every optimizer step.
- ``epoch``: a float LR plus :class:`keras.callbacks.LearningRateScheduler` with a named
  ``(epoch, lr) -> lr`` function; the LR is held over each epoch.
- ``metric``: a float LR plus a callback that reacts to a metric (``ReduceLROnPlateau``); no a-priori trace.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np

from lrsweep._errors import ConfigError, TraceUnavailableError
from lrsweep.schedules import _checks

__all__ = [
    "BuiltSchedule",
    "EpochSchedule",
    "Kind",
    "MetricSchedule",
    "OwnSchedule",
    "ScheduleParams",
    "StepSchedule",
]

Kind = Literal["step", "epoch", "metric"]


@dataclass(frozen=True)
class BuiltSchedule:
    """The Keras objects one trial trains with.

    Attributes:
        learning_rate: what the optimizer is constructed with: a float or a ``LearningRateSchedule``.
        callbacks: callbacks that change the LR during ``fit`` (epoch-wise and metric-driven families).
    """

    learning_rate: Any
    callbacks: tuple[Any, ...] = ()

    @property
    def keras_schedule(self) -> Any | None:
        """The ``LearningRateSchedule`` for step-wise families, else ``None``."""
        return None if isinstance(self.learning_rate, float | int) else self.learning_rate


@dataclass(kw_only=True)
class ScheduleParams:
    """Base of every family's parameters. ``family`` names the family and must match the class."""

    family: str

    kind: ClassVar[Kind]
    keras_object: ClassVar[str]
    formula: ClassVar[str]

    floor_learning_rates: ClassVar[tuple[str, ...]] = ()
    """Learning-rate fields that a schedule decays or cycles down to, rather than trains at."""

    @classmethod
    def learning_rate_fields(cls) -> dict[str, str]:
        """Which fields are learning rates: ``peak`` (a rate training runs at: ``*learning_rate``, piecewise
        ``values``, ``warmup_target``) or ``floor`` (:attr:`floor_learning_rates`). The LR range test narrows both."""
        names = [f.name for f in dataclasses.fields(cls)]
        roles = {n: "peak" for n in names if n.endswith("learning_rate") or n in ("values", "warmup_target")}
        roles.update({name: "floor" for name in cls.floor_learning_rates})
        return roles

    @classmethod
    def family_name(cls) -> str:
        return str(cls.__dataclass_fields__["family"].default)

    def __post_init__(self) -> None:
        if self.family != self.family_name():
            raise ConfigError(
                "family", self.family, f"'{self.family_name()}' for this preset (pick a family with schedule=NAME)"
            )
        for spec in dataclasses.fields(self):
            _checks.finite(spec.name, getattr(self, spec.name))
        self.validate()

    def validate(self) -> None:
        """Raise :class:`ConfigError` for a value Keras or the maths would not accept."""

    def arguments(self) -> dict[str, Any]:
        """The parameters without ``family``: for Keras families, exactly the constructor's arguments."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "family"}

    def for_run(self, total_steps: int) -> dict[str, Any]:
        """:meth:`arguments` for a run of ``total_steps`` optimizer steps: a ``total_steps: null`` becomes it."""
        arguments = self.arguments()
        if "total_steps" in arguments and arguments["total_steps"] is None:
            arguments["total_steps"] = total_steps
        return arguments

    def build(self, total_steps: int) -> BuiltSchedule:
        """The Keras objects for a run of ``total_steps`` optimizer steps."""
        raise NotImplementedError

    def trace(self, steps_per_epoch: int, epochs: int) -> np.ndarray:
        """The LR at optimizer steps ``0 .. steps_per_epoch * epochs - 1``, as float32."""
        raise NotImplementedError


def _evaluate(schedule: Any, n: int) -> np.ndarray:
    """Evaluate a ``LearningRateSchedule`` at steps 0..n-1 with Keras ops, vectorised where it can be."""
    from keras import ops

    steps = np.arange(n, dtype="int64")
    attempts: tuple[Callable[[], Any], ...] = (
        lambda: schedule(ops.convert_to_tensor(steps)),
        lambda: ops.vectorized_map(schedule, ops.convert_to_tensor(steps)),
    )
    for attempt in attempts:
        try:
            values = np.asarray(ops.convert_to_numpy(attempt()), dtype=np.float32)
        except Exception:  # a schedule with a scalar-only branch (e.g. ops.cond); try the next way
            continue
        if values.shape == (n,):
            return values
    return np.array([ops.convert_to_numpy(schedule(int(s))) for s in steps], dtype=np.float32)


@dataclass(kw_only=True)
class StepSchedule(ScheduleParams):
    """A family whose LR is a ``LearningRateSchedule`` evaluated at every optimizer step."""

    kind: ClassVar[Kind] = "step"

    def keras_schedule(self, total_steps: int) -> Any:
        raise NotImplementedError

    def build(self, total_steps: int) -> BuiltSchedule:
        return BuiltSchedule(learning_rate=self.keras_schedule(total_steps))

    def trace(self, steps_per_epoch: int, epochs: int) -> np.ndarray:
        total = steps_per_epoch * epochs
        return _evaluate(self.keras_schedule(total), total)


@dataclass(kw_only=True)
class KerasSchedule(StepSchedule):
    """A step-wise family that is one of ``keras.optimizers.schedules``, built from its arguments."""

    keras_class: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.keras_object = f"keras.optimizers.schedules.{cls.keras_class}"

    def keras_schedule(self, total_steps: int) -> Any:
        from lrsweep._backend import load_keras

        keras = load_keras()

        return getattr(keras.optimizers.schedules, self.keras_class)(**self.arguments())


@dataclass(kw_only=True)
class OwnSchedule(StepSchedule):
    """A step-wise family whose ``LearningRateSchedule`` is lrsweep's own: the class ``schedule_name`` of
    :mod:`lrsweep.schedules._keras_classes`, written as Keras writes its own schedules.

    The family's fields are the class's constructor arguments (a ``total_steps: null`` field means the run's
    length). The class checks them in its ``__init__`` with its check in :mod:`lrsweep.schedules._arguments`,
    which the family validates a config with too, before Keras is imported; the class is registered for Keras
    serialization as ``lrsweep>{schedule_name}``, and ``from lrsweep.schedules import {schedule_name}`` gives it.
    """

    schedule_name: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "schedule_name" in vars(cls):
            cls.keras_object = f"lrsweep.schedules.{cls.schedule_name}"

    @classmethod
    def schedule_class(cls) -> type:
        """The Keras schedule class (its module, and Keras, imported on first use)."""
        from lrsweep._backend import load_keras

        load_keras()
        from lrsweep.schedules import _keras_classes

        return getattr(_keras_classes, cls.schedule_name)  # type: ignore[no-any-return]

    def validate(self) -> None:
        from lrsweep.schedules._arguments import CHECKS

        CHECKS[self.schedule_name](**self.for_run(1))  # the class's own check, without Keras

    def keras_schedule(self, total_steps: int) -> Any:
        return self.schedule_class()(**self.for_run(total_steps))


@dataclass(kw_only=True)
class EpochSchedule(ScheduleParams):
    """A family applied by ``keras.callbacks.LearningRateScheduler`` at the start of every epoch."""

    initial_learning_rate: float
    kind: ClassVar[Kind] = "epoch"
    keras_object: ClassVar[str] = "keras.callbacks.LearningRateScheduler"
    function_path: ClassVar[str]

    def validate(self) -> None:
        _checks.positive("initial_learning_rate", self.initial_learning_rate)

    def epoch_function(self) -> Callable[[int, float], float]:
        """The ``(epoch, lr) -> lr`` function the callback calls, parameters bound."""
        from lrsweep.schedules import functions

        return functools.partial(getattr(functions, self.function_path), **self.arguments())

    def build(self, total_steps: int) -> BuiltSchedule:
        from lrsweep._backend import load_keras

        keras = load_keras()

        callback = keras.callbacks.LearningRateScheduler(self.epoch_function())
        return BuiltSchedule(learning_rate=float(self.initial_learning_rate), callbacks=(callback,))

    def epoch_values(self, epochs: int) -> np.ndarray:
        """The LR of each epoch, as ``LearningRateScheduler`` sets it on a float32 optimizer variable."""
        fn = self.epoch_function()
        lr = np.float32(self.initial_learning_rate)
        values = np.empty(epochs, dtype=np.float32)
        for epoch in range(epochs):
            lr = np.float32(fn(epoch, float(lr)))
            values[epoch] = lr
        return values

    def trace(self, steps_per_epoch: int, epochs: int) -> np.ndarray:
        return np.repeat(self.epoch_values(epochs), steps_per_epoch)


@dataclass(kw_only=True)
class MetricSchedule(ScheduleParams):
    """A family whose LR reacts to a metric during training; its LR is only known afterwards."""

    initial_learning_rate: float
    kind: ClassVar[Kind] = "metric"

    def trace(self, steps_per_epoch: int, epochs: int) -> np.ndarray:
        raise TraceUnavailableError(
            f"{self.family_name()} changes the LR in reaction to a metric during training, so it has no "
            "a-priori trace; the LR it applied is in the run's `lr` metric."
        )
