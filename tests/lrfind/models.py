"""Users' models and data for the range test on real curves: not the seed CNN, and noisy in the ways real
training is (BatchNorm, Dropout, small batches, a regression target with noise)."""

from __future__ import annotations

import keras
import numpy as np


def bn_dropout_cnn(input_shape, num_classes):
    """A small CNN with BatchNorm and Dropout (the kind whose range test misread its flat start)."""
    return keras.Sequential(
        [
            keras.Input(input_shape),
            keras.layers.Conv2D(8, 3, strides=2, padding="same"),
            keras.layers.BatchNormalization(),
            keras.layers.Activation("relu"),
            keras.layers.Dropout(0.25),
            keras.layers.Flatten(),
            keras.layers.Dense(num_classes, activation="softmax"),
        ]
    )


def dropout_regressor(input_shape, num_classes=None):
    """A regression MLP with Dropout: its MSE on a batch of 32 scatters by about half its value."""
    return keras.Sequential(
        [
            keras.Input(input_shape),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dropout(0.2),
            keras.layers.Dense(1),
        ]
    )


def bn_mlp(input_shape, num_classes):
    return keras.Sequential(
        [
            keras.Input(input_shape),
            keras.layers.Dense(32),
            keras.layers.BatchNormalization(),
            keras.layers.Activation("relu"),
            keras.layers.Dense(num_classes, activation="softmax"),
        ]
    )


def noisy_regression(n_train=512, n_val=128, features=8, seed=0):
    """Targets of a smooth function of the features plus noise of a third of their spread."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n_train + n_val, features)).astype("float32")
    signal = np.sin(x[:, 0]) + 0.5 * x[:, 1] * x[:, 2] + x[:, 3]
    y = (signal + 0.6 * rng.normal(size=len(x))).astype("float32")
    return (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:])


def blobs(n_train=512, n_val=128, features=10, classes=4, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(classes, features)) * 1.2
    labels = rng.integers(0, classes, n_train + n_val)
    x = (centres[labels] + rng.normal(size=(labels.size, features))).astype("float32")
    return (x[:n_train], labels[:n_train]), (x[n_train:], labels[n_train:])
