"""The MLflow side of a study: one parent run per study, one child run per trial, opened and closed here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from lrsweep import _records as keys
from lrsweep._secrets import mask

if TYPE_CHECKING:
    from optuna import Study

    from lrsweep.tracking import MLflowTracker

__all__ = ["StudyRuns"]

_STATUS = {"COMPLETE": "FINISHED", "PRUNED": "FINISHED"}


class StudyRuns:
    """Find or create the study's parent run (resumed, not duplicated), and make a child run for each trial.

    The experiment is named after the study. The parent's id is kept as the study's user attr
    ``mlflow_parent_run_id``; each trial keeps its child run's id as user attr ``mlflow_run_id``.
    A child run is created RUNNING by :meth:`child`, filled by the trial's job, and ended by :meth:`finish_child`.
    """

    def __init__(
        self, tracker: MLflowTracker, study: Study, settings: Mapping[str, str], objectives: Sequence[str] = ("value",)
    ) -> None:
        self.tracker = tracker
        self.objectives = list(objectives)
        self.client = tracker.client
        self.study = study
        self.experiment_id = tracker.experiment_id_for_name()
        self.parent_run_id = self._parent(settings)
        shown = mask(tracker.tracking_uri)  # for export and report, which reveal it again from the environment
        if study.user_attrs.get(keys.STUDY_TRACKING_URI) != shown:
            study.set_user_attr(keys.STUDY_TRACKING_URI, shown)

    def _parent(self, settings: Mapping[str, str]) -> str:
        known = self.study.user_attrs.get(keys.STUDY_PARENT_RUN)
        if known is None:
            found = self.client.search_runs(
                [self.experiment_id],
                filter_string=(
                    f"tags.`{keys.TAG_ROLE}` = '{keys.ROLE_STUDY}' "
                    f"and tags.`{keys.TAG_STUDY}` = '{self.study.study_name}'"
                ),
                max_results=1,
            )
            known = found[0].info.run_id if found else None
        if known is not None:
            self.client.update_run(known, status="RUNNING")
            return str(known)
        run = self.client.create_run(
            self.experiment_id,
            run_name=self.study.study_name,
            tags={keys.TAG_ROLE: keys.ROLE_STUDY, keys.TAG_STUDY: self.study.study_name},
        )
        from mlflow.entities import Param

        self.client.log_batch(run.info.run_id, params=[Param(k, v) for k, v in settings.items()])
        self.study.set_user_attr(keys.STUDY_PARENT_RUN, run.info.run_id)
        return str(run.info.run_id)

    def child(self, number: int) -> str:
        from mlflow.entities import Param

        tags = {
            keys.TAG_PARENT: self.parent_run_id,
            keys.TAG_ROLE: keys.ROLE_TRIAL,
            keys.TAG_STUDY: self.study.study_name,
            keys.TAG_TRIAL: str(number),
            keys.TAG_STATE: "RUNNING",
        }
        run = self.client.create_run(self.experiment_id, run_name=f"trial-{number}", tags=tags)
        params = [Param(keys.TAG_STUDY, self.study.study_name), Param(keys.TAG_TRIAL, str(number))]
        self.client.log_batch(run.info.run_id, params=params)
        return str(run.info.run_id)

    def finish_child(
        self,
        run_id: str,
        state: str,
        values: Sequence[float] | None,
        reason: str | None,
        status: str | None = None,
        front_size: int | None = None,
    ) -> None:
        """Record the trial's Optuna state (and values or reason) and end its run: FINISHED, FAILED or ``status``.

        The value is metric ``optuna.value``; in a multi-objective study each objective's is
        ``optuna.value.<objective>``, and ``front_size`` (the Pareto front now) the parent run's
        ``pareto_front_size``.
        """
        from mlflow.entities import Metric, RunTag

        tags = [RunTag(keys.TAG_STATE, state)]
        if reason:
            tags.append(RunTag(keys.TAG_FAIL_REASON, reason[:4000]))
        metrics = []
        if values is not None:
            names = keys.value_metrics(self.objectives) if len(values) == len(self.objectives) else [keys.METRIC_VALUE]
            metrics = [Metric(name, float(value), 0, 0) for name, value in zip(names, values, strict=False)]
        self.client.log_batch(run_id, metrics=metrics, tags=tags)
        self.client.set_terminated(run_id, status or _STATUS.get(state, "FAILED"))
        if front_size is not None and values is not None:
            self.client.log_batch(self.parent_run_id, metrics=[Metric(keys.METRIC_FRONT, float(front_size), 0, 0)])

    def log_best(self, number: int, value: float) -> None:
        from mlflow.entities import Metric

        self.client.log_batch(self.parent_run_id, metrics=[Metric(keys.METRIC_BEST, float(value), 0, number)])

    def finish(self, status: str) -> None:
        self.client.set_terminated(self.parent_run_id, status)
