"""Typed schemas of the config groups. YAML files under ``conf/`` give the values; these give the types.

Hydra checks every composed config against them, so a typo'd key or a value of the wrong type is rejected
before anything runs. Fields without a default are set by the group's YAML preset.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from omegaconf import MISSING

__all__ = [
    "AdamConfig",
    "ArraysConfig",
    "FashionMNISTConfig",
    "ImageFolderConfig",
    "KerasDatasetConfig",
    "LRFindConfig",
    "LRSweepConfig",
    "MLflowTrackingConfig",
    "NoTrackingConfig",
    "OptunaTrialConfig",
    "SGDConfig",
    "ScheduleFreeAdamWConfig",
    "TrainerConfig",
]


@dataclass
class TrainerConfig:
    """How one trial trains: ``model.fit`` settings and what the trial returns.

    ``objective`` is the Keras log key whose value at the last epoch the trial returns (e.g. val_accuracy), or a
    list of them for a multi-objective study (``fit_seconds`` and ``steps``, measured by the trial, count too);
    ``direction`` is null (each objective's own), ``maximize``/``minimize``, or a list, one per objective.
    ``verbose`` is ``auto`` (a progress bar on a terminal, one line per epoch otherwise) or Keras' 0, 1, 2.
    ``reuse``: consecutive trials in one process share the compiled model (see :mod:`lrsweep.training._warm`).
    ``steps_per_execution``: optimizer steps per compiled call in reused trials (Keras ``compile`` argument).
    """

    epochs: int = MISSING
    batch_size: int = MISSING
    seed: int = MISSING
    objective: Any = MISSING  # a key, or a list of keys
    loss: Any = MISSING
    metrics: list[Any] = MISSING
    direction: Any = None  # null, maximize, minimize, or a list
    verbose: str = MISSING
    reuse: bool = MISSING
    steps_per_execution: int = MISSING


@dataclass
class FashionMNISTConfig:
    """Fashion-MNIST from local IDX files; the test set is the validation set, as in the tutorial."""

    _target_: str = "lrsweep.data.load_fashion_mnist"
    normalize: bool = MISSING
    train_size: int | None = MISSING
    val_size: int | None = MISSING
    data_dir: str | None = MISSING


@dataclass
class ArraysConfig:
    """NumPy arrays from an ``.npz`` file (``lrsweep.data.load_arrays``)."""

    _target_: str = "lrsweep.data.load_arrays"
    path: str = MISSING
    validation_split: float | None = None
    normalize: bool = False
    train_size: int | None = None
    val_size: int | None = None
    num_classes: int | None = None


@dataclass
class ImageFolderConfig:
    """Images in class sub-folders (``lrsweep.data.load_image_folder``)."""

    _target_: str = "lrsweep.data.load_image_folder"
    path: str = MISSING
    image_size: list[int] = field(default_factory=lambda: [64, 64])
    color_mode: str = "rgb"
    validation_split: float = 0.2
    seed: int = 0
    normalize: bool = True
    train_size: int | None = None
    val_size: int | None = None


@dataclass
class KerasDatasetConfig:
    """An image set of ``keras.datasets`` (``lrsweep.data.load_keras_dataset``)."""

    _target_: str = "lrsweep.data.load_keras_dataset"
    name: str = MISSING
    normalize: bool = True
    train_size: int | None = None
    val_size: int | None = None


@dataclass
class SGDConfig:
    _target_: str = "keras.optimizers.SGD"
    name: str = "sgd"
    momentum: float = MISSING
    nesterov: bool = MISSING


@dataclass
class AdamConfig:
    _target_: str = "keras.optimizers.Adam"
    name: str = "adam"
    beta_1: float = MISSING
    beta_2: float = MISSING
    epsilon: float = MISSING
    amsgrad: bool = MISSING


@dataclass
class ScheduleFreeAdamWConfig:
    """``keras.optimizers.ScheduleFreeAdamW`` (Defazio et al., 2024): no schedule needed; lrsweep's verification
    runs it as a control."""

    _target_: str = "keras.optimizers.ScheduleFreeAdamW"
    name: str = "schedule_free_adamw"
    beta_1: float = 0.9
    beta_2: float = 0.999
    epsilon: float = 1e-8
    warmup_steps: int = 0
    weight_decay: float | None = None


@dataclass
class MLflowTrackingConfig:
    """``tracking_uri`` null: ``$MLFLOW_TRACKING_URI``, else ``sqlite:///mlflow.db`` in the working directory."""

    _target_: str = "lrsweep.tracking.MLflowTracker"
    tracking_uri: str | None = MISSING
    experiment_name: str = MISSING
    run_name: str | None = MISSING
    run_id: str | None = None
    parent_run_id: str | None = None
    system_metrics: float | None = MISSING


@dataclass
class NoTrackingConfig:
    _target_: str = "lrsweep.tracking.NullTracker"


@dataclass
class OptunaTrialConfig:
    """Set by the sweeper for each job: the Optuna trial the job reports to (through the study storage)."""

    study_name: str | None = None
    storage: str | None = None
    trial_number: int | None = None


@dataclass
class LRFindConfig:
    """The LR range test (``lrsweep lr-find``, ``hydra.sweeper.lr_range=auto``): the LR grows exponentially from
    ``min_lr`` to ``max_lr`` over ``num_steps`` optimizer steps (null: one epoch of the data, at least 100 and 15
    per decade, at most 300), and stops once the smoothed loss stays ``diverge`` times its best (or is not finite).
    ``smoothing`` is the drawn moving average's beta; the suggestions read a robust curve (:mod:`lrsweep.lrfind`)."""

    min_lr: float = 1e-7
    max_lr: float = 10.0
    num_steps: int | None = None
    smoothing: float = 0.95
    diverge: float = 4.0


@dataclass
class LRSweepConfig:
    """The composed run. ``model`` takes any ``_target_`` that returns a Keras model."""

    schedule: Any = MISSING
    optimizer: Any = MISSING
    model: Any = MISSING
    data: Any = MISSING
    trainer: TrainerConfig = MISSING
    tracking: Any = MISSING
    optuna: OptunaTrialConfig = field(default_factory=OptunaTrialConfig)
    lr_find: LRFindConfig = field(default_factory=LRFindConfig)
    label: str | None = None  # a name for the run, e.g. which of the tutorial's settings it is
