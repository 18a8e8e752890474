"""Report a trial's objective to Optuna after every epoch and stop it when the pruner says so."""

from __future__ import annotations

import math
import os
import socket
import time
from collections.abc import Callable, Mapping
from typing import Any

import keras

from lrsweep._errors import TrialPrunedError

__all__ = ["OptunaPruning"]


class OptunaPruning(keras.callbacks.Callback):
    """A Keras callback: ``trial.report(logs[monitor], epoch)``, then raise :class:`TrialPrunedError` if pruned.

    It must come after the callbacks that record the epoch (so a pruned trial keeps the epochs it completed).
    ``on_epoch`` (optional) is told ``(epoch, value)``, e.g. to move a progress line. ``retry`` (optional)
    wraps each storage call, ``retry(call, what)``, e.g. to wait out a database restart.
    """

    def __init__(
        self,
        trial: Any,
        monitor: str,
        on_epoch: Callable[[int, float], None] | None = None,
        retry: Callable[[Callable[[], Any], str], Any] | None = None,
    ) -> None:
        super().__init__()
        self.trial = trial
        self.monitor = monitor
        self.on_epoch = on_epoch
        self.retry = retry or (lambda call, what: call())

    def on_epoch_begin(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        self._epoch_started = time.perf_counter()

    def on_train_end(self, logs: Mapping[str, Any] | None = None) -> None:
        # For throughput benchmarks: each epoch's wall time (the first includes compilation) and peak memory.
        from lrsweep._backend import peak_memory

        attrs = {
            "epoch_seconds": self.epoch_seconds,
            "peak_memory": peak_memory(),
            "process": f"{socket.gethostname()}:{os.getpid()}",  # the worker process that trained it
        }
        self.retry(lambda: [self.trial.set_user_attr(k, v) for k, v in attrs.items()], "recording a trial")

    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        self.epoch_seconds: list[float] = []
        # What exports and reports need to rebuild the trial's LR: its run length.
        steps, epochs = int(self.params.get("steps") or 0), int(self.params.get("epochs") or 0)
        self.retry(lambda: self.trial.set_user_attr("steps_per_epoch", steps), "recording a trial")
        self.retry(lambda: self.trial.set_user_attr("epochs", epochs), "recording a trial")

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        self.epoch_seconds.append(time.perf_counter() - self._epoch_started)
        value = (logs or {}).get(self.monitor)
        if value is None or not math.isfinite(float(value)):
            return
        self.retry(lambda: self.trial.report(float(value), step=epoch), "reporting an epoch")
        if self.on_epoch is not None:
            self.on_epoch(epoch, float(value))
        if self.retry(self.trial.should_prune, "asking the pruner"):
            raise TrialPrunedError(epoch, float(value))
