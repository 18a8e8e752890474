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
    from lrsweep.sweep._retry import retrying
    from lrsweep.sweep._study import default_storage, load_trial

    sweeper: Any = HydraConfig.get().sweeper if HydraConfig.initialized() else {}
    pruner = instantiate(sweeper["pruner"]) if "pruner" in sweeper else None
    retry = retrying(reference.storage or default_storage(), float(sweeper.get("storage_timeout", 600.0)))
    number = int(reference.trial_number)
    trial = retry(lambda: load_trial(reference.study_name, reference.storage, number, pruner=pruner), "loading a trial")
    from lrsweep.training import LOSS, METRICS

    trainer: dict[str, Any] = OmegaConf.to_container(config.trainer, resolve=True)  # type: ignore[assignment]
    # What `lrsweep export` needs to compile and fit a model as this trial did.
    attrs = {
        "schedule": OmegaConf.to_container(config.schedule, resolve=True),
        "family": str(config.schedule.family),
        "optimizer": OmegaConf.to_container(config.optimizer, resolve=True),
        "loss": trainer.get("loss", LOSS),
        "metrics": trainer.get("metrics", list(METRICS)),
        "batch_size": int(config.trainer.batch_size),
        "objective": str(config.trainer.objective),
    }
    if config.get("label"):
        attrs["label"] = str(config.label)
    retry(lambda: [trial.set_user_attr(key, value) for key, value in attrs.items()], "recording a trial")
    return [OptunaPruning(trial, str(config.trainer.objective), on_epoch=report_epoch, retry=retry)]
