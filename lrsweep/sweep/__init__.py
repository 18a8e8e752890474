"""Optuna sweeps over schedule hyperparameters (the engine of ``hydra/sweeper=lrsweep``)."""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig, OmegaConf

__all__ = ["trial_callbacks"]


def trial_callbacks(config: DictConfig) -> list[Any]:
    """The Keras callbacks a sweep job needs: report to its Optuna trial and prune (none outside a sweep)."""
    reference = config.get("optuna")
    if reference is None or reference.trial_number is None:
        return []
    from hydra.core.hydra_config import HydraConfig
    from hydra.utils import instantiate

    from lrsweep.sweep._progress import report_epoch
    from lrsweep.sweep._pruning import OptunaPruning
    from lrsweep.sweep._study import load_trial

    sweeper: Any = HydraConfig.get().sweeper if HydraConfig.initialized() else {}
    pruner = instantiate(sweeper["pruner"]) if "pruner" in sweeper else None
    trial = load_trial(reference.study_name, reference.storage, int(reference.trial_number), pruner=pruner)
    trial.set_user_attr("schedule", OmegaConf.to_container(config.schedule, resolve=True))
    trial.set_user_attr("family", str(config.schedule.family))
    if config.get("label"):
        trial.set_user_attr("label", str(config.label))
    return [OptunaPruning(trial, str(config.trainer.objective), on_epoch=report_epoch)]
