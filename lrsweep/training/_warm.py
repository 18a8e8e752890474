"""Warm trials: consecutive trials in one process reuse the dataset, the model, the optimizer and the compiled step.

What changes between trials of a sweep is the schedule and the seed, not the graph. So the optimizer's learning
rate is a :class:`TraceSchedule`: the LR at step ``i`` is ``trace[i]``, read from a variable the optimizer owns
(so the JAX backend passes it to its jitted step as state instead of baking it in), and a new trial assigns a new
trace — the values :func:`lrsweep.schedules.lr_trace` computes with the Keras schedule itself — instead of
recompiling. Each trial starts from the weights a fresh model gets from the trial's seed and from the optimizer's
freshly built state, so its result is the one a fresh process gives.
"""

from __future__ import annotations

import json
from typing import Any

import keras
import numpy as np
from omegaconf import DictConfig, OmegaConf

from lrsweep.training._checks import check_batches, check_model, make_optimizer, resolve_compile

__all__ = ["TraceSchedule", "WarmSession", "built_optimizer_state", "warm_session"]


class TraceSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """``lr(step) = trace[min(step, length - 1)]``, the trace held in optimizer variables (see :meth:`attach`)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = int(capacity)
        self.trace: Any = None
        self.length: Any = None

    def attach(self, optimizer: Any) -> None:
        """Make the trace an optimizer variable (state of the compiled step, not a constant in it)."""
        self.trace = optimizer.add_variable((self.capacity,), initializer="zeros", dtype="float32", name="lr_trace")
        self.length = optimizer.add_variable((), initializer="ones", dtype="int32", name="lr_trace_length")

    def assign(self, values: np.ndarray) -> None:
        values = np.asarray(values, dtype=np.float32)
        padded = np.zeros(self.capacity, dtype=np.float32)
        padded[: len(values)] = values
        self.trace.assign(padded)
        self.length.assign(len(values))

    def __call__(self, step: Any) -> Any:
        index = keras.ops.minimum(keras.ops.cast(step, "int32"), keras.ops.cast(self.length, "int32") - 1)
        return keras.ops.take(self.trace, index)

    def get_config(self) -> dict[str, Any]:
        return {"capacity": self.capacity}


def built_optimizer_state(config: DictConfig, capacity: int, instantiate: Any, model: Any) -> list[Any]:
    """The optimizer state a fresh fit of ``model`` (its weights now) starts from: the values of a new optimizer of
    ``config``, with a :class:`TraceSchedule` of ``capacity``, built on its weights (zeros for most; Adagrad's
    accumulators at ``initial_accumulator_value``, ScheduleFreeAdamW's momentum a copy of the weights)."""
    schedule = TraceSchedule(capacity)
    optimizer = make_optimizer(config, schedule, instantiate)
    schedule.attach(optimizer)
    optimizer.build(model.trainable_variables)
    return [variable.value for variable in optimizer.variables]


def _key(config: DictConfig) -> str:
    """What must be equal for two trials to share a session: model, optimizer, data, batch size, backend."""
    plain = {group: OmegaConf.to_container(config[group], resolve=True) for group in ("model", "optimizer", "data")}
    plain["batch_size"] = int(config.trainer.batch_size)
    keys = [k for k in ("loss", "metrics") if k in config.trainer]
    plain["compile"] = OmegaConf.to_container(OmegaConf.masked_copy(config.trainer, keys), resolve=True)
    plain["steps_per_execution"] = int(config.trainer.get("steps_per_execution", 1))
    plain["backend"] = keras.backend.backend()
    return json.dumps(plain, sort_keys=True, default=str)


class WarmSession:
    """One compiled model with its optimizer and dataset, reset for each trial."""

    def __init__(self, config: DictConfig, dataset: Any, capacity: int, instantiate: Any) -> None:
        self.dataset = dataset
        self.instantiate = instantiate
        self.config = config
        self.model_config = config.model
        self.schedule = TraceSchedule(capacity)
        self.optimizer = make_optimizer(config, self.schedule, instantiate)
        self.schedule.attach(self.optimizer)
        self.model = self._fresh_model()
        compiled = resolve_compile(config.trainer, instantiate)
        check_model(self.model, dataset, compiled["loss"])
        self.model.compile(
            optimizer=self.optimizer,
            **compiled,
            steps_per_execution=int(config.trainer.get("steps_per_execution", 1)),
        )
        self.optimizer.build(self.model.trainable_variables)
        # One step now builds and compiles what a model's first fit would (Keras' symbolic build on the JAX
        # backend also draws a shuffle permutation then): every trial's fit is then a later fit, alike. It and an
        # evaluation of the first validation batch are the checks that the model trains on the data.
        check_batches(self.model, dataset, int(config.trainer.batch_size), train=True)
        self.trials = 0

    def _fresh_model(self) -> Any:
        return self.instantiate(
            self.model_config, "model", input_shape=self.dataset.input_shape, num_classes=self.dataset.num_classes
        )

    def reset(self, seed: int, trace: np.ndarray) -> None:
        """The weights a fresh model gets from ``seed``, the optimizer's freshly built state, the trial's LR trace."""
        keras.utils.set_random_seed(seed)
        fresh = self._fresh_model()
        for warm, new in zip(self.model.variables, fresh.variables, strict=True):
            warm.assign(new)
        del fresh
        built = built_optimizer_state(self.config, self.schedule.capacity, self.instantiate, self.model)
        for variable, start in zip(self.optimizer.variables, built, strict=True):
            if variable is not self.schedule.trace and variable is not self.schedule.length:
                variable.assign(start)
        self.schedule.assign(trace)
        keras.utils.set_random_seed(seed)  # fit's shuffling starts where a fresh process's would
        self.trials += 1


_session: tuple[str, WarmSession] | None = None
_MIN_CAPACITY = 4096


def warm_session(config: DictConfig, dataset: Any, total_steps: int, instantiate: Any) -> WarmSession:
    """This process's session for ``config`` (made on first use; another model/optimizer/data replaces it)."""
    global _session
    key = _key(config)
    if _session is not None and _session[0] == key and _session[1].schedule.capacity >= total_steps:
        return _session[1]
    _session = None
    keras.utils.clear_session()
    capacity = max(_MIN_CAPACITY, 1 << (total_steps - 1).bit_length())  # room for longer runs: no rebuild
    session = WarmSession(config, dataset, capacity, instantiate)
    _session = (key, session)
    return session
