"""1cycle and cyclical: step-wise families whose Keras schedules lrsweep writes by hand in
:mod:`lrsweep.schedules._keras_classes` (loaded, with Keras, on first use)."""

from __future__ import annotations

from dataclasses import dataclass

from lrsweep.schedules._base import OwnSchedule


@dataclass(kw_only=True)
class OneCycleParams(OwnSchedule):
    family: str = "one_cycle"
    max_learning_rate: float
    total_steps: int | None = None
    pct_start: float = 0.3
    div_factor: float = 25.0
    final_div_factor: float = 1e4
    anneal: str = "cos"

    schedule_name = "OneCycle"
    formula = (
        "warm-up from max_learning_rate/div_factor to max_learning_rate over pct_start · total_steps, then anneal "
        "to max_learning_rate/(div_factor · final_div_factor) at total_steps (cos or linear); "
        "total_steps null = the run's length"
    )


@dataclass(kw_only=True)
class CyclicalParams(OwnSchedule):
    family: str = "cyclical"
    initial_learning_rate: float
    maximal_learning_rate: float
    step_size: int
    mode: str = "triangular"
    gamma: float = 1.0

    schedule_name = "Cyclical"
    floor_learning_rates = ("initial_learning_rate",)
    formula = (
        "triangle wave between initial_learning_rate and maximal_learning_rate, half a period = step_size; "
        "amplitude halved each cycle (triangular2) or × gamma^step (exp_range)"
    )
