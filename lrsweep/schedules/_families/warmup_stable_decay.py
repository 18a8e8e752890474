"""Warmup-stable-decay (WSD): a linear warm-up, a long constant plateau, then a short decay to a floor.

MiniCPM (Hu et al., 2024) and Hugging Face's ``get_wsd_schedule``; Hägele et al. (2024) found the ``1 − √p``
cool-down over the last ~20 % of the run the best of the shapes, which are the defaults here. Its Keras schedule
is :class:`lrsweep.schedules._keras_classes.WarmupStableDecay`.
"""

from __future__ import annotations

from dataclasses import dataclass

from lrsweep.schedules._base import OwnSchedule


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
