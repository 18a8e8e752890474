"""Two schedules Keras does not ship: 1cycle (Smith & Topin, 2018) and cyclical/triangular (Smith, 2017).

Both are ordinary :class:`keras.optimizers.schedules.LearningRateSchedule` subclasses written with
``keras.ops``, so they run inside a compiled train step on every backend, and both are registered for
Keras serialization: ``keras.optimizers.schedules.deserialize(serialize(s))`` gives them back.
"""

from __future__ import annotations

import math
from typing import Any

import keras
from keras import ops

from lrsweep._errors import ConfigError
from lrsweep.schedules import _checks

__all__ = ["Cyclical", "OneCycle"]

_ANNEAL = ("cos", "linear")
_CYCLICAL_MODES = ("triangular", "triangular2", "exp_range")


def _interpolate(start: Any, end: Any, fraction: Any, anneal: str) -> Any:
    if anneal == "cos":
        return end + (start - end) * 0.5 * (1.0 + ops.cos(math.pi * fraction))
    return start * (1.0 - fraction) + end * fraction


@keras.saving.register_keras_serializable(package="lrsweep")
class OneCycle(keras.optimizers.schedules.LearningRateSchedule):
    """The 1cycle policy: warm up to a peak, then anneal far below the start.

    With ``lr0 = max_learning_rate / div_factor``, ``lr_min = lr0 / final_div_factor`` and
    ``t_up = pct_start * total_steps``::

        step <  t_up:  lr = anneal(lr0 -> max_learning_rate, step / t_up)
        step >= t_up:  lr = anneal(max_learning_rate -> lr_min, (step - t_up) / (total_steps - t_up))

    held at ``lr_min`` after ``total_steps``; ``anneal`` is a half cosine (``"cos"``) or a line.

    Example:
        >>> schedule = OneCycle(max_learning_rate=0.01, total_steps=1000)
        >>> round(float(schedule(300)), 6)
        0.01
    """

    def __init__(
        self,
        max_learning_rate: float,
        total_steps: int,
        pct_start: float = 0.3,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        anneal: str = "cos",
        name: str = "OneCycle",
    ) -> None:
        super().__init__()
        _checks.positive("max_learning_rate", max_learning_rate)
        _checks.positive("total_steps", total_steps)
        _checks.between("pct_start", pct_start, 0.0, 1.0, open_low=True, open_high=True)
        _checks.at_least("div_factor", div_factor, 1.0)
        _checks.at_least("final_div_factor", final_div_factor, 1.0)
        _checks.one_of("anneal", anneal, _ANNEAL)
        self.max_learning_rate = max_learning_rate
        self.total_steps = total_steps
        self.pct_start = pct_start
        self.div_factor = div_factor
        self.final_div_factor = final_div_factor
        self.anneal = anneal
        self.name = name

    def __call__(self, step: Any) -> Any:
        step = ops.cast(step, "float32")
        peak = ops.cast(self.max_learning_rate, "float32")
        start = peak / self.div_factor
        end = start / self.final_div_factor
        up = float(self.pct_start * self.total_steps)
        down = float(self.total_steps) - up
        rising = _interpolate(start, peak, ops.clip(step / up, 0.0, 1.0), self.anneal)
        falling = _interpolate(peak, end, ops.clip((step - up) / down, 0.0, 1.0), self.anneal)
        return ops.where(step < up, rising, falling)

    def get_config(self) -> dict[str, Any]:
        return {
            "max_learning_rate": self.max_learning_rate,
            "total_steps": self.total_steps,
            "pct_start": self.pct_start,
            "div_factor": self.div_factor,
            "final_div_factor": self.final_div_factor,
            "anneal": self.anneal,
            "name": self.name,
        }


@keras.saving.register_keras_serializable(package="lrsweep")
class Cyclical(keras.optimizers.schedules.LearningRateSchedule):
    """Cyclical learning rate: a triangle wave between two bounds (Smith, 2017).

    ::

        cycle = floor(1 + step / (2 * step_size))
        x     = |step / step_size - 2 * cycle + 1|
        lr    = initial_learning_rate
                + (maximal_learning_rate - initial_learning_rate) * max(0, 1 - x) * scale

    with ``scale = 1`` (``"triangular"``), ``1 / 2**(cycle - 1)`` (``"triangular2"``) or
    ``gamma**step`` (``"exp_range"``). ``step_size`` is half a cycle, in optimizer steps.

    Example:
        >>> schedule = Cyclical(1e-3, 6e-3, step_size=100)
        >>> round(float(schedule(100)), 6), round(float(schedule(200)), 6)
        (0.006, 0.001)
    """

    def __init__(
        self,
        initial_learning_rate: float,
        maximal_learning_rate: float,
        step_size: int,
        mode: str = "triangular",
        gamma: float = 1.0,
        name: str = "Cyclical",
    ) -> None:
        super().__init__()
        _checks.positive("initial_learning_rate", initial_learning_rate)
        if not maximal_learning_rate > initial_learning_rate:
            raise ConfigError(
                "maximal_learning_rate", maximal_learning_rate, f"> initial_learning_rate ({initial_learning_rate})"
            )
        _checks.positive("step_size", step_size)
        _checks.one_of("mode", mode, _CYCLICAL_MODES)
        _checks.between("gamma", gamma, 0.0, 1.0, open_low=True)
        self.initial_learning_rate = initial_learning_rate
        self.maximal_learning_rate = maximal_learning_rate
        self.step_size = step_size
        self.mode = mode
        self.gamma = gamma
        self.name = name

    def __call__(self, step: Any) -> Any:
        step = ops.cast(step, "float32")
        low = ops.cast(self.initial_learning_rate, "float32")
        high = ops.cast(self.maximal_learning_rate, "float32")
        cycle = ops.floor(1.0 + step / (2.0 * self.step_size))
        x = ops.abs(step / self.step_size - 2.0 * cycle + 1.0)
        if self.mode == "triangular":
            scale = ops.ones_like(step)
        elif self.mode == "triangular2":
            scale = ops.power(2.0, 1.0 - cycle)
        else:
            scale = ops.power(ops.cast(self.gamma, "float32"), step)
        return low + (high - low) * ops.maximum(0.0, 1.0 - x) * scale

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "maximal_learning_rate": self.maximal_learning_rate,
            "step_size": self.step_size,
            "mode": self.mode,
            "gamma": self.gamma,
            "name": self.name,
        }
