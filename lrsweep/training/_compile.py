"""How a trial compiles its model: the loss and metrics (the optimizer and its schedule come from the config)."""

from __future__ import annotations

__all__ = ["LOSS", "METRICS"]

LOSS = "sparse_categorical_crossentropy"
"""The loss every trial compiles its model with (integer class labels, softmax outputs)."""

METRICS = ("accuracy",)
"""The metrics every trial compiles its model with, besides the loss."""
