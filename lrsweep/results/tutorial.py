"""The tutorial's seven settings and the validation accuracies it published (5 epochs, full Fashion-MNIST)."""

from __future__ import annotations

__all__ = ["TUTORIAL_BEST", "TUTORIAL_VAL_ACCURACY"]

TUTORIAL_VAL_ACCURACY: dict[str, float] = {
    "constant": 0.8709,
    "sgd_decay": 0.8704,
    "exponential": 0.8584,
    "piecewise": 0.8720,
    "polynomial": 0.8626,
    "inverse_time": 0.8583,
    "custom": 0.8396,
}
"""By the label of ``conf/tutorial/<label>.yaml``."""

TUTORIAL_BEST = max(TUTORIAL_VAL_ACCURACY.items(), key=lambda item: item[1])
