"""REX (Chen, Wolfe & Kyrillidis, 2022, "REX: Revisiting Budgeted Training with an Improved Schedule"): a decay that
stays high longer than linear and drops late, for any training budget; its Keras schedule is
:class:`lrsweep.schedules._keras_classes.Rex`."""

from __future__ import annotations

from dataclasses import dataclass

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
