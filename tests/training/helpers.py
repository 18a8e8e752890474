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
