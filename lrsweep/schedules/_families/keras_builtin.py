"""The step-wise families Keras ships: ``keras.optimizers.schedules``, built from the dataclass's fields."""

from __future__ import annotations

from dataclasses import dataclass

from lrsweep._errors import ConfigError
from lrsweep.schedules import _checks
from lrsweep.schedules._base import KerasSchedule


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
    floor_learning_rates = ("end_learning_rate",)
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
