"""Packed trials (JAX): a packed member computes what model.fit computes for the same trial, members of one step
do not change each other's results, a diverging member is frozen alone, and a refilled slot starts afresh."""

from __future__ import annotations

import re

import keras
import numpy as np
import pytest

if keras.backend.backend() != "jax":
    pytest.skip("packed trials vmap one JAX step: run with KERAS_BACKEND=jax", allow_module_level=True)

from hydra import compose, initialize_config_dir

from lrsweep import ConfigError, TraceUnavailableError
from lrsweep._paths import config_dir
from lrsweep.schedules import lr_trace
from lrsweep.training import PackedTrainer, instantiate, trial_data
from lrsweep.training._checks import make_optimizer, resolve_compile
from lrsweep.training._warm import TraceSchedule
from tests.training.helpers import AppliedLR

BATCH, EPOCHS = 40, 2  # 96 training images: batches of 40, 40 and 16; 32 validation images: one batch
STEPS = 3
# A vmapped step is another XLA program than fit's: float32 rounding, not always bit for bit (measured on CPU: one
# slot gives fit's results exactly, members of three slots are within 2e-7 of the same member alone).
RTOL = 1e-5
FAMILIES = {
    "exponential_decay": ["schedule.initial_learning_rate=0.01", "schedule.decay_steps=2", "schedule.decay_rate=0.5"],
    "step_decay": ["schedule.initial_learning_rate=0.01", "schedule.drop_every=1"],
    "one_cycle": ["schedule.max_learning_rate=0.02"],
}


def tiny_net(input_shape, num_classes):
    """A user's small CNN with BatchNorm (non-trainable state) and Dropout (a seed generator)."""
    return keras.Sequential(
        [
            keras.Input(shape=tuple(input_shape)),
            keras.layers.Conv2D(4, 3, strides=2, use_bias=False),  # no bias before BatchNorm: Adam would amplify noise
            keras.layers.BatchNormalization(),
            keras.layers.ReLU(),
            keras.layers.Flatten(),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(num_classes, activation="softmax"),
        ]
    )


@pytest.fixture(scope="module")
def compose_packed(data_dir):
    def _compose(*overrides: str):
        base = [
            f"data.data_dir={data_dir}",
            "data.train_size=96",
            "data.val_size=32",
            f"model._target_={__name__}.tiny_net",
            "optimizer=adam",
            f"trainer.batch_size={BATCH}",
            f"trainer.epochs={EPOCHS}",
            "tracking=none",
        ]
        with initialize_config_dir(str(config_dir()), version_base="1.3"):
            return compose("config", overrides=[*base, *overrides])

    return _compose


@pytest.fixture(scope="module")
def config(compose_packed):
    return compose_packed()


@pytest.fixture(scope="module")
def dataset(config):
    return trial_data(config.data, instantiate)


@pytest.fixture(scope="module")
def traces(compose_packed):
    return {
        name: lr_trace(compose_packed(f"schedule={name}", *o).schedule, STEPS, EPOCHS) for name, o in FAMILIES.items()
    }


@pytest.fixture(scope="module")
def single(config, dataset):
    return PackedTrainer(config, dataset, slots=1, capacity_steps=64, shuffle=False)


@pytest.fixture(scope="module")
def triple(config, dataset):
    return PackedTrainer(config, dataset, slots=3, capacity_steps=64, shuffle=False)


def _run(trainer, members: dict[int, tuple[int, np.ndarray]], epochs: int = EPOCHS) -> list[dict]:
    for slot in range(trainer.slots):
        trainer.stop(slot)
    for slot, (seed, trace) in members.items():
        trainer.start(slot, seed, trace)
    return [trainer.run_epoch() for _ in range(epochs)]


def _close(a: dict, b: dict, rtol: float = RTOL) -> None:
    assert a.keys() == b.keys()
    np.testing.assert_allclose([a[k] for k in sorted(a)], [b[k] for k in sorted(b)], rtol=rtol, atol=1e-6)


def _fit(config, dataset, seed: int, trace: np.ndarray) -> tuple[dict, list[float]]:
    """model.fit of a fresh model from ``seed`` under the same trace schedule and compile, without shuffling."""
    keras.utils.set_random_seed(seed)
    schedule = TraceSchedule(64)
    optimizer = make_optimizer(config, schedule, instantiate)
    schedule.attach(optimizer)
    schedule.assign(trace)
    model = tiny_net(dataset.input_shape, dataset.num_classes)
    model.compile(optimizer=optimizer, **resolve_compile(config.trainer, instantiate))
    applied = AppliedLR()
    history = model.fit(
        dataset.x_train, dataset.y_train, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0,
        validation_data=(dataset.x_val, dataset.y_val), callbacks=[applied],
    )  # fmt: skip
    return history.history, applied.values


def test_one_member_equals_model_fit(config, dataset, single, traces):
    trace = traces["exponential_decay"]
    packed = _run(single, {0: (7, trace)})
    history, applied = _fit(config, dataset, 7, trace)
    assert set(packed[0][0]) == set(history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    for epoch in range(EPOCHS):
        _close(packed[epoch][0], {key: values[epoch] for key, values in history.items()})
    np.testing.assert_array_equal(single.lrs(0), trace)
    np.testing.assert_array_equal(np.float32(applied), trace)  # fit applied the same LRs


def test_members_of_three_families_each_equal_the_member_alone(single, triple, traces):
    members = {slot: (slot + 1, traces[name]) for slot, name in enumerate(FAMILIES)}
    together = _run(triple, members)
    assert len({tuple(t) for t in traces.values()}) == 3
    for slot, (seed, trace) in members.items():
        alone = _run(single, {0: (seed, trace)})
        for epoch in range(EPOCHS):
            _close(together[epoch][slot], alone[epoch][0])
        np.testing.assert_array_equal(triple.lrs(slot), trace)
    assert together[0][0] != together[0][1]  # the members differ (their seeds and LRs)


def test_a_diverging_member_is_frozen_and_changes_no_other(triple, traces):
    huge = traces["step_decay"].copy()
    huge[STEPS + 1 :] = 1e35  # from the second step of epoch 2
    members = {0: (1, traces["exponential_decay"]), 1: (2, traces["one_cycle"])}
    diverging = _run(triple, {**members, 2: (3, huge)})
    assert triple.diverged == {2}
    assert re.fullmatch(r"loss became (nan|-?inf) at epoch 2, batch [23]", triple.reasons[2]), triple.reasons[2]
    assert set(diverging[0]) == {0, 1, 2} and set(diverging[1]) == {0, 1}
    frozen = triple.lrs(2)
    without = _run(triple, members)  # slot 2 idle, still marked diverged (start() clears that)
    assert triple.active == [0, 1] and triple.diverged == {2}
    others = [{slot: epoch[slot] for slot in members} for epoch in diverging]
    assert others == without  # bit for bit: the other members never see the diverging one
    assert len(frozen) < STEPS * EPOCHS and np.all(frozen == huge[: len(frozen)])


def test_a_refilled_slot_starts_from_its_own_seed(single, triple, traces):
    members = {0: (1, traces["exponential_decay"]), 1: (2, traces["step_decay"])}
    _run(triple, members, epochs=1)
    triple.stop(1)
    triple.start(1, 5, traces["one_cycle"])
    refilled = triple.run_epoch()
    untouched = _run(triple, members)
    (fresh,) = _run(single, {0: (5, traces["one_cycle"])}, epochs=1)
    _close(refilled[1], fresh[0])
    assert refilled[0] == untouched[1][0]  # bit for bit: the other slot went on as without the refill
    np.testing.assert_array_equal(triple.lrs(0), traces["exponential_decay"])


def test_what_cannot_be_packed(config, dataset, compose_packed, single, monkeypatch):
    with pytest.raises(TraceUnavailableError, match="reduce_on_plateau"):
        single.trace(compose_packed("schedule=reduce_on_plateau").schedule, EPOCHS)
    with pytest.raises(ConfigError, match="capacity_steps=64"):
        single.trace(config.schedule, 100)
    monkeypatch.setattr(keras.backend, "backend", lambda: "tensorflow")
    with pytest.raises(ConfigError, match="KERAS_BACKEND"):
        PackedTrainer(config, dataset, slots=2, capacity_steps=64)


def test_each_member_shuffles_from_its_own_seed(single, triple, traces, monkeypatch):
    trace = traces["step_decay"]
    in_order = _run(single, {0: (1, trace)})
    monkeypatch.setattr(single, "shuffle", True)
    monkeypatch.setattr(triple, "shuffle", True)
    alone = _run(single, {0: (1, trace)})
    together = _run(triple, {0: (4, trace), 1: (1, trace), 2: (1, trace)})
    for epoch in range(EPOCHS):
        _close(together[epoch][1], alone[epoch][0])
        assert together[epoch][1] == together[epoch][2]  # the same seed: the same orders and dropout masks
    assert alone[0][0] != in_order[0][0] and together[0][0] != together[0][1]
    assert alone == _run(single, {0: (1, trace)})  # a restart draws the same permutations again
