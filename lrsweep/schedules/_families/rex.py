"""REX (Chen, Wolfe & Kyrillidis, 2022, "REX: Revisiting Budgeted Training with an Improved Schedule"): a decay that
stays high longer than linear and drops late, for any training budget."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lrsweep.schedules import _checks
from lrsweep.schedules._base import OwnSchedule


@dataclass(kw_only=True)
class RexParams(OwnSchedule):
    family: str = "rex"
    peak_learning_rate: float = 0.01  # Keras SGD's default learning rate
    total_steps: int | None = None

    schedule_name = "Rex"
    formula = (
        "peak_learning_rate · (1 − t/T) / (½ + ½(1 − t/T)), t = min(step, T), T = total_steps (null: the run's length)"
    )

    def validate(self) -> None:
        _checks.positive("peak_learning_rate", self.peak_learning_rate)
        if self.total_steps is not None:
            _checks.at_least("total_steps", self.total_steps, 1)

    @staticmethod
    def learning_rate(step: Any, *, peak_learning_rate: float, total_steps: int) -> Any:
        from keras import ops

        remaining = 1.0 - ops.minimum(step, float(total_steps)) / total_steps
        return peak_learning_rate * remaining / (0.5 + 0.5 * remaining)
