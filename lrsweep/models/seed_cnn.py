"""The tutorial's small CNN for Fashion-MNIST."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["seed_cnn"]


def seed_cnn(input_shape: Sequence[int] = (28, 28, 1), num_classes: int = 10) -> Any:
    """Conv2D(32, 3x3, same, relu) → Conv2D(16, 3x3, same, relu) → Flatten → Dense(num_classes, softmax).

    Exactly the tutorial's network: 130,394 parameters for 28x28x1 inputs and 10 classes.

    Example:
        >>> seed_cnn().count_params()
        130394
    """
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input(shape=tuple(input_shape)),
            layers.Conv2D(32, (3, 3), padding="same", activation="relu"),
            layers.Conv2D(16, (3, 3), padding="same", activation="relu"),
            layers.Flatten(),
            layers.Dense(num_classes, activation="softmax"),
        ],
        name="seed_cnn",
    )
