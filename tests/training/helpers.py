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
