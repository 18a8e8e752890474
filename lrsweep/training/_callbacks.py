"""Keras callbacks of a trial: record the LR the optimizer applies, stop on NaN, stream epochs to a tracker."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import keras
import numpy as np

from lrsweep.tracking import Metric, Tracker

__all__ = ["EpochNaNGuard", "EpochTracker", "LearningRateRecorder", "NaNGuard", "TraceRecorder"]


class LearningRateRecorder(keras.callbacks.Callback):
    """Read the optimizer's learning rate before every optimizer step.

    The value is what ``optimizer.learning_rate`` returns at that moment: the schedule evaluated at the
    optimizer's own ``iterations`` for step-wise families, the variable that callbacks set otherwise. So it
    is the LR the coming step applies, not a recomputation. ``steps`` and ``values`` hold every step so far;
    ``drain()`` hands over what was not handed over yet.
    """

    def __init__(self) -> None:
        super().__init__()
        self.steps: list[int] = []
        self.values: list[float] = []
        self._drained = 0

    def on_train_batch_begin(self, batch: int, logs: Mapping[str, Any] | None = None) -> None:
        optimizer = self.model.optimizer
        self.steps.append(int(keras.ops.convert_to_numpy(optimizer.iterations)))
        self.values.append(float(keras.ops.convert_to_numpy(optimizer.learning_rate)))

    def drain(self) -> list[Metric]:
        start, self._drained = self._drained, len(self.steps)
        return [("lr", value, step) for step, value in zip(self.steps[start:], self.values[start:], strict=True)]

    @property
    def trace(self) -> np.ndarray:
        return np.asarray(self.values, dtype=np.float32)


class TraceRecorder(keras.callbacks.Callback):
    """The LR of each step from the trace the optimizer reads it from (:class:`~lrsweep.training._warm.TraceSchedule`):
    no per-step hook; ``drain()`` reads the optimizer's step count once and hands over the steps done since."""

    def __init__(self, trace: np.ndarray) -> None:
        super().__init__()
        self.full = np.asarray(trace, dtype=np.float32)
        self.done = 0
        self._drained = 0

    def drain(self) -> list[Metric]:
        self.done = min(int(keras.ops.convert_to_numpy(self.model.optimizer.iterations)), len(self.full))
        start, self._drained = self._drained, self.done
        return [("lr", float(self.full[step]), step) for step in range(start, self.done)]

    @property
    def values(self) -> list[float]:
        return [float(v) for v in self.full[: self.done]]

    @property
    def trace(self) -> np.ndarray:
        return self.full[: self.done]


class EpochNaNGuard(keras.callbacks.Callback):
    """Stop training after the first epoch whose loss is NaN or infinite (no per-step hook in the hot loop)."""

    def __init__(self) -> None:
        super().__init__()
        self.reason: str | None = None
        self._epoch = 0

    def on_epoch_begin(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        self._epoch = epoch

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        loss = (logs or {}).get("loss")
        if self.reason is None and loss is not None and not math.isfinite(float(loss)):
            self.reason = f"loss became {float(loss)} in epoch {epoch + 1}"  # counted from 1, as Keras prints
            self.model.stop_training = True


class NaNGuard(EpochNaNGuard):
    """Stop training at the first batch whose loss is NaN or infinite, and remember where."""

    def on_train_batch_end(self, batch: int, logs: Mapping[str, Any] | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.reason = f"loss became {float(loss)} at epoch {self._epoch + 1}, batch {batch + 1}"
            self.model.stop_training = True


class EpochTracker(keras.callbacks.Callback):
    """After every completed epoch, send its metrics and the epoch's per-step LR to the tracker in one batch.

    Epoch metrics use the 0-based epoch index as step; ``lr`` uses the optimizer's global step. Keeps the
    epoch history too (``history``), so the trial does not depend on Keras' own History object.
    """

    def __init__(self, tracker: Tracker, recorder: LearningRateRecorder | TraceRecorder, guard: EpochNaNGuard) -> None:
        super().__init__()
        self.tracker = tracker
        self.recorder = recorder
        self.guard = guard
        self.history: dict[str, list[float]] = {}

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        if self.guard.reason is not None:  # the epoch did not complete
            return
        values = {key: float(value) for key, value in (logs or {}).items() if key != "learning_rate"}
        for key, value in values.items():
            self.history.setdefault(key, []).append(value)
        self.tracker.log_metrics([*((key, value, epoch) for key, value in values.items()), *self.recorder.drain()])

    def on_train_end(self, logs: Mapping[str, Any] | None = None) -> None:
        self.tracker.log_metrics(self.recorder.drain())  # steps of an epoch that did not complete

    @property
    def epochs_completed(self) -> int:
        return len(next(iter(self.history.values()), []))
