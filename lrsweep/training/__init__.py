"""Training one trial: :func:`run_trial`, its data, how it compiles the model, and the callbacks it uses."""

from __future__ import annotations

from lrsweep.training._compile import (
    LOSS,
    MEASURED,
    METRICS,
    compile_arguments,
    logged_keys,
    objective_direction,
    objective_names,
    setup_record,
    trainer_direction,
    trainer_directions,
)
from lrsweep.training._data import trial_data
from lrsweep.training._trial import TrialResult, check_data, check_optimizer, flatten_params, run_trial, validate

__all__ = [
    "LOSS",
    "MEASURED",
    "METRICS",
    "TrialResult",
    "check_data",
    "check_optimizer",
    "compile_arguments",
    "flatten_params",
    "logged_keys",
    "objective_direction",
    "objective_names",
    "run_trial",
    "setup_record",
    "trainer_direction",
    "trainer_directions",
    "trial_data",
    "validate",
]
