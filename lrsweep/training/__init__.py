"""Training one trial: :func:`run_trial` and the callbacks it uses."""

from __future__ import annotations

from lrsweep.training._compile import LOSS, METRICS
from lrsweep.training._trial import OBJECTIVES, TrialResult, check_optimizer, flatten_params, run_trial, validate

__all__ = ["LOSS", "METRICS", "OBJECTIVES", "TrialResult", "check_optimizer", "flatten_params", "run_trial", "validate"]
