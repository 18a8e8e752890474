"""An image classifier on scikit-learn's handwritten digits: 1,797 grey 8x8 images of ten classes, shipped with
scikit-learn (no download). From the repository's root:

    lrsweep -m +sweep=cosine_decay +experiment=digits
    lrsweep export --study cosine_decay && lrsweep report --study cosine_decay

``load`` is a data factory as a user writes one: it returns ``((x_train, y_train), (x_val, y_val))``, the shape of
``keras.datasets``; ``small_cnn`` a model factory: ``(input_shape, num_classes) -> keras.Model``.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def load(val_share: float = 0.25, seed: int = 0) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """The digits as (N, 8, 8, 1) float32 images in [0, 1] and integer labels, split at random."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[..., None]
    y = digits.target.astype(np.int32)
    order = np.random.default_rng(seed).permutation(len(x))
    n_val = round(len(x) * val_share)
    val, train = order[:n_val], order[n_val:]
    return (x[train], y[train]), (x[val], y[val])


def small_cnn(input_shape: tuple[int, ...], num_classes: int, filters: int = 16) -> Any:
    """Conv2D(filters, 3x3, same, relu) -> Flatten -> Dense(num_classes, softmax)."""
    import keras

    return keras.Sequential(
        [
            keras.Input(shape=tuple(input_shape)),
            keras.layers.Conv2D(filters, 3, padding="same", activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dense(num_classes, activation="softmax"),
        ]
    )
