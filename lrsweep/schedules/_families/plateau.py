"""The metric-driven family: ``keras.callbacks.ReduceLROnPlateau``."""

from __future__ import annotations

from dataclasses import dataclass

from lrsweep.schedules import _checks
from lrsweep.schedules._base import BuiltSchedule, MetricSchedule


@dataclass(kw_only=True)
class ReduceOnPlateauParams(MetricSchedule):
    family: str = "reduce_on_plateau"
    monitor: str = "val_loss"
    factor: float = 0.1
    patience: int = 10
    mode: str = "auto"
    min_delta: float = 1e-4
    cooldown: int = 0
    min_lr: float = 0.0

    keras_object = "keras.callbacks.ReduceLROnPlateau"
    formula = "lr · factor after `patience` epochs without improvement of `monitor`, never below min_lr"

    def validate(self) -> None:
        _checks.positive("initial_learning_rate", self.initial_learning_rate)
        _checks.between("factor", self.factor, 0.0, 1.0, open_low=True, open_high=True)
        _checks.non_negative("patience", self.patience)
        _checks.one_of("mode", self.mode, ("auto", "min", "max"))
        _checks.non_negative("min_delta", self.min_delta)
        _checks.non_negative("cooldown", self.cooldown)
        _checks.non_negative("min_lr", self.min_lr)

    def build(self, total_steps: int) -> BuiltSchedule:
        import keras

        arguments = self.arguments()
        initial = arguments.pop("initial_learning_rate")
        return BuiltSchedule(learning_rate=float(initial), callbacks=(keras.callbacks.ReduceLROnPlateau(**arguments),))
