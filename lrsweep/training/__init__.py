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
from lrsweep.training._dry_run import DryRun, dry_run
from lrsweep.training._instantiate import instantiate
from lrsweep.training._packed import PackedTrainer
from lrsweep.training._population import MemberEnd, PackedMember, Population
from lrsweep.training._prepared import PreparedTrial, prepare_trial, validate
from lrsweep.training._trial import TrialResult, flatten_params, run_trial

__all__ = [
    "LOSS",
    "MEASURED",
    "METRICS",
    "DryRun",
    "MemberEnd",
    "PackedMember",
    "PackedTrainer",
    "Population",
    "PreparedTrial",
    "TrialResult",
    "compile_arguments",
    "dry_run",
    "flatten_params",
    "instantiate",
    "logged_keys",
    "objective_direction",
    "objective_names",
    "prepare_trial",
    "run_trial",
    "setup_record",
    "trainer_direction",
    "trainer_directions",
    "trial_data",
    "validate",
]
