"""The schedule families: one parameter dataclass each, fields named as the Keras constructor's arguments."""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lrsweep._errors import ConfigError
from lrsweep.schedules import _checks
from lrsweep.schedules._base import BuiltSchedule, EpochSchedule, KerasSchedule, MetricSchedule, StepSchedule

# ---------------------------------------------------------------------------------------------------------------
# Step-wise: keras.optimizers.schedules
# ---------------------------------------------------------------------------------------------------------------


@dataclass(kw_only=True)
class ExponentialDecayParams(KerasSchedule):
    family: str = "exponential_decay"
    initial_learning_rate: float
    decay_steps: int
    decay_rate: float
    staircase: bool = False

    keras_class = "ExponentialDecay"
    formula = "initial_learning_rate · decay_rate^(step / decay_steps); the exponent floored if staircase"

    def validate(self) -> None:
        _checks.positive("initial_learning_rate", self.initial_learning_rate)
        _checks.positive("decay_steps", self.decay_steps)
        _checks.positive("decay_rate", self.decay_rate)


@dataclass(kw_only=True)
class PiecewiseConstantParams(KerasSchedule):
    family: str = "piecewise_constant"
    boundaries: list[int]
    values: list[float]

    keras_class = "PiecewiseConstantDecay"
    formula = "values[0] while step <= boundaries[0], values[i] while step <= boundaries[i], then values[-1]"

    def validate(self) -> None:
        if len(self.boundaries) < 1:
            raise ConfigError("boundaries", list(self.boundaries), "a list of at least one step")
        _checks.each_non_negative("boundaries", self.boundaries)
        _checks.strictly_increasing("boundaries", self.boundaries)
        if len(self.values) != len(self.boundaries) + 1:
            raise ConfigError(
                "values", list(self.values), f"a list of {len(self.boundaries) + 1} values (one more than boundaries)"
            )
        _checks.each_non_negative("values", self.values)


@dataclass(kw_only=True)
class PolynomialDecayParams(KerasSchedule):
    family: str = "polynomial_decay"
    initial_learning_rate: float
    decay_steps: int
    end_learning_rate: float = 0.0001
    power: float = 1.0
    cycle: bool = False

    keras_class = "PolynomialDecay"
    formula = (
        "(initial_learning_rate − end_learning_rate) · (1 − min(step, decay_steps) / decay_steps)^power "
        "+ end_learning_rate; with cycle, decay_steps grows to the next multiple of itself"
    )

    def validate(self) -> None:
        _checks.positive("initial_learning_rate", self.initial_learning_rate)
        _checks.positive("decay_steps", self.decay_steps)
        _checks.non_negative("end_learning_rate", self.end_learning_rate)
        _checks.positive("power", self.power)


@dataclass(kw_only=True)
class InverseTimeDecayParams(KerasSchedule):
    family: str = "inverse_time_decay"
    initial_learning_rate: float
    decay_steps: int
    decay_rate: float
    staircase: bool = False

    keras_class = "InverseTimeDecay"
    formula = (
        "initial_learning_rate / (1 + decay_rate · step / decay_steps); the ratio floored if staircase. "
        "decay_steps=1 gives Keras 2's optimizer `decay=`: lr / (1 + decay · step)"
    )

    def validate(self) -> None:
        _checks.positive("initial_learning_rate", self.initial_learning_rate)
        _checks.positive("decay_steps", self.decay_steps)
        _checks.positive("decay_rate", self.decay_rate)


@dataclass(kw_only=True)
class CosineDecayParams(KerasSchedule):
    family: str = "cosine_decay"
    initial_learning_rate: float
    decay_steps: int
    alpha: float = 0.0
    warmup_target: float | None = None
    warmup_steps: int = 0

    keras_class = "CosineDecay"
    formula = (
        "optional linear warm-up from initial_learning_rate to warmup_target over warmup_steps, then "
        "peak · ((1 − alpha) · ½(1 + cos(π · min(t, decay_steps) / decay_steps)) + alpha)"
    )

    def validate(self) -> None:
        _checks.positive("initial_learning_rate", self.initial_learning_rate)
        _checks.positive("decay_steps", self.decay_steps)
        _checks.between("alpha", self.alpha, 0.0, 1.0)
        _checks.non_negative("warmup_steps", self.warmup_steps)
        if self.warmup_target is not None:
            _checks.positive("warmup_target", self.warmup_target)
        elif self.warmup_steps > 0:
            raise ConfigError("warmup_target", None, "set when warmup_steps > 0 (Keras ignores the warm-up without it)")


@dataclass(kw_only=True)
class CosineDecayRestartsParams(KerasSchedule):
    family: str = "cosine_decay_restarts"
    initial_learning_rate: float
    first_decay_steps: int
    t_mul: float = 2.0
    m_mul: float = 1.0
    alpha: float = 0.0

    keras_class = "CosineDecayRestarts"
    formula = (
        "cosine decay over first_decay_steps, then restarts: period × t_mul and peak × m_mul at each restart, "
        "floor alpha · initial_learning_rate"
    )

    def validate(self) -> None:
        _checks.positive("initial_learning_rate", self.initial_learning_rate)
        _checks.positive("first_decay_steps", self.first_decay_steps)
        _checks.positive("t_mul", self.t_mul)
        _checks.positive("m_mul", self.m_mul)
        _checks.between("alpha", self.alpha, 0.0, 1.0)


# ---------------------------------------------------------------------------------------------------------------
# Step-wise: lrsweep's own LearningRateSchedule subclasses
# ---------------------------------------------------------------------------------------------------------------


@dataclass(kw_only=True)
class OneCycleParams(StepSchedule):
    family: str = "one_cycle"
    max_learning_rate: float
    total_steps: int | None = None
    pct_start: float = 0.3
    div_factor: float = 25.0
    final_div_factor: float = 1e4
    anneal: str = "cos"

    keras_object = "lrsweep.schedules.OneCycle"
    formula = (
        "warm-up from max_learning_rate/div_factor to max_learning_rate over pct_start · total_steps, then anneal "
        "to max_learning_rate/(div_factor · final_div_factor) at total_steps (cos or linear); "
        "total_steps null = the run's length"
    )

    def validate(self) -> None:
        self.keras_schedule(1)  # OneCycle checks its own arguments

    def keras_schedule(self, total_steps: int) -> Any:
        from lrsweep.schedules._cyclic import OneCycle

        arguments = self.arguments()
        arguments["total_steps"] = self.total_steps if self.total_steps is not None else total_steps
        return OneCycle(**arguments)


@dataclass(kw_only=True)
class CyclicalParams(StepSchedule):
    family: str = "cyclical"
    initial_learning_rate: float
    maximal_learning_rate: float
    step_size: int
    mode: str = "triangular"
    gamma: float = 1.0

    keras_object = "lrsweep.schedules.Cyclical"
    formula = (
        "triangle wave between initial_learning_rate and maximal_learning_rate, half a period = step_size; "
        "amplitude halved each cycle (triangular2) or × gamma^step (exp_range)"
    )

    def validate(self) -> None:
        self.keras_schedule(1)  # Cyclical checks its own arguments

    def keras_schedule(self, total_steps: int) -> Any:
        from lrsweep.schedules._cyclic import Cyclical

        return Cyclical(**self.arguments())


# ---------------------------------------------------------------------------------------------------------------
# Epoch-wise: keras.callbacks.LearningRateScheduler with a named function
# ---------------------------------------------------------------------------------------------------------------


@dataclass(kw_only=True)
class ConstantParams(EpochSchedule):
    family: str = "constant"

    function_path = "constant"
    formula = "initial_learning_rate"


@dataclass(kw_only=True)
class StepDecayParams(EpochSchedule):
    family: str = "step_decay"
    factor: float
    drop_every: int

    function_path = "step_decay"
    formula = "initial_learning_rate · factor^⌊epoch / drop_every⌋"

    def validate(self) -> None:
        super().validate()
        _checks.positive("factor", self.factor)
        _checks.at_least("drop_every", self.drop_every, 1)


@dataclass(kw_only=True)
class ExponentialEpochParams(EpochSchedule):
    family: str = "exponential_epoch"
    rate: float

    function_path = "exponential_epoch"
    formula = "initial_learning_rate · rate^epoch"

    def validate(self) -> None:
        super().validate()
        _checks.positive("rate", self.rate)


@dataclass(kw_only=True)
class TimeBasedParams(EpochSchedule):
    family: str = "time_based"
    decay: float

    function_path = "time_based"
    formula = "initial_learning_rate / (1 + decay · epoch)"

    def validate(self) -> None:
        super().validate()
        _checks.non_negative("decay", self.decay)


def import_function(path: str) -> Callable[..., Any]:
    """The object at a dotted path (``package.module.name``), or :class:`ConfigError` for ``function``."""
    module_name, _, attribute = path.rpartition(".")
    try:
        target = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError, ValueError):
        target = None
    if not callable(target):
        raise ConfigError(
            "function",
            path,
            "the dotted path of an importable `(epoch, lr) -> lr` function, "
            "e.g. 'lrsweep.schedules.functions.divide_by_three'",
        )
    return target  # type: ignore[no-any-return]


@dataclass(kw_only=True)
class CustomParams(EpochSchedule):
    family: str = "custom"
    function: str
    kwargs: dict[str, Any] = field(default_factory=dict)

    formula = "function(epoch, lr) with `kwargs` bound to it; lr is the LR before the epoch"

    def validate(self) -> None:
        super().validate()
        function = import_function(self.function)
        try:
            signature = inspect.signature(function)
        except (TypeError, ValueError):  # some builtins have none: let the call decide
            return
        try:
            signature.bind(0, 0.1, **self.kwargs)
        except TypeError as error:
            given = "".join(f", {key}=..." for key in self.kwargs)
            raise ConfigError(
                "function",
                self.function,
                f"a function Keras can call as function(epoch, lr{given}) (it says: {error})",
            ) from None

    def epoch_function(self) -> Callable[[int, float], float]:
        return functools.partial(import_function(self.function), **self.kwargs)


# ---------------------------------------------------------------------------------------------------------------
# Metric-driven
# ---------------------------------------------------------------------------------------------------------------


@dataclass(kw_only=True)
class ReduceOnPlateauParams(MetricSchedule):
    family: str = "reduce_on_plateau"
    monitor: str = "val_loss"
    factor: float = 0.1
    patience: int = 10
    mode: str = "auto"
    min_delta: float = 1e-4
    cooldown: int = 0
    min_lr: float = 0.0

    keras_object = "keras.callbacks.ReduceLROnPlateau"
    formula = "lr · factor after `patience` epochs without improvement of `monitor`, never below min_lr"

    def validate(self) -> None:
        _checks.positive("initial_learning_rate", self.initial_learning_rate)
        _checks.between("factor", self.factor, 0.0, 1.0, open_low=True, open_high=True)
        _checks.non_negative("patience", self.patience)
        _checks.one_of("mode", self.mode, ("auto", "min", "max"))
        _checks.non_negative("min_delta", self.min_delta)
        _checks.non_negative("cooldown", self.cooldown)
        _checks.non_negative("min_lr", self.min_lr)

    def build(self, total_steps: int) -> BuiltSchedule:
        import keras

        arguments = self.arguments()
        initial = arguments.pop("initial_learning_rate")
        return BuiltSchedule(learning_rate=float(initial), callbacks=(keras.callbacks.ReduceLROnPlateau(**arguments),))


ALL: tuple[type[Any], ...] = (
    ExponentialDecayParams,
    PiecewiseConstantParams,
    PolynomialDecayParams,
    InverseTimeDecayParams,
    CosineDecayParams,
    CosineDecayRestartsParams,
    ConstantParams,
    StepDecayParams,
    ExponentialEpochParams,
    TimeBasedParams,
    CustomParams,
    ReduceOnPlateauParams,
    OneCycleParams,
    CyclicalParams,
)
