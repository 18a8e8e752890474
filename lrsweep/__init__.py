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


def __getattr__(name: str) -> object:
    # compose imports Hydra: load it on first use, so `import lrsweep` stays light.
    if name == "compose":
        from lrsweep._compose import compose

        return compose
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ConfigError",
    "DatasetNotFoundError",
    "LRSweepError",
    "TraceUnavailableError",
    "TrialFailedError",
    "TrialPrunedError",
    "__version__",
    "compose",
]
