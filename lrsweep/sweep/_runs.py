"""The MLflow side of a study: one parent run per study, one child run per trial."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lrsweep._secrets import mask
from lrsweep.tracking import MLflowTracker

__all__ = ["StudyRuns"]

_ROLE = "lrsweep.role"


class StudyRuns:
    """Find or create the study's parent run (resumed, not duplicated), and make a child run for each trial.

    The experiment is named after the study. The parent's id is kept as the study's user attr
    ``mlflow_parent_run_id``; each trial keeps its child run's id as user attr ``mlflow_run_id``.
    """

    def __init__(self, tracker: MLflowTracker, study: Any, settings: Mapping[str, str]) -> None:
        self.tracker = tracker
        self.client = tracker.client
        self.study = study
        self.experiment_id = tracker.experiment_id_for_name()
        self.parent_run_id = self._parent(settings)
        shown = mask(tracker.tracking_uri)  # for export and report, which reveal it again from the environment
        if study.user_attrs.get("mlflow_tracking_uri") != shown:
            study.set_user_attr("mlflow_tracking_uri", shown)

    def _parent(self, settings: Mapping[str, str]) -> str:
        known = self.study.user_attrs.get("mlflow_parent_run_id")
        if known is None:
            found = self.client.search_runs(
                [self.experiment_id],
                filter_string=f"tags.`{_ROLE}` = 'study' and tags.`optuna.study_name` = '{self.study.study_name}'",
                max_results=1,
            )
            known = found[0].info.run_id if found else None
        if known is not None:
            self.client.update_run(known, status="RUNNING")
            return str(known)
        run = self.client.create_run(
            self.experiment_id,
            run_name=self.study.study_name,
            tags={_ROLE: "study", "optuna.study_name": self.study.study_name},
        )
        from mlflow.entities import Param

        self.client.log_batch(run.info.run_id, params=[Param(k, v) for k, v in settings.items()])
        self.study.set_user_attr("mlflow_parent_run_id", run.info.run_id)
        return str(run.info.run_id)

    def child(self, number: int) -> str:
        from mlflow.entities import Param

        tags = {
            "mlflow.parentRunId": self.parent_run_id,
            _ROLE: "trial",
            "optuna.study_name": self.study.study_name,
            "optuna.trial_number": str(number),
            "optuna.state": "RUNNING",
        }
        run = self.client.create_run(self.experiment_id, run_name=f"trial-{number}", tags=tags)
        params = [Param("optuna.study_name", self.study.study_name), Param("optuna.trial_number", str(number))]
        self.client.log_batch(run.info.run_id, params=params)
        return str(run.info.run_id)

    def finish_child(self, run_id: str, state: str, value: float | None, reason: str | None) -> None:
        from mlflow.entities import Metric, RunTag

        tags = [RunTag("optuna.state", state)]
        if reason:
            tags.append(RunTag("optuna.fail_reason", reason[:4000]))
        metrics = [] if value is None else [Metric("optuna.value", float(value), 0, 0)]
        self.client.log_batch(run_id, metrics=metrics, tags=tags)
        if self.client.get_run(run_id).info.status == "RUNNING":  # the job never got to close it
            self.client.set_terminated(run_id, "FINISHED" if state in ("COMPLETE", "PRUNED") else "FAILED")

    def log_best(self, number: int, value: float) -> None:
        from mlflow.entities import Metric

        self.client.log_batch(self.parent_run_id, metrics=[Metric("best_value", float(value), 0, number)])

    def finish(self, status: str) -> None:
        self.client.set_terminated(self.parent_run_id, status)
