"""Importable targets for tests that plug their own parts in through ``_target_``."""

from __future__ import annotations

import keras


def tiny_dense(input_shape, num_classes, units=8):
    """A user-supplied model: any factory taking input_shape and num_classes."""
    return keras.Sequential(
        [
            keras.Input(shape=tuple(input_shape)),
            keras.layers.Flatten(),
            keras.layers.Dense(units, activation="relu"),
            keras.layers.Dense(num_classes, activation="softmax"),
        ]
    )


def loader_that_must_not_run(**kwargs):
    raise AssertionError("the dataset was loaded although the config was invalid")


def halve_every(epoch, lr, every=1):
    """A user's custom epoch function with its own parameter."""
    return lr / 2 if epoch % every == 0 and epoch > 0 else lr


def tiny_regressor(input_shape, num_classes=None, units=8):
    """A user's regression model: one output, no activation (num_classes is None for float targets)."""
    return keras.Sequential(
        [
            keras.Input(shape=tuple(input_shape)),
            keras.layers.Dense(units, activation="relu"),
            keras.layers.Dense(1),
        ]
    )


def arrays_factory(n_train=48, n_val=16, features=5, classes=3, seed=0):
    """A user's data factory returning keras.datasets-shaped arrays."""
    import numpy as np

    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, n_train + n_val)
    x = rng.normal(size=(n_train + n_val, features)).astype("float32") + y[:, None]
    return (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:])


def not_data():
    """A data factory that returns something else than data."""
    return "oops"


def ten_classes(input_shape, num_classes):
    """A user's model hard-wired to ten outputs, whatever the data's classes."""
    return tiny_dense(input_shape, 10)


def linear_regressor(input_shape, num_classes=None):
    """y = x·w + b: a model whose training steps a test can compute in NumPy."""
    return keras.Sequential([keras.Input(shape=tuple(input_shape)), keras.layers.Dense(1)])


# Bad data and parts as a user might write them (tests/test_bad_input.py): each must stop a sweep in one line.


def val_shape_differs():
    """Validation features with one column fewer than the training features."""
    return arrays_factory(features=5)[0], arrays_factory(features=4)[1]


def float_targets():
    """Regression targets (floats), for a model compiled with the default classification loss."""
    (x, _), (x_val, _) = arrays_factory()
    return (x, x.sum(axis=1) - 1.0), (x_val, x_val.sum(axis=1) - 1.0)


def string_features():
    """Features left as text, as a CSV read without conversion gives them."""
    (x, y), val = arrays_factory()
    return (x.astype(str), y), val


def string_labels():
    """Class names instead of integer labels."""
    import numpy as np

    names = np.array(["cat", "dog", "cow"])
    (x, y), (x_val, y_val) = arrays_factory()
    return (x, names[y]), (x_val, names[y_val])


def one_class():
    """Every label the same class."""
    (x, y), (x_val, y_val) = arrays_factory()
    return (x, 0 * y), (x_val, 0 * y_val)


def broken_loader():
    """A data factory that fails on its own."""
    raise KeyError("features.csv")


def fixed_input(input_shape, num_classes):
    """A model hard-wired to seven input features, whatever the data's."""
    return keras.Sequential([keras.Input((7,)), keras.layers.Dense(num_classes, activation="softmax")])


def one_output(input_shape, num_classes):
    """A model with one output, for class labels."""
    return keras.Sequential([keras.Input(tuple(input_shape)), keras.layers.Flatten(), keras.layers.Dense(1)])


def raising_hook(cfg, trial):
    """A custom_search_space hook that fails."""
    raise RuntimeError("boom in the hook")


class AppliedLR(keras.callbacks.Callback):
    """What the optimizer's learning rate is before each step (the test's own reading, not lrsweep's)."""

    def __init__(self) -> None:
        super().__init__()
        self.values: list[float] = []

    def on_train_batch_begin(self, batch, logs=None):
        self.values.append(float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)))
