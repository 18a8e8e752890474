"""Config schemas and their registration in Hydra's ConfigStore."""

from __future__ import annotations

from lrsweep.config._schema import (
    AdamConfig,
    FashionMNISTConfig,
    LRSweepConfig,
    MLflowTrackingConfig,
    NoTrackingConfig,
    ScheduleFreeAdamWConfig,
    SGDConfig,
    TrainerConfig,
)
from lrsweep.config._store import register_configs

__all__ = [
    "AdamConfig",
    "FashionMNISTConfig",
    "LRSweepConfig",
    "MLflowTrackingConfig",
    "NoTrackingConfig",
    "SGDConfig",
    "ScheduleFreeAdamWConfig",
    "TrainerConfig",
    "register_configs",
]
