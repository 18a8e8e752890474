"""The keys of every record lrsweep keeps: Optuna study and trial user attrs, MLflow tags and metrics.

Each key is named once, here; the module that writes a record and every module that reads it import the name.
Optuna records belong to the sweeper (:mod:`lrsweep.sweep`), which alone writes them; MLflow runs of a study
are opened and closed by the sweeper too, and filled by the trial's job.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

# --- Optuna study user attrs -----------------------------------------------------------------------------------
STUDY_WORKERS: Final = "lrsweep.workers"  # how many sweep processes joined the study
STUDY_BUDGET: Final = "lrsweep.n_trials"  # the largest n_trials any run of the study was given
STUDY_PARENT_RUN: Final = "mlflow_parent_run_id"
STUDY_TRACKING_URI: Final = "mlflow_tracking_uri"  # masked
STUDY_COMPARE_WITH_TUTORIAL: Final = "compare_with_tutorial"  # set through hydra.sweeper.study_attrs
STUDY_LR_RANGE: Final = "lrsweep.lr_range"  # the study's range test (lr_range=auto, or the controls' LR)
STUDY_FINGERPRINT: Final = "lrsweep.fingerprint"  # what the study's trials hold fixed (lrsweep.sweep._fingerprint)
STUDY_FORCED_JOINS: Final = "lrsweep.forced_joins"  # runs that joined with another fingerprint (resume=force)

# --- Optuna trial user attrs -----------------------------------------------------------------------------------
TRIAL_RUN: Final = "mlflow_run_id"
TRIAL_OVERRIDES: Final = "overrides"  # the sampled parameters as Hydra overrides
TRIAL_FAMILY: Final = "family"
TRIAL_LABEL: Final = "label"
TRIAL_WORKER: Final = "worker"  # host:pid of the sweep process that asked for the trial
TRIAL_TOLD_BY: Final = "told_by"  # ... and of the one that told its outcome
TRIAL_FAIL_REASON: Final = "fail_reason"
TRIAL_VALUES: Final = "objective_values"  # one per seed, with repeats > 1
TRIAL_STD: Final = "objective_std"
TRIAL_VERIFIES: Final = "lrsweep.verifies"  # a verification trial: the number of the search trial it re-runs
TRIAL_SEED: Final = "lrsweep.seed"  # the fresh seed a verification or control trial runs with
TRIAL_CONTROL: Final = "lrsweep.control"  # a control trial: its name (constant, schedule_free) ...
TRIAL_CONTROL_OVERRIDES: Final = "lrsweep.control_overrides"  # ... and the overrides it runs with
TRIAL_BASELINE: Final = "lrsweep.baseline"  # an enqueued baseline (hydra.sweeper.enqueue): True
# Budget fidelity (hydra.sweeper.rung_epochs, lrsweep.sweep._rungs): a short run's {"epochs": its epochs,
# "overrides": the configuration's overrides at the full budget}, and a full run's short run (its number).
TRIAL_RUNG: Final = "lrsweep.rung"
TRIAL_PROMOTES: Final = "lrsweep.promotes"
# How the trial compiled and fit its model (what `lrsweep export` needs). Each attr is one storage call (one
# database round trip on an RDB storage), so what belongs together is one attr.
TRIAL_SCHEDULE: Final = "schedule"
TRIAL_JOB: Final = "lrsweep.job"  # {"choices": {group: option}, group: resolved node} for each of JOB_GROUPS
JOB_GROUPS: Final = ("model", "data", "optimizer", "trainer")  # what a trial's job trains, besides its schedule
# What the job measured and returned, one attr: {FIT_STEPS_PER_EPOCH: ..., FIT_EPOCHS: ..., ...}
TRIAL_FIT: Final = "lrsweep.fit"
FIT_STEPS_PER_EPOCH: Final = "steps_per_epoch"
FIT_EPOCHS: Final = "epochs"
FIT_EPOCH_SECONDS: Final = "epoch_seconds"
FIT_PEAK_MEMORY: Final = "peak_memory"
FIT_PROCESS: Final = "process"  # host:pid of the worker process that trained it
TRIAL_RETRIED_WITHOUT: Final = (TRIAL_RUN, TRIAL_WORKER)  # attrs a stale trial's retry does not inherit

# --- MLflow tags, params and metrics ---------------------------------------------------------------------------
TAG_PARENT: Final = "mlflow.parentRunId"
TAG_ROLE: Final = "lrsweep.role"
ROLE_STUDY: Final = "study"
ROLE_TRIAL: Final = "trial"
ROLE_LR_FIND: Final = "lr_find"
TAG_STUDY: Final = "optuna.study_name"  # also a param of each trial's run
TAG_TRIAL: Final = "optuna.trial_number"  # also a param of each trial's run
TAG_STATE: Final = "optuna.state"
TAG_FAIL_REASON: Final = "optuna.fail_reason"
TAG_BEST: Final = "lrsweep.best"  # the trial `lrsweep export` exported last
TAG_FAMILY: Final = "lrsweep.family"
TAG_KIND: Final = "lrsweep.kind"
TAG_BACKEND: Final = "lrsweep.backend"
TAG_DEVICE: Final = "lrsweep.device"
TAG_STATUS: Final = "lrsweep.status"
TAG_EPOCHS_COMPLETED: Final = "lrsweep.epochs_completed"
TAG_FAILURE_REASON: Final = "lrsweep.failure_reason"
METRIC_VALUE: Final = "optuna.value"
METRIC_BEST: Final = "best_value"
METRIC_FRONT: Final = "pareto_front_size"  # a multi-objective study's parent run


def value_metrics(objectives: Sequence[str]) -> list[str]:
    """The MLflow metric of each objective's value: ``optuna.value``, or one ``optuna.value.<objective>`` each in
    a multi-objective study."""
    if len(objectives) == 1:
        return [METRIC_VALUE]
    return [f"{METRIC_VALUE}.{name}" for name in objectives]
