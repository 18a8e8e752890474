"""Packed trials as full trials: each member of a :class:`~lrsweep.training.PackedTrainer` does what
:func:`~lrsweep.training.run_trial` does for its trial, and the population keeps the trainer's slots full.

A :class:`PackedMember` opens its run through its tracker (the params, tags, config and data a lone trial logs),
logs each epoch's metrics and the LR each of its steps applied (read in the step, :meth:`PackedTrainer.lrs`),
tells its Keras callbacks (a sweep's pruning reporter) each epoch, and ends as a lone trial ends: finished with
its objectives at the last epoch, pruned, or failed (a diverged member with the NaN message). A
:class:`Population` holds the trainer, built for the first member's config, and starts a new member at the next
epoch boundary in a free slot; a config that would compile another program, a schedule without a trace
(``reduce_on_plateau``) or a run longer than the trainer's capacity is not packable (:meth:`Population.packs`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from omegaconf import DictConfig, OmegaConf

from lrsweep._errors import TraceUnavailableError, TrialFailedError
from lrsweep.schedules import lr_trace
from lrsweep.training._instantiate import instantiate
from lrsweep.training._packed import PackedTrainer
from lrsweep.training._prepared import PreparedTrial, validate
from lrsweep.training._trial import TrialResult, end_run, run_params, start_run, trial_objectives, trial_result

__all__ = ["MemberEnd", "PackedMember", "Population", "program_key"]

_PER_TRIAL = ("seed", "epochs", "verbose", "objective", "direction", "reuse")  # trainer keys a member may vary


def program_key(config: DictConfig) -> str:
    """What a packed trainer compiles from a config: its model, optimizer, data and trainer (but the seed, the
    epochs and what is only read at the end); two configs of one key pack together."""
    trainer = {k: v for k, v in OmegaConf.to_container(config.trainer, resolve=True).items() if k not in _PER_TRIAL}  # type: ignore[union-attr]
    groups = {g: OmegaConf.to_container(config[g], resolve=True) for g in ("model", "optimizer", "data")}
    return repr(sorted({**groups, "trainer": trainer}.items()))


@dataclass(frozen=True)
class MemberEnd:
    """How a member ended: its result, or the error a lone trial would have raised (pruned, failed)."""

    result: TrialResult | None = None
    error: BaseException | None = None


class PackedMember:
    """One trial in a slot: its run opened through ``tracker``, each epoch logged and told to ``callbacks``.

    Args:
        config: the trial's composed config (its program is the population's).
        tracker: the :class:`~lrsweep.tracking.Tracker` its run logs through.
        callbacks: Keras callbacks told ``on_train_begin``, each epoch's begin and end, and ``on_train_end``
            (a sweep's :class:`~lrsweep.sweep.job._pruning.OptunaPruning`; its :class:`TrialPrunedError` prunes).
        dataset: the population's data.
        steps_per_epoch: the trainer's.
    """

    def __init__(
        self, config: DictConfig, tracker: Any, callbacks: Sequence[Any], dataset: Any, steps_per_epoch: int
    ) -> None:
        schedule = validate(config)
        self.epochs = int(config.trainer.epochs)
        self.trace = lr_trace(config.schedule, steps_per_epoch, self.epochs)
        built = schedule.build(steps_per_epoch * self.epochs)
        self.trial = PreparedTrial(config, schedule, dataset, None, [], built.keras_schedule, steps_per_epoch, None)
        self.tracker, self.callbacks, self.seed = tracker, list(callbacks), int(config.trainer.seed)
        self.params = run_params(self.trial)
        self.history: dict[str, list[float]] = {}
        self.lr = np.zeros(0, dtype=np.float32)
        self.started = 0.0

    def begin(self) -> None:
        """Open the run and tell the callbacks training begins (as ``model.fit`` does)."""
        self.tracker.check_params(self.params)
        start_run(self.trial, self.tracker, self.params)
        for callback in self.callbacks:
            callback.set_params({"steps": self.trial.steps_per_epoch, "epochs": self.epochs, "verbose": 0})
            callback.on_train_begin()
            callback.on_epoch_begin(0)
        self.started = time.perf_counter()

    @property
    def epochs_completed(self) -> int:
        return len(self.history.get("loss", []))

    def epoch(self, logs: dict[str, float], lr: np.ndarray) -> TrialResult | None:
        """Log a completed epoch (its metrics at the epoch's index, ``lr`` at each step) and tell the callbacks;
        the result once the last epoch is done. Raises what a callback raises (:class:`TrialPrunedError`)."""
        epoch, step = self.epochs_completed, len(self.lr)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)
        self.lr = np.concatenate([self.lr, lr])
        points = [("lr", float(v), step + i) for i, v in enumerate(lr)]
        self.tracker.log_metrics([*((key, value, epoch) for key, value in logs.items()), *points])
        for callback in self.callbacks:
            callback.on_epoch_end(epoch, dict(logs))
        if epoch + 1 < self.epochs:
            for callback in self.callbacks:
                callback.on_epoch_begin(epoch + 1)
            return None
        seconds = time.perf_counter() - self.started
        objectives = trial_objectives(self.trial.config.trainer, self.history, seconds, self.trial.steps_per_epoch)
        return trial_result(objectives, self.history, self.lr, self.trial, seconds, self.tracker.run_id, self.params)

    def end(self, error: BaseException | None, lr: np.ndarray | None = None) -> None:
        """Close the run as a lone trial's closes (``error``: pruned, failed or interrupted; ``None``: finished)."""
        if lr is not None and len(lr) > len(self.lr):  # the steps of an epoch that did not complete
            self.tracker.log_metrics([("lr", float(v), i) for i, v in enumerate(lr) if i >= len(self.lr)])
            self.lr = np.asarray(lr, dtype=np.float32)
        for callback in self.callbacks:
            callback.on_train_end()
        seconds = time.perf_counter() - self.started
        end_run(self.trial, self.tracker, error, seconds, self.epochs_completed, self.lr)


class Population:
    """Up to ``slots`` members training in one :class:`~lrsweep.training.PackedTrainer`, built for the first.

    Example:
        >>> population = Population(slots=4)  # doctest: +SKIP
        >>> if population.packs(config):  # doctest: +SKIP
        ...     population.add(config, tracker, callbacks, on_end=print)
        >>> population.run_epoch()  # doctest: +SKIP
    """

    def __init__(self, slots: int, *, shuffle: bool = True, make_instance: Callable[..., Any] = instantiate) -> None:
        self.slots, self.shuffle, self.instantiate = int(slots), shuffle, make_instance
        self.trainer: Any = None
        self.key: str | None = None
        self.members: dict[int, tuple[PackedMember, Callable[[MemberEnd], None]]] = {}

    def packs(self, config: DictConfig) -> str | None:
        """Why ``config`` cannot join this population (``None``: it can)."""
        try:
            if self.trainer is None:
                lr_trace(config.schedule, 1, 1)  # reduce_on_plateau: raises
                return None
            if program_key(config) != self.key:
                return "its model, optimizer, data or trainer differ from the packed trials'"
            self.trainer.trace(config.schedule, int(config.trainer.epochs))
        except TraceUnavailableError:
            return f"{config.schedule.family} has no LR trace before training"
        except Exception as error:
            return str(error).splitlines()[0]
        return None

    @property
    def free(self) -> int:
        return self.slots - len(self.members)

    def add(
        self, config: DictConfig, tracker: Any, callbacks: Sequence[Any], on_end: Callable[[MemberEnd], None]
    ) -> None:
        """Start a member in a free slot (its run opened now, its first epoch at the next :meth:`run_epoch`);
        ``on_end`` is told how it ended. An error before it trains ends it at once."""
        from lrsweep.training._data import trial_data

        slot = next(s for s in range(self.slots) if s not in self.members)
        member: PackedMember | None = None
        try:
            if self.trainer is None:
                dataset = trial_data(config.data, self.instantiate)
                steps = dataset.steps_per_epoch(int(config.trainer.batch_size)) * int(config.trainer.epochs)
                self.trainer = PackedTrainer(config, dataset, self.slots, steps, self.instantiate, shuffle=self.shuffle)
                self.key = program_key(config)
            member = PackedMember(config, tracker, callbacks, self.trainer.dataset, self.trainer.steps_per_epoch)
            member.begin()
            self.trainer.start(slot, member.seed, member.trace)
        except BaseException as error:
            if member is not None and member.started:
                member.end(error)
            on_end(MemberEnd(error=error))
            if not isinstance(error, Exception):
                raise
            return
        self.members[slot] = (member, on_end)

    def run_epoch(self) -> None:
        """One epoch of every member; each that ended (finished, pruned, diverged, failed) is told and freed."""
        try:
            logs = self.trainer.run_epoch() if self.members else {}
        except BaseException as error:
            for slot in list(self.members):
                self._end(slot, MemberEnd(error=error))
            raise
        for slot in list(self.members):
            member, _ = self.members[slot]
            lr = self.trainer.lrs(slot)
            if slot in self.trainer.diverged:
                self._end(slot, MemberEnd(error=TrialFailedError(self.trainer.reasons[slot], member.epochs_completed)))
                continue
            try:
                result = member.epoch(logs[slot], lr[len(member.lr) :])
            except Exception as error:
                self._end(slot, MemberEnd(error=error))
                continue
            if result is not None:
                self._end(slot, MemberEnd(result=result))

    def _end(self, slot: int, end: MemberEnd) -> None:
        member, on_end = self.members.pop(slot)
        self.trainer.stop(slot)
        try:
            member.end(end.error, self.trainer.lrs(slot))
        finally:
            on_end(end)

    def close(self, error: BaseException) -> None:
        """End every member with ``error`` (the sweep stopped)."""
        for slot in list(self.members):
            self._end(slot, MemberEnd(error=error))
