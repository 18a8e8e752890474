"""Report a trial's objective to Optuna after every epoch and stop it when the pruner says so."""

from __future__ import annotations

import math
import os
import socket
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import keras

from lrsweep import _keys as keys
from lrsweep._errors import TrialPrunedError

if TYPE_CHECKING:
    from collections.abc import Callable

    from optuna.trial import Trial

    from lrsweep.sweep.storage._retry import Retry

__all__ = ["OptunaPruning", "after_the_peak"]


class OptunaPruning(keras.callbacks.Callback):
    """A Keras callback: ``trial.report(logs[monitor], epoch)``, then raise :class:`TrialPrunedError` if pruned.

    It must come after the callbacks that record the epoch (so a pruned trial keeps the epochs it completed).
    With ``report=False`` (a multi-objective study: Optuna's pruners are single-objective) it only measures.
    ``judge_from`` (optional), told the run's steps per epoch and epochs when training begins, gives the first
    epoch (counted from 1) after which the pruner is asked: earlier epochs are reported, not judged
    (:func:`after_the_peak`: a schedule still warming up is not compared with ones that have decayed).
    ``on_epoch`` (optional) is told ``(epoch, value)``, e.g. to move a progress line. ``retry`` (optional)
    wraps each storage call, ``retry(call, what)``, e.g. to wait out a database restart.

    It writes only the trial's intermediate values; what it measures (the run's length, each epoch's wall time,
    peak memory, the process) it keeps in :attr:`record`, which the job returns to the sweeper.
    """

    def __init__(
        self,
        trial: Trial,
        monitor: str,
        on_epoch: Callable[[int, float], None] | None = None,
        retry: Retry | None = None,
        report: bool = True,
        judge_from: Callable[[int, int], int] | None = None,
    ) -> None:
        super().__init__()
        self.trial = trial
        self.report = report
        self.judge_from = judge_from  # (steps_per_epoch, epochs) -> the first epoch (from 1) the pruner may stop
        self.first_judged = 1
        self.monitor = monitor
        self.on_epoch = on_epoch
        self.retry: Retry = retry or _no_retry
        self.record: dict[str, Any] = {}

    def on_epoch_begin(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        self._epoch_started = time.perf_counter()

    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        # What exports and reports need to rebuild the trial's LR: its run length.
        self.epoch_seconds: list[float] = []
        steps, epochs = int(self.params.get("steps") or 0), int(self.params.get("epochs") or 0)
        self.fit: dict[str, Any] = {
            keys.FIT_STEPS_PER_EPOCH: steps,
            keys.FIT_EPOCHS: epochs,
            keys.FIT_EPOCH_SECONDS: self.epoch_seconds,
            keys.FIT_PROCESS: f"{socket.gethostname()}:{os.getpid()}",  # the worker process that trained it
        }
        self.record[keys.TRIAL_FIT] = self.fit
        if self.judge_from is not None:
            self.first_judged = self.judge_from(steps, epochs)

    def on_train_end(self, logs: Mapping[str, Any] | None = None) -> None:
        # For throughput benchmarks: each epoch's wall time (the first includes compilation) and peak memory.
        from lrsweep._backend import peak_memory

        self.fit[keys.FIT_PEAK_MEMORY] = peak_memory()

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        self.epoch_seconds.append(time.perf_counter() - self._epoch_started)
        value = (logs or {}).get(self.monitor)
        if value is None or not math.isfinite(float(value)):
            return
        if self.on_epoch is not None:
            self.on_epoch(epoch, float(value))
        if not self.report:
            return
        self.retry(lambda: self.trial.report(float(value), step=epoch), "reporting an epoch")
        if epoch + 1 < self.first_judged:  # reported (the pruner sees it beside others), not yet judged
            return
        if self.retry(self.trial.should_prune, "asking the pruner"):
            from lrsweep.sweep.job._report import carry_record

            error = TrialPrunedError(epoch, float(value))
            carry_record(error, self.record)
            raise error


def _no_retry(call: Callable[[], Any], what: str) -> Any:
    return call()


def after_the_peak(schedule: Mapping[str, Any], steps_per_epoch: int, epochs: int) -> int:
    """The first epoch (counted from 1) that ends after the schedule's learning rate has reached its peak: 1 for a
    schedule that starts there (a decay), later for a warm-up, one-cycle's ramp or a cycle's first rise; 1 where the
    trace depends on the metrics (``reduce_on_plateau``)."""
    import numpy as np

    from lrsweep._errors import TraceUnavailableError
    from lrsweep.schedules import lr_trace

    if steps_per_epoch < 1 or epochs < 1:
        return 1
    try:
        trace = lr_trace(dict(schedule), steps_per_epoch, epochs)
    except TraceUnavailableError:
        return 1
    peak = int(np.argmax(trace))  # its first step at the highest learning rate
    return min(peak // steps_per_epoch + 1, epochs)
