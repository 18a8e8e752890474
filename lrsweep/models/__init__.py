"""Model factories: ``(input_shape, num_classes, **config) -> keras.Model``, chosen with ``model._target_``."""

from __future__ import annotations

from lrsweep.models.seed_cnn import seed_cnn

__all__ = ["seed_cnn"]
