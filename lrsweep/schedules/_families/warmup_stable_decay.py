"""Warmup-stable-decay (WSD): a linear warm-up, a long constant plateau, then a short decay to a floor.

MiniCPM (Hu et al., 2024) and Hugging Face's ``get_wsd_schedule``; Hägele et al. (2024) found the ``1 − √p``
cool-down over the last ~20 % of the run the best of the shapes, which are the defaults here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from lrsweep._errors import ConfigError
from lrsweep.schedules import _checks
from lrsweep.schedules._base import OwnSchedule

_SHAPES = ("linear", "cosine", "sqrt")


@dataclass(kw_only=True)
class WarmupStableDecayParams(OwnSchedule):
    family: str = "warmup_stable_decay"
    peak_learning_rate: float = 0.01  # Keras SGD's default learning rate
    total_steps: int | None = None
    warmup_fraction: float = 0.05
    decay_fraction: float = 0.2
    decay_shape: str = "sqrt"
    min_ratio: float = 0.0

    schedule_name = "WarmupStableDecay"
    formula = (
        "peak_learning_rate · step / warm-up over the first warmup_fraction of total_steps, then peak_learning_rate, "
        "then over the last decay_fraction down to min_ratio · peak: linear (1 − p), cosine (½(1 + cos πp)) or sqrt "
        "(1 − √p); total_steps null = the run's length"
    )

    def validate(self) -> None:
        _checks.positive("peak_learning_rate", self.peak_learning_rate)
        if self.total_steps is not None:
            _checks.at_least("total_steps", self.total_steps, 1)
        _checks.between("warmup_fraction", self.warmup_fraction, 0.0, 1.0)
        _checks.between("decay_fraction", self.decay_fraction, 0.0, 1.0)
        if self.warmup_fraction + self.decay_fraction > 1.0:
            allowed = f"<= 1 - warmup_fraction ({1.0 - self.warmup_fraction:g}): the decay starts after the warm-up"
            raise ConfigError("decay_fraction", self.decay_fraction, allowed)
        _checks.one_of("decay_shape", self.decay_shape, _SHAPES)
        _checks.between("min_ratio", self.min_ratio, 0.0, 1.0)

    @staticmethod
    def learning_rate(
        step: Any,
        *,
        peak_learning_rate: float,
        total_steps: int,
        warmup_fraction: float,
        decay_fraction: float,
        decay_shape: str,
        min_ratio: float,
    ) -> Any:
        from keras import ops

        warmup, decay = warmup_fraction * total_steps, decay_fraction * total_steps
        rise = ops.minimum(step / warmup, 1.0) if warmup > 0 else 1.0
        if decay <= 0:
            return peak_learning_rate * rise
        progress = ops.clip((step - (total_steps - decay)) / decay, 0.0, 1.0)
        if decay_shape == "linear":
            shape = 1.0 - progress
        elif decay_shape == "cosine":
            shape = 0.5 * (1.0 + ops.cos(math.pi * progress))
        else:
            shape = 1.0 - ops.sqrt(progress)
        return peak_learning_rate * rise * (min_ratio + (1.0 - min_ratio) * shape)
