"""lrsweep: hyperparameter sweeps over the learning-rate schedules of Keras models."""

from __future__ import annotations

from lrsweep._errors import (
    ConfigError,
    DatasetNotFoundError,
    LRSweepError,
    TraceUnavailableError,
    TrialFailedError,
    TrialPrunedError,
)

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "DatasetNotFoundError",
    "LRSweepError",
    "TraceUnavailableError",
    "TrialFailedError",
    "TrialPrunedError",
    "__version__",
]
