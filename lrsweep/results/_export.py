"""Export a trial's schedule: a config preset, a Keras-serialized schedule and a snippet to use it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from lrsweep import _keys as keys
from lrsweep._errors import ConfigError
from lrsweep.results._snippet import TrialSetup, snippet
from lrsweep.results._trials import load_study, objectives_of
from lrsweep.schedules import EpochSchedule, MetricSchedule, from_config
from lrsweep.sweep._fingerprint import describe
from lrsweep.sweep._verify import verdicts
from lrsweep.tracking import study_record

__all__ = ["Exported", "export_trial", "pick", "serialize_schedule"]


@dataclass(frozen=True)
class Exported:
    name: str
    config: Path
    schedule_json: Path
    snippet: Path
    trial_number: int
    values: tuple[float, ...]  # one per objective
    rule: str | None = None  # how the trial was picked from a multi-objective study's Pareto front
    fingerprint: str = ""  # the study's main fixed settings, in one line
    experiment: Path | None = None  # the trial's whole job (model, data, optimizer, trainer, schedule)

    @property
    def retrain(self) -> str:
        """The command that retrains the trial: its whole job where it was recorded, else its schedule alone."""
        out = self.config.parent.parent
        if self.experiment is not None:
            return f"lrsweep --config-dir {out} +experiment={self.name}"
        return f"lrsweep --config-dir {out} schedule={self.name}"

    @property
    def value(self) -> float:
        """The (first) objective's value."""
        return self.values[0]


def serialize_schedule(schedule: dict[str, Any], total_steps: int) -> dict[str, Any]:
    """``keras.optimizers.schedules.serialize`` of a step-wise schedule; for the callback families, the callback's
    class, its importable function (or arguments) and the optimizer's initial learning rate."""
    from lrsweep._backend import load_keras

    keras = load_keras()

    params = from_config(schedule)
    if isinstance(params, EpochSchedule):
        function = params.epoch_function()
        return {
            "class_name": "keras.callbacks.LearningRateScheduler",
            "function": f"{function.func.__module__}.{function.func.__qualname__}",  # type: ignore[attr-defined]
            "kwargs": dict(function.keywords),  # type: ignore[attr-defined]
            "initial_learning_rate": params.initial_learning_rate,
        }
    if isinstance(params, MetricSchedule):
        arguments = params.arguments()
        initial = arguments.pop("initial_learning_rate")
        return {
            "class_name": "keras.callbacks.ReduceLROnPlateau",
            "config": arguments,
            "initial_learning_rate": initial,
        }
    return dict(keras.optimizers.schedules.serialize(params.build(total_steps).keras_schedule))


def _preset(schedule: dict[str, Any], total_steps: int, header: str) -> str:
    values = from_config(schedule).for_run(total_steps)  # the schedule the trial ran, whatever the next run's length
    defaults = {"defaults": [f"/schema/schedule/{schedule['family']}@_here_", "_self_"]}
    return header + yaml.safe_dump(defaults, sort_keys=False) + "\n" + yaml.safe_dump(values, sort_keys=False)


def _experiment(job: dict[str, Any], name: str, header: str) -> str:
    """A Hydra experiment (``+experiment=<name>``) that composes the trial's job: each group's chosen option with
    the resolved values the trial ran on top, and the exported schedule preset."""
    choices = job.get("choices", {})
    defaults = [{"override /schedule": name}]
    defaults += [{f"override /{group}": choices[group]} for group in keys.JOB_GROUPS if group in choices]
    values = {group: job[group] for group in keys.JOB_GROUPS if group in job}
    return (
        "# @package _global_\n"
        + header
        + "# Retrains the trial as it ran (run from the folder the sweep ran in: its _target_ imports resolve there):\n"
        + f"#   lrsweep --config-dir <this export folder> +experiment={name}\n"
        + yaml.safe_dump({"defaults": defaults}, sort_keys=False)
        + "\n"
        + yaml.safe_dump(values, sort_keys=False)
    )


def export_trial(study_name: str, storage: str | None, out: str | Path, trial_number: int | None = None) -> Exported:
    """Write the best (or ``trial_number``) trial's schedule under ``out``; log it to the study's MLflow run.

    Files: ``out/schedule/<study>_trial<N>.yaml`` (so ``lrsweep --config-dir out schedule=<study>_trial<N>``
    trains with its schedule), ``out/experiment/<study>_trial<N>.yaml`` (``+experiment=<study>_trial<N>`` retrains
    the trial: its model, data, optimizer, trainer and schedule), ``out/schedule.json`` and ``out/use_schedule.py``.
    """
    import optuna

    study = load_study(study_name, storage)
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    rule = None
    if trial_number is None:
        if not complete:
            raise ConfigError("--study", study_name, "a study with at least one COMPLETE trial")
        trial, rule = pick(study)
    else:
        numbers = [t.number for t in complete]
        if trial_number not in numbers:
            raise ConfigError("--trial", trial_number, f"the number of a COMPLETE trial: one of {numbers}")
        trial = study.trials[trial_number]
    schedule = trial.user_attrs.get(keys.TRIAL_SCHEDULE)
    if not schedule:
        raise ConfigError("--trial", trial.number, "a trial run by lrsweep's sweeper (it keeps its schedule)")
    attrs = trial.user_attrs
    fit = attrs.get(keys.TRIAL_FIT) or attrs  # studies of before lrsweep.fit kept its keys at the top
    total_steps = int(fit.get(keys.FIT_STEPS_PER_EPOCH, 0)) * int(fit.get(keys.FIT_EPOCHS, 0))
    name = f"{study_name}_trial{trial.number}"
    shown = ", ".join(f"{n} {v:.4f}" for n, v in zip(objectives_of(study), trial.values, strict=True))
    header = f"# Exported by lrsweep: study '{study_name}', trial {trial.number}, {shown}\n"

    out = Path(out)
    (out / "schedule").mkdir(parents=True, exist_ok=True)
    config = out / "schedule" / f"{name}.yaml"
    config.write_text(_preset(schedule, total_steps, header))
    experiment = None
    if attrs.get(keys.TRIAL_JOB):  # recorded by this version's sweeps
        (out / "experiment").mkdir(exist_ok=True)
        experiment = out / "experiment" / f"{name}.yaml"
        experiment.write_text(_experiment(attrs[keys.TRIAL_JOB], name, header))
    serialized = serialize_schedule(schedule, total_steps)
    schedule_json = out / "schedule.json"
    schedule_json.write_text(json.dumps(serialized, indent=2) + "\n")
    values = tuple(float(v) for v in trial.values)
    measured = describe(study.user_attrs.get(keys.STUDY_FINGERPRINT))
    module = out / "use_schedule.py"
    exported = Exported(name, config, schedule_json, module, trial.number, values, rule, measured, experiment)
    module.write_text(snippet(serialized, _setup(study_name, trial, exported.retrain)))
    _log_to_mlflow(study, trial, out, [p for p in (config, experiment, schedule_json, module) if p is not None])
    return exported


def pick(study: Any) -> tuple[Any, str | None]:
    """The study's best trial, and how it was picked where a rule did: the verified best where the study
    verified its top configurations over fresh seeds, else the search's best; in a multi-objective study, the
    trial of its Pareto front that is best on the first objective (the next ones break ties)."""
    if len(study.directions) == 1:
        from lrsweep.sweep.trials._queries import best

        found = verdicts(study)
        top = best(study)
        if not found:
            return study.trials[top[0]] if top else study.best_trial, None
        winner, metric = found[0], objectives_of(study)[0]
        rule = (
            f"the verified best: the best mean {metric} over {len(winner.values)} fresh seeds, "
            f"{winner.mean:.4f} ± {winner.std:.4f}"
        )
        if top is not None and top[0] != winner.number:
            rule += f" (the search's best draw was #{top[0]}, {top[1]:.4f})"
        return study.trials[winner.number], rule + "; --trial N exports another"
    objectives = objectives_of(study)
    signs = [-1.0 if d.name == "MAXIMIZE" else 1.0 for d in study.directions]
    chosen = min(study.best_trials, key=lambda t: [s * v for s, v in zip(signs, t.values, strict=True)])
    rule = (
        f"from the Pareto front ({len(study.best_trials)} trials): the best {objectives[0]}, ties broken by "
        f"{', '.join(objectives[1:])}; --trial N exports another"
    )
    return chosen, rule


def _setup(study_name: str, trial: Any, retrain: str) -> TrialSetup:
    """How the trial compiled and fit its model, from the job and the fit its record keeps (where a field is
    missing, :class:`TrialSetup`'s default: the tutorial's SGD, loss and metric)."""
    attrs = trial.user_attrs
    job, fit = attrs.get(keys.TRIAL_JOB) or {}, attrs.get(keys.TRIAL_FIT) or attrs  # older studies: at the top
    trainer = job.get("trainer") or attrs
    known: dict[str, Any] = {name: trainer[name] for name in ("loss", "metrics", "batch_size") if name in trainer}
    if job.get("optimizer") or attrs.get("optimizer"):
        known["optimizer"] = job.get("optimizer") or attrs["optimizer"]
    return TrialSetup(
        study=study_name,
        number=trial.number,
        family=str(attrs.get(keys.TRIAL_FAMILY, attrs[keys.TRIAL_SCHEDULE]["family"])),
        objective=_first(trainer.get("objective", "objective")),
        value=float(trial.values[0]),
        epochs=fit.get(keys.FIT_EPOCHS),
        steps_per_epoch=fit.get(keys.FIT_STEPS_PER_EPOCH),
        retrain=retrain,
        **known,
    )


def _first(objective: Any) -> str:
    """The (first) objective's name: a study's trials record one name, or a list in a multi-objective study."""
    return str(objective[0] if isinstance(objective, list) else objective)


def _log_to_mlflow(study: Any, trial: Any, out: Path, files: list[Path]) -> None:
    record, child = study_record(study), trial.user_attrs.get(keys.TRIAL_RUN)
    if record is None or not child:
        return
    # as the export folder holds them: export/schedule/<name>.yaml, export/schedule.json, …
    folders = [(path, "export" if path.parent == out else f"export/{path.parent.name}") for path in files]
    record.log_export(folders, str(child))
