"""Epoch-wise families: ``keras.callbacks.LearningRateScheduler`` with a named ``(epoch, lr) -> lr`` function."""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lrsweep._errors import ConfigError
from lrsweep.schedules import _checks
from lrsweep.schedules._base import EpochSchedule


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
