"""A regression on tabular data: scikit-learn's diabetes set (442 patients, ten features, a disease-progression
score), shipped with scikit-learn. The loss is the mean squared error, the objective ``val_loss``, minimised.
From the repository's root:

    lrsweep -m +sweep=cosine_decay +experiment=diabetes
    lrsweep export --study cosine_decay && lrsweep report --study cosine_decay
"""

from __future__ import annotations

from typing import Any

import numpy as np


def load(val_share: float = 0.2, seed: int = 0) -> dict[str, np.ndarray]:
    """Standardised features and target (so one learning-rate range fits), as a mapping of four arrays."""
    from sklearn.datasets import load_diabetes

    x, y = load_diabetes(return_X_y=True)
    order = np.random.default_rng(seed).permutation(len(x))
    n_val = round(len(x) * val_share)
    val, train = order[:n_val], order[n_val:]
    mean, std = x[train].mean(axis=0), x[train].std(axis=0)
    y_mean, y_std = y[train].mean(), y[train].std()

    def features(rows: np.ndarray) -> np.ndarray:
        return ((x[rows] - mean) / std).astype(np.float32)

    def target(rows: np.ndarray) -> np.ndarray:
        return ((y[rows] - y_mean) / y_std).astype(np.float32)

    return {"x_train": features(train), "y_train": target(train), "x_val": features(val), "y_val": target(val)}


def mlp(input_shape: tuple[int, ...], num_classes: int | None = None, units: int = 32) -> Any:
    """Dense(units, relu) -> Dense(units, relu) -> Dense(1): one value out (``num_classes`` is None here)."""
    import keras

    return keras.Sequential(
        [
            keras.Input(shape=tuple(input_shape)),
            keras.layers.Dense(units, activation="relu"),
            keras.layers.Dense(units, activation="relu"),
            keras.layers.Dense(1),
        ]
    )
