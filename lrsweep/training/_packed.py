"""Packed trials: K trials of one model, data, optimizer and batch size trained by one jitted, vmapped JAX step.

A :class:`PackedTrainer` holds K *slots*. Each holds one trial's state: its weights and non-trainable state
(BatchNorm statistics, Dropout's seed-generator state), its optimizer state and its metric state, stacked on a
leading axis of length K. One step is Keras' own ``model.train_step(state, data)`` (the JAX trainer's:
``stateless_call``, ``stateless_compute_loss``, ``optimizer.stateless_apply``, the metrics' stateless update)
under ``jax.vmap``, so each member computes what ``model.fit`` computes for it. The learning rate is a
:class:`~lrsweep.training._warm.TraceSchedule`, whose trace is an optimizer variable: stacked, it gives each
member its own LR per step. A slot starts from the weights a fresh model gets from the trial's seed
(``keras.utils.set_random_seed(seed)``, then a fresh model, as a warm trial resets) and from the state a new
optimizer builds on those weights (:func:`~lrsweep.training._warm.built_optimizer_state`).

How a packed member differs from the same trial run alone with ``model.fit`` (JAX backend only):

- **Shuffling.** Each member draws its own permutation of the training set per epoch from
  ``np.random.default_rng([seed, epoch])`` (``shuffle=True``), not from Keras' data adapter; with
  ``shuffle=False`` both keep the data's order, and the two runs agree to float32 rounding.
- **Float rounding.** The vmapped step is another XLA program than fit's, so results agree to float32 rounding,
  not always bit for bit (on CPU a one-slot trainer gave fit's results exactly, three slots within 2e-7). A
  weight whose gradient is zero but for rounding (a bias before BatchNorm, under Adam) amplifies that rounding to
  ~1e-3 in the validation loss. Members of one trainer never change each other's results, bit for bit.
- **Divergence.** A member whose running loss becomes non-finite is frozen at the state before that step (a
  ``jnp.where`` mask in the step) and reported in :attr:`PackedTrainer.diverged`, with the epoch and batch in
  :attr:`PackedTrainer.reasons`; its last epoch is not returned. A lone warm trial runs that epoch to its end
  and stops after it (``EpochNaNGuard``).
- **Schedules.** Only families with an a-priori trace pack: ``reduce_on_plateau`` raises the
  :class:`~lrsweep._errors.TraceUnavailableError` that :func:`lrsweep.schedules.lr_trace` raises.
- **Not run.** Keras callbacks, ``steps_per_execution`` (one step per dispatch) and
  ``optimizer.finalize_variable_values`` at the end of fit (it only matters for ``use_ema``).
- **Compute.** Stopped and diverged slots still compute each step (masked); the data must be in-memory arrays.
  On a CPU packing is slower per member, not faster (the seed CNN: ~5x slower per member at K=4 than at K=1).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from omegaconf import DictConfig

from lrsweep._errors import ConfigError
from lrsweep.schedules import lr_trace
from lrsweep.training._checks import check_batches, check_model, make_optimizer, resolve_compile
from lrsweep.training._instantiate import instantiate as instantiate_node

__all__ = ["PackedTrainer"]

State = tuple[list[Any], list[Any], list[Any], list[Any]]  # trainable, non-trainable, optimizer, metrics


def _jax_keras() -> Any:
    from lrsweep._backend import load_keras

    keras = load_keras()
    if keras.backend.backend() != "jax":
        allowed = "jax for packed trials (one vmapped JAX step trains every slot): set KERAS_BACKEND=jax"
        raise ConfigError("KERAS_BACKEND", keras.backend.backend(), allowed)
    return keras


class PackedTrainer:
    """K slots training one model each in one jitted, vmapped step (JAX backend only).

    Args:
        config: the composed config; its ``model``, ``optimizer``, ``data`` loss/metrics and batch size are
            shared by every slot (``config.schedule`` is checked to have a trace).
        dataset: the in-memory :class:`~lrsweep.data.Dataset` to train on.
        slots: K, how many trials train at once.
        capacity_steps: the longest LR trace a slot can take (optimizer steps).
        instantiate: builds a config node (:func:`lrsweep.training.instantiate`).
        shuffle: shuffle each member's training set each epoch (``False``: the data's order, as fit's).

    Example:
        >>> trainer = PackedTrainer(config, dataset, slots=4, capacity_steps=1000)  # doctest: +SKIP
        >>> for slot, seed in enumerate(range(4)):  # doctest: +SKIP
        ...     trainer.start(slot, seed, trainer.trace(config.schedule, epochs=5))
        >>> logs = trainer.run_epoch()  # {slot: {"loss": ..., "val_accuracy": ...}}  # doctest: +SKIP
    """

    def __init__(
        self,
        config: DictConfig,
        dataset: Any,
        slots: int,
        capacity_steps: int,
        instantiate: Callable[..., Any] = instantiate_node,
        *,
        shuffle: bool = True,
    ) -> None:
        keras = _jax_keras()
        import jax.numpy as jnp

        from lrsweep.training._warm import TraceSchedule

        if int(slots) < 1 or int(capacity_steps) < 1:
            raise ConfigError("slots" if int(slots) < 1 else "capacity_steps", min(slots, capacity_steps), ">= 1")
        if not hasattr(dataset, "x_train"):
            raise ConfigError("data", getattr(dataset, "name", dataset), "in-memory arrays for packed trials")
        self.slots, self.shuffle = int(slots), shuffle
        self.batch_size = int(config.trainer.batch_size)
        self.steps_per_epoch = -(-len(dataset.x_train) // self.batch_size)
        self.dataset, self.config, self.model_config, self.instantiate = dataset, config, config.model, instantiate
        self.schedule = TraceSchedule(capacity_steps)
        lr_trace(config.schedule, self.steps_per_epoch, int(config.trainer.epochs))  # reduce_on_plateau: raises
        self.optimizer = make_optimizer(config, self.schedule, instantiate)
        self.schedule.attach(self.optimizer)
        self.model = self._fresh_model()
        compiled = resolve_compile(config.trainer, instantiate)
        check_model(self.model, dataset, compiled["loss"])
        self.model.compile(optimizer=self.optimizer, **compiled)
        self.optimizer.build(self.model.trainable_variables)
        placeholder = [np.array(v.value) for v in self.optimizer.variables]  # each slot's comes with its trial
        check_batches(self.model, dataset, self.batch_size, train=True)  # builds the metrics; checks the data
        self.model.reset_metrics()
        self._metrics_start = [np.array(v.value) for v in self.model.metrics_variables]
        self._trace_index = self._optimizer_index(self.schedule.trace)
        self._length_index = self._optimizer_index(self.schedule.length)
        trainable, non_trainable = self.model.trainable_variables, self.model.non_trainable_variables
        self._state: State = (
            self._stacked([v.value for v in trainable]),
            self._stacked([v.value for v in non_trainable]),
            self._stacked(placeholder),
            self._stacked(self._metrics_start),
        )  # every slot idle until started: the values are placeholders
        self._train_data = (jnp.asarray(dataset.x_train), jnp.asarray(dataset.y_train))  # on the device once
        x_val, y_val, size = jnp.asarray(dataset.x_val), jnp.asarray(dataset.y_val), self.batch_size
        self._val_batches = [(x_val[i : i + size], y_val[i : i + size]) for i in range(0, len(x_val), size)]
        self._running = np.zeros(self.slots, dtype=bool)
        self._seeds, self._epochs = [0] * self.slots, [0] * self.slots
        self._lrs: list[list[np.ndarray]] = [[] for _ in range(self.slots)]
        self.diverged: set[int] = set()
        self.reasons: dict[int, str] = {}
        self._compile(keras)

    def _stacked(self, values: list[Any]) -> list[Any]:
        """One value per slot: each of ``values`` repeated on a new leading axis of length K."""
        import jax.numpy as jnp

        return [jnp.repeat(jnp.asarray(v)[None], self.slots, axis=0) for v in values]

    def _fresh_model(self) -> Any:
        return self.instantiate(
            self.model_config, "model", input_shape=self.dataset.input_shape, num_classes=self.dataset.num_classes
        )

    def _optimizer_index(self, variable: Any) -> int:
        return next(i for i, v in enumerate(self.optimizer.variables) if v is variable)

    def _compile(self, keras: Any) -> None:
        """The jitted functions: a training step, a validation step, the metric results, a slot's reset."""
        import jax
        import jax.numpy as jnp

        model, optimizer = self.model, self.optimizer

        def keep(mask: Any, new: Any, old: Any) -> Any:
            return jax.tree.map(lambda n, o: jnp.where(mask, n, o), new, old)

        def train_member(state: State, alive: Any, x: Any, y: Any) -> tuple[State, Any, Any, Any]:
            with keras.StatelessScope(state_mapping=list(zip(optimizer.variables, state[2], strict=True))):
                lr = keras.ops.convert_to_tensor(optimizer.learning_rate)  # what this step applies
            logs, new = model.train_step(state, (x, y))
            loss = logs["loss"]  # the running mean: finite until the first non-finite batch loss
            kept = jnp.logical_and(alive, jnp.isfinite(loss))
            return keep(kept, tuple(new), state), kept, lr, loss

        def train(state: State, alive: Any, indices: Any, x: Any, y: Any) -> tuple[State, Any, Any, Any]:
            return jax.vmap(train_member)(state, alive, x[indices], y[indices])

        def test_member(state: tuple[Any, ...], alive: Any, x: Any, y: Any) -> tuple[Any, ...]:
            _, (trainable, non_trainable, metrics) = model.test_step(state, (x, y))
            return trainable, keep(alive, non_trainable, state[1]), metrics

        def results_member(metrics: list[Any]) -> dict[str, Any]:
            with keras.StatelessScope(state_mapping=list(zip(model.metrics_variables, metrics, strict=True))):
                return dict(model.get_metrics_result())

        def put(state: State, slot: Any, member: State) -> State:
            return jax.tree.map(lambda stacked, value: stacked.at[slot].set(value), state, member)

        self._train = jax.jit(train, donate_argnums=0)
        self._test = jax.jit(jax.vmap(test_member, in_axes=(0, 0, None, None)), donate_argnums=0)
        self._results = jax.jit(jax.vmap(results_member))
        self._put = jax.jit(put, donate_argnums=0)

    def trace(self, schedule: Any, epochs: int) -> np.ndarray:
        """A schedule's LR at each step of ``epochs`` epochs of this trainer (:func:`lrsweep.schedules.lr_trace`).

        Raises:
            TraceUnavailableError: for ``reduce_on_plateau``, whose LR is not known before training.
            ConfigError: for a run longer than ``capacity_steps``.
        """
        values = lr_trace(schedule, self.steps_per_epoch, epochs)
        self._check_trace(values)
        return values

    def _check_trace(self, trace: np.ndarray) -> None:
        if not 1 <= len(trace) <= self.schedule.capacity:
            allowed = f"1 to capacity_steps={self.schedule.capacity} learning rates, one per optimizer step"
            raise ConfigError("trace", f"{len(trace)} learning rates", allowed)

    def _check_slot(self, slot: int) -> None:
        if not 0 <= slot < self.slots:
            raise ConfigError("slot", slot, f"a slot of this trainer, 0 to {self.slots - 1}")

    def start(self, slot: int, seed: int, trace: np.ndarray) -> None:
        """Start a trial in ``slot``: the weights a fresh model gets from ``seed`` (Dropout's seed state too), the
        optimizer's fresh state with ``trace`` as its LR, step and epoch 0, shuffling from ``seed``."""
        import jax.numpy as jnp

        from lrsweep.training._warm import built_optimizer_state

        keras = _jax_keras()
        self._check_slot(slot)
        trace = np.asarray(trace, dtype=np.float32)
        self._check_trace(trace)
        keras.utils.set_random_seed(int(seed))
        fresh = self._fresh_model()
        weights = []
        for name in ("trainable_variables", "non_trainable_variables"):
            ours, theirs = getattr(self.model, name), getattr(fresh, name)
            if [tuple(v.shape) for v in ours] != [tuple(v.shape) for v in theirs]:
                allowed = "a factory that builds the same model (variables of the same shapes) for every seed"
                raise ConfigError("model._target_", self.model_config.get("_target_"), allowed)
            weights.append([jnp.asarray(v.value) for v in theirs])
        # The state a fresh fit builds on this trial's own weights (ScheduleFreeAdamW's momentum copies them).
        built = built_optimizer_state(self.config, self.schedule.capacity, self.instantiate, fresh)
        optimizer = [jnp.asarray(value) for value in built]
        del fresh
        padded = np.zeros(self.schedule.capacity, dtype=np.float32)
        padded[: len(trace)] = trace
        optimizer[self._trace_index] = jnp.asarray(padded)
        optimizer[self._length_index] = jnp.asarray(len(trace), dtype=optimizer[self._length_index].dtype)
        member = (weights[0], weights[1], optimizer, self._metrics_start)
        self._state = self._put(self._state, jnp.asarray(slot, dtype="int32"), member)
        self._running[slot], self._seeds[slot], self._epochs[slot] = True, int(seed), 0
        self._lrs[slot] = []
        self.diverged.discard(slot)
        self.reasons.pop(slot, None)

    def stop(self, slot: int) -> None:
        """Idle ``slot`` (its state stops changing) until :meth:`start` gives it another trial."""
        self._check_slot(slot)
        self._running[slot] = False

    @property
    def active(self) -> list[int]:
        """The slots training now."""
        return [int(s) for s in np.flatnonzero(self._running)]

    def lrs(self, slot: int) -> np.ndarray:
        """The LR each applied step of ``slot``'s trial used, read in the step from its optimizer state."""
        self._check_slot(slot)
        return np.concatenate(self._lrs[slot]) if self._lrs[slot] else np.zeros(0, dtype=np.float32)

    def _orders(self) -> np.ndarray:
        """Each slot's order of the training examples this epoch."""
        n = len(self.dataset.x_train)
        if not self.shuffle:
            return np.tile(np.arange(n), (self.slots, 1))
        rngs = [np.random.default_rng([self._seeds[s], self._epochs[s]]) for s in range(self.slots)]
        return np.stack([rng.permutation(n) for rng in rngs])

    def run_epoch(self) -> dict[int, dict[str, float]]:
        """One epoch for every active slot: ``{slot: {"loss", <metrics>, "val_loss", "val_<metrics>"}}``, the
        keys ``model.fit``'s History has. A slot whose loss became non-finite goes to :attr:`diverged` instead."""
        import jax
        import jax.numpy as jnp

        active = self.active
        if not active:
            return {}
        trainable, non_trainable, optimizer, _ = self._state
        state: State = (trainable, non_trainable, optimizer, self._stacked(self._metrics_start))
        alive = jnp.asarray(self._running)
        orders, steps = self._orders(), []
        for begin in range(0, orders.shape[1], self.batch_size):
            indices = jnp.asarray(orders[:, begin : begin + self.batch_size], dtype="int32")
            state, alive, lr, loss = self._train(state, alive, indices, *self._train_data)
            steps.append((alive, lr, loss))
        train_logs = self._results(state[3])
        evaluated = (state[0], state[1], self._stacked(self._metrics_start))  # evaluate's metrics start reset
        for x_val, y_val in self._val_batches:
            evaluated = self._test(evaluated, alive, x_val, y_val)
        self._state = (list(evaluated[0]), list(evaluated[1]), state[2], list(evaluated[2]))
        val_logs = self._results(evaluated[2])
        kept, lrs, losses = (np.stack(a) for a in zip(*jax.device_get(steps), strict=True))
        train_logs, val_logs = jax.device_get((train_logs, val_logs))
        return self._close_epoch(active, kept, lrs, losses, train_logs, val_logs)

    def _close_epoch(
        self, active: list[int], kept: np.ndarray, lrs: np.ndarray, losses: np.ndarray, train: Any, val: Any
    ) -> dict[int, dict[str, float]]:
        """Record each active slot's applied LRs and epoch; the logs of those that stayed finite."""
        logs = {}
        for slot in active:
            applied = kept[:, slot]
            self._lrs[slot].append(lrs[applied, slot])
            self._epochs[slot] += 1
            if applied.all():
                logs[slot] = {
                    **{key: float(value[slot]) for key, value in train.items()},
                    **{f"val_{key}": float(value[slot]) for key, value in val.items()},
                }
                continue
            step = int(np.argmin(applied))
            self._running[slot] = False
            self.diverged.add(slot)
            loss = float(losses[step, slot])
            self.reasons[slot] = f"loss became {loss} at epoch {self._epochs[slot]}, batch {step + 1}"  # as NaNGuard
        return logs

    def model_for(self, slot: int) -> Any:
        """The trainer's Keras model holding ``slot``'s weights now (shared: the next call overwrites them)."""
        self._check_slot(slot)
        variables = [*self.model.trainable_variables, *self.model.non_trainable_variables]
        for values, variable in zip([*self._state[0], *self._state[1]], variables, strict=True):
            variable.assign(values[slot])
        return self.model
