"""A trial's checks before anything is written (lrsweep.training._checks), on the user's own data and models:
each bad part is one error naming its field, and good parts pass untouched."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from omegaconf import OmegaConf

from lrsweep._errors import ConfigError, DataError
from lrsweep.data import as_dataset
from lrsweep.training import instantiate
from lrsweep.training._checks import (
    check_batches,
    check_model,
    check_targets,
    loss_name,
    make_optimizer,
    resolve_compile,
)


def _data(y_train, y_val, features=4, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(len(y_train) + len(y_val), features)).astype(np.float32)
    return as_dataset(((x[: len(y_train)], np.asarray(y_train)), (x[len(y_train) :], np.asarray(y_val))))


CLASSES = _data(np.arange(40) % 3, np.arange(8) % 3)
VALUES = _data(np.linspace(-1.5, 2.5, 40).astype(np.float32), np.linspace(0, 1, 8).astype(np.float32))


def _trainer(**values):
    return OmegaConf.create({"loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"], **values})


def _dense(outputs, inputs=4, activation="softmax"):
    return keras.Sequential([keras.Input((inputs,)), keras.layers.Dense(outputs, activation=activation)])


@pytest.mark.parametrize(
    ("loss", "name"),
    [
        ("mse", "mse"),
        ("SparseCategoricalCrossentropy", "sparse_categorical_crossentropy"),
        (keras.losses.SparseCategoricalCrossentropy(), "sparse_categorical_crossentropy"),
        (keras.losses.mean_squared_error, "mean_squared_error"),
    ],
)
def test_loss_names_are_keras_snake_case(loss, name):
    assert loss_name(loss) == name


def test_keras_names_resolve_as_compile_resolves_them():
    trainer = _trainer(loss="huber", metrics=["accuracy", "acc", "mae", "auc", {"_target_": "keras.metrics.AUC"}])
    compiled = resolve_compile(trainer, instantiate)
    assert compiled["loss"] == "huber" and isinstance(compiled["metrics"][-1], keras.metrics.AUC)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"loss": "no_such_loss"}, "`trainer.loss` must be a Keras loss name (sparse_categorical_crossentropy,"),
        ({"metrics": ["accuracy", "accuracyy"]}, "`trainer.metrics` must be Keras metric names"),
        (
            {"loss": {"_target_": "builtins.dict"}},
            "`trainer.loss` must be a keras.losses.Loss or a function loss(y_true, y_pred)",
        ),
    ],
)
def test_unknown_compile_names_are_named_before_compiling(values, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        resolve_compile(_trainer(**values), instantiate)


def test_an_optimizer_must_be_a_keras_optimizer():
    config = OmegaConf.create({"optimizer": {"_target_": "keras.optimizers.Adam"}})
    assert isinstance(make_optimizer(config, 0.01, instantiate), keras.optimizers.Adam)
    config = OmegaConf.create({"optimizer": {"_target_": "builtins.dict"}})
    with pytest.raises(ConfigError, match=r"`optimizer._target_` must be a Keras optimizer class"):
        make_optimizer(config, 0.01, instantiate)


def test_targets_against_the_loss():
    check_targets(CLASSES, "sparse_categorical_crossentropy")
    check_targets(VALUES, "mse")
    check_targets(CLASSES, "mse")  # integer targets regressed: allowed
    with pytest.raises(ConfigError, match=r"`trainer.loss` must be a loss for these targets \(float values"):
        check_targets(VALUES, "sparse_categorical_crossentropy")
    with pytest.raises(ConfigError, match=r"sparse_categorical_crossentropy for integer class labels"):
        check_targets(CLASSES, keras.losses.CategoricalCrossentropy())
    one_hot = _data(np.eye(3)[np.arange(40) % 3], np.eye(3)[np.arange(8) % 3])
    check_targets(one_hot, "categorical_crossentropy")
    with pytest.raises(DataError, match=r"`data` must be at least two classes .* Received: class labels all"):
        check_targets(_data(np.zeros(40, int), np.zeros(8, int)), "sparse_categorical_crossentropy")


def test_the_model_against_the_data():
    check_model(_dense(3), CLASSES, "sparse_categorical_crossentropy")
    check_model(_dense(1, activation=None), VALUES, "mse")
    with pytest.raises(DataError, match=r"`model` must be a model for the data's inputs of shape \(4,\)"):
        check_model(_dense(3, inputs=7), CLASSES, "sparse_categorical_crossentropy")
    with pytest.raises(DataError, match=r"`model` must be a model with 3 outputs, one per class"):
        check_model(_dense(1), CLASSES, "sparse_categorical_crossentropy")
    with pytest.raises(DataError, match=r"`data` must be labels the model's 2 outputs can score"):
        check_model(_dense(2), CLASSES, "sparse_categorical_crossentropy")


class _Refuses(keras.Model):
    """A subclassed model whose call fails on the data: the check reports the backend's reason in one line."""

    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(3)

    def call(self, x):
        return self.dense(keras.ops.reshape(x, (-1, 5)))  # the data has 4 features: the reshape cannot work


def test_a_failing_first_step_is_one_line_naming_the_split():
    model = _Refuses()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises(DataError) as raised:
        check_batches(model, CLASSES, 16, train=True)
    message = str(raised.value)
    assert message.startswith("`model` must be a model that trains on the data with trainer.loss and trainer.metrics")
    assert "(a training step on the first batch of x_train failed)" in message and "\n" not in message


def test_an_evaluation_changes_no_weight():
    model = _dense(3)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    before = [w.copy() for w in model.get_weights()]
    check_batches(model, CLASSES, 16, train=False)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))
