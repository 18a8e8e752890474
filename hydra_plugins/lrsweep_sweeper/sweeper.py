"""The Sweeper Hydra instantiates: a thin front that loads :mod:`lrsweep.sweep` when a sweep starts."""

from __future__ import annotations

import os
import sys
from typing import Any

from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig

# Importing the config module registers hydra/sweeper=lrsweep when Hydra scans the plugins.
from hydra_plugins.lrsweep_sweeper import config as _config  # noqa: F401


class LRSweepSweeper(Sweeper):
    def __init__(self, **settings: Any) -> None:
        self.settings = settings
        self._impl: Any = None

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        from lrsweep._preflight import release_composition_errors
        from lrsweep.sweep._sweeper import OptunaSweep

        release_composition_errors()  # composed: the workers this sweep starts do not inherit Hydra's switch

        self._impl = OptunaSweep(**self.settings)
        self._impl.setup(hydra_context=hydra_context, task_function=task_function, config=config)

    def sweep(self, arguments: list[str]) -> Any:
        from lrsweep._errors import LRSweepError, report

        try:
            return self._impl.sweep(arguments)
        except LRSweepError as error:
            # One line, as for a single run; HYDRA_FULL_ERROR=1 keeps Hydra's traceback.
            if os.environ.get("HYDRA_FULL_ERROR") == "1":
                raise
            sys.exit(report(error))
