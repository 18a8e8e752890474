"""The schedules lrsweep writes itself, where Keras ships none: 1cycle (Smith & Topin, 2018), cyclical (Smith,
2017), REX (Chen et al., 2022), warmup-stable-decay (Hu et al., 2024) and the inverse square root (Vaswani et
al., 2017).

Each is written as Keras writes its own (``keras/src/optimizers/schedules/learning_rate_schedule.py``): a
:class:`keras.optimizers.schedules.LearningRateSchedule` subclass with its formula in the docstring, its
arguments checked in ``__init__``, a small ``__call__`` in ``keras.ops`` under the schedule's name scope, in the
dtype of its learning rate (so it runs inside a compiled train step on every backend), and ``get_config`` its
constructor's arguments. Each is registered for Keras serialization (``lrsweep>Name``):
``keras.optimizers.schedules.deserialize(serialize(s))`` gives it back. This module imports Keras: the families
(:mod:`lrsweep.schedules._families`) load it on first use.
"""

from __future__ import annotations

import math
from typing import Any

import keras
from keras import ops

from lrsweep.schedules._arguments import CHECKS

__all__ = ["Cyclical", "InverseSquareRoot", "OneCycle", "Rex", "WarmupStableDecay"]


def _rate(value: float) -> Any:
    """A learning rate as a tensor of a float dtype (``floatx`` for an int), whose dtype the schedule computes in."""
    rate = ops.convert_to_tensor(value)
    return rate if keras.backend.is_float_dtype(rate.dtype) else ops.cast(rate, keras.config.floatx())


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
        CHECKS["OneCycle"](
            max_learning_rate=max_learning_rate, total_steps=total_steps, pct_start=pct_start,
            div_factor=div_factor, final_div_factor=final_div_factor, anneal=anneal,
        )  # fmt: skip
        self.max_learning_rate = max_learning_rate
        self.total_steps = total_steps
        self.pct_start = pct_start
        self.div_factor = div_factor
        self.final_div_factor = final_div_factor
        self.anneal = anneal
        self.name = name

    def __call__(self, step: Any) -> Any:
        with keras.name_scope(self.name):
            peak = _rate(self.max_learning_rate)
            step = ops.cast(step, peak.dtype)
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
        CHECKS["Cyclical"](
            initial_learning_rate=initial_learning_rate, maximal_learning_rate=maximal_learning_rate,
            step_size=step_size, mode=mode, gamma=gamma,
        )  # fmt: skip
        self.initial_learning_rate = initial_learning_rate
        self.maximal_learning_rate = maximal_learning_rate
        self.step_size = step_size
        self.mode = mode
        self.gamma = gamma
        self.name = name

    def __call__(self, step: Any) -> Any:
        with keras.name_scope(self.name):
            low = _rate(self.initial_learning_rate)
            step = ops.cast(step, low.dtype)
            high = ops.cast(self.maximal_learning_rate, low.dtype)
            cycle = ops.floor(1.0 + step / (2.0 * self.step_size))
            x = ops.abs(step / self.step_size - 2.0 * cycle + 1.0)
            if self.mode == "triangular":
                scale = ops.ones_like(step)
            elif self.mode == "triangular2":
                scale = ops.power(2.0, 1.0 - cycle)
            else:
                scale = ops.power(ops.cast(self.gamma, low.dtype), step)
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


@keras.saving.register_keras_serializable(package="lrsweep")
class Rex(keras.optimizers.schedules.LearningRateSchedule):
    """REX (Chen, Wolfe & Kyrillidis, 2022): a decay that stays high longer than linear and drops late.

    With ``t = min(step, total_steps)`` and ``r = 1 - t / total_steps``::

        lr = peak_learning_rate * r / (1/2 + r/2)

    Example:
        >>> schedule = Rex(peak_learning_rate=0.01, total_steps=1000)
        >>> round(float(schedule(500)), 6)
        0.006667
    """

    def __init__(self, peak_learning_rate: float, total_steps: int, name: str = "Rex") -> None:
        super().__init__()
        CHECKS["Rex"](peak_learning_rate=peak_learning_rate, total_steps=total_steps)
        self.peak_learning_rate = peak_learning_rate
        self.total_steps = total_steps
        self.name = name

    def __call__(self, step: Any) -> Any:
        with keras.name_scope(self.name):
            peak = _rate(self.peak_learning_rate)
            total = float(self.total_steps)
            # (T - t) / T rather than 1 - t/T: T - t is exact, so the late steps lose no digits to cancellation
            remaining = (total - ops.minimum(ops.cast(step, peak.dtype), total)) / total
            return peak * remaining / (0.5 + 0.5 * remaining)

    def get_config(self) -> dict[str, Any]:
        return {"peak_learning_rate": self.peak_learning_rate, "total_steps": self.total_steps, "name": self.name}


@keras.saving.register_keras_serializable(package="lrsweep")
class WarmupStableDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Warmup-stable-decay (WSD; MiniCPM, Hu et al., 2024; Hugging Face's ``get_wsd_schedule``): a linear warm-up,
    a long plateau, then a short decay to a floor.

    With ``W = warmup_fraction * total_steps``, ``D = decay_fraction * total_steps`` and
    ``p = clip((step - (total_steps - D)) / D, 0, 1)``::

        lr = peak_learning_rate * min(step / W, 1) * (min_ratio + (1 - min_ratio) * shape(p))

    with ``shape(p)`` = ``1 - p`` (``"linear"``), ``(1 + cos(pi p)) / 2`` (``"cosine"``) or ``1 - sqrt(p)``
    (``"sqrt"``, the best of the shapes in Hägele et al., 2024).

    Example:
        >>> schedule = WarmupStableDecay(peak_learning_rate=0.01, total_steps=1000)
        >>> round(float(schedule(25)), 6), round(float(schedule(500)), 6)
        (0.005, 0.01)
    """

    def __init__(
        self,
        peak_learning_rate: float,
        total_steps: int,
        warmup_fraction: float = 0.05,
        decay_fraction: float = 0.2,
        decay_shape: str = "sqrt",
        min_ratio: float = 0.0,
        name: str = "WarmupStableDecay",
    ) -> None:
        super().__init__()
        CHECKS["WarmupStableDecay"](
            peak_learning_rate=peak_learning_rate, total_steps=total_steps, warmup_fraction=warmup_fraction,
            decay_fraction=decay_fraction, decay_shape=decay_shape, min_ratio=min_ratio,
        )  # fmt: skip
        self.peak_learning_rate = peak_learning_rate
        self.total_steps = total_steps
        self.warmup_fraction = warmup_fraction
        self.decay_fraction = decay_fraction
        self.decay_shape = decay_shape
        self.min_ratio = min_ratio
        self.name = name

    def __call__(self, step: Any) -> Any:
        with keras.name_scope(self.name):
            peak = _rate(self.peak_learning_rate)
            step = ops.cast(step, peak.dtype)
            warmup, decay = self.warmup_fraction * self.total_steps, self.decay_fraction * self.total_steps
            rise = ops.minimum(step / warmup, 1.0) if warmup > 0 else 1.0
            if decay <= 0:
                return peak * rise
            progress = ops.clip((step - (self.total_steps - decay)) / decay, 0.0, 1.0)
            if self.decay_shape == "linear":
                shape = 1.0 - progress
            elif self.decay_shape == "cosine":
                shape = 0.5 * (1.0 + ops.cos(math.pi * progress))
            else:
                shape = 1.0 - ops.sqrt(progress)
            return peak * rise * (self.min_ratio + (1.0 - self.min_ratio) * shape)

    def get_config(self) -> dict[str, Any]:
        return {
            "peak_learning_rate": self.peak_learning_rate,
            "total_steps": self.total_steps,
            "warmup_fraction": self.warmup_fraction,
            "decay_fraction": self.decay_fraction,
            "decay_shape": self.decay_shape,
            "min_ratio": self.min_ratio,
            "name": self.name,
        }


@keras.saving.register_keras_serializable(package="lrsweep")
class InverseSquareRoot(keras.optimizers.schedules.LearningRateSchedule):
    """The inverse square root with a linear warm-up, the Transformer's schedule (Vaswani et al., 2017), as Hugging
    Face's ``get_inverse_sqrt_schedule``: it never ends, so it needs no run length.

    With ``s = timescale`` (``None``: ``warmup_steps``, or 10000 without a warm-up)::

        step <  warmup_steps:  lr = peak_learning_rate * step / warmup_steps
        step >= warmup_steps:  lr = peak_learning_rate / sqrt((step + s - warmup_steps) / s)

    Example:
        >>> schedule = InverseSquareRoot(peak_learning_rate=0.01, warmup_steps=100)
        >>> round(float(schedule(50)), 6), round(float(schedule(400)), 6)
        (0.005, 0.005)
    """

    def __init__(
        self,
        peak_learning_rate: float,
        warmup_steps: int = 100,
        timescale: int | None = None,
        name: str = "InverseSquareRoot",
    ) -> None:
        super().__init__()
        CHECKS["InverseSquareRoot"](
            peak_learning_rate=peak_learning_rate, warmup_steps=warmup_steps, timescale=timescale
        )
        self.peak_learning_rate = peak_learning_rate
        self.warmup_steps = warmup_steps
        self.timescale = timescale
        self.name = name

    def __call__(self, step: Any) -> Any:
        with keras.name_scope(self.name):
            peak = _rate(self.peak_learning_rate)
            step = ops.cast(step, peak.dtype)
            warmup = float(self.warmup_steps)
            scale = float(self.timescale or self.warmup_steps or 10_000)
            decay = ops.rsqrt((ops.maximum(step, warmup) + scale - warmup) / scale)
            if self.warmup_steps <= 0:
                return peak * decay
            return peak * ops.where(step < warmup, step / warmup, decay)

    def get_config(self) -> dict[str, Any]:
        return {
            "peak_learning_rate": self.peak_learning_rate,
            "warmup_steps": self.warmup_steps,
            "timescale": self.timescale,
            "name": self.name,
        }
