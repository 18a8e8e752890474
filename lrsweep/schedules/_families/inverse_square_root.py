"""Inverse square root with a linear warm-up, the Transformer's schedule (Vaswani et al., 2017), as Hugging Face's
``get_inverse_sqrt_schedule``: it never ends, so it needs no run length."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lrsweep.schedules import _checks
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

    def validate(self) -> None:
        _checks.positive("peak_learning_rate", self.peak_learning_rate)
        _checks.non_negative("warmup_steps", self.warmup_steps)
        if self.timescale is not None:
            _checks.at_least("timescale", self.timescale, 1)

    @staticmethod
    def learning_rate(step: Any, *, peak_learning_rate: float, warmup_steps: int, timescale: int | None) -> Any:
        from keras import ops

        scale = float(timescale or warmup_steps or 10_000)
        decay = ops.rsqrt((ops.maximum(step, float(warmup_steps)) + scale - warmup_steps) / scale)
        if warmup_steps <= 0:
            return peak_learning_rate * decay
        return peak_learning_rate * ops.where(step < warmup_steps, step / warmup_steps, decay)
