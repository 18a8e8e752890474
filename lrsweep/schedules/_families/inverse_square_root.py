"""Inverse square root with a linear warm-up, the Transformer's schedule (Vaswani et al., 2017), as Hugging Face's
``get_inverse_sqrt_schedule``: it never ends, so it needs no run length; its Keras schedule is
:class:`lrsweep.schedules._keras_classes.InverseSquareRoot`."""

from __future__ import annotations

from dataclasses import dataclass

from lrsweep.schedules._base import OwnSchedule


@dataclass(kw_only=True)
class InverseSquareRootParams(OwnSchedule):
    family: str = "inverse_square_root"
    peak_learning_rate: float = 0.01  # Keras SGD's default learning rate
    warmup_steps: int = 100
    timescale: int | None = None

    schedule_name = "InverseSquareRoot"
    formula = (
        "peak_learning_rate · step / warmup_steps during the warm-up, then peak_learning_rate / "
        "√((step + timescale − warmup_steps) / timescale); timescale null = warmup_steps (10000 without warm-up)"
    )
