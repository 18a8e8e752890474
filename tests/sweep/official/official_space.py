"""example/custom-search-space-objective.py's ``configure`` of hydra-optuna-sweeper, on a schedule's keys."""

from omegaconf import DictConfig
from optuna.trial import Trial


def configure(cfg: DictConfig, trial: Trial) -> None:
    x_value = trial.params["schedule.initial_learning_rate"]  # was trial.params["x"]
    ratio = cfg.get("max_end_ratio", 0.1)  # was cfg.max_z_difference_from_x
    trial.suggest_float("schedule.end_learning_rate", x_value * ratio / 10, x_value * ratio)  # was "z"
    trial.suggest_float("+w", 0.0, 1.0)  # note +w here, not w as w is a new parameter
