"""MLflow tracking through :class:`mlflow.MlflowClient`, one explicit run id, no global active run: a trial's
runs (:class:`MLflowTracker`) and a study's parent run with its trials' runs (:class:`MLflowStudyTracker`)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lrsweep import _keys as keys
from lrsweep._secrets import mask, reveal
from lrsweep.tracking._base import Metric, StudyTracker, Tracker

if TYPE_CHECKING:
    from optuna import Study

__all__ = ["MLflowStudyTracker", "MLflowTracker", "resolve_tracking_uri"]

# MLflow's limits for one log_batch request.
_MAX_METRICS_PER_BATCH = 1000
_MAX_PARAMS_PER_BATCH = 100
_EXPERIMENT_TAGS = {"mlflow.experimentKind": "custom_model_development"}
_STATUS = {"finished": "FINISHED", "pruned": "FINISHED", "failed": "FAILED", "killed": "KILLED"}


# What MLflow can track to (mlflow.tracking._tracking_service.utils), plus a driver suffix (postgresql+psycopg).
_SCHEMES = ("", "file", "sqlite", "postgresql", "mysql", "mssql", "http", "https", "databricks", "databricks-uc", "uc")


def _check_scheme(uri: str, from_config: bool) -> None:
    """A URI MLflow can track to, else an error naming ``tracking_uri`` (or ``$MLFLOW_TRACKING_URI``)."""
    from urllib.parse import urlparse

    scheme = urlparse(uri).scheme.split("+")[0]
    if len(scheme) == 1 or scheme in _SCHEMES:  # one letter: a Windows drive, a local path
        return
    from lrsweep._errors import ConfigError, TrackingError

    allowed = "a folder or a URI with a scheme MLflow tracks to: " + ", ".join(s for s in _SCHEMES if s)
    if from_config:
        raise ConfigError("tracking_uri", mask(uri), allowed)
    raise TrackingError(f"`$MLFLOW_TRACKING_URI` must be {allowed}. Received: {mask(uri)!r}")


def resolve_tracking_uri(tracking_uri: str | None = None) -> str:
    """``tracking_uri``, else ``$MLFLOW_TRACKING_URI``, else ``sqlite:///<cwd>/mlflow.db``."""
    return tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{Path.cwd() / 'mlflow.db'}"


class MLflowTracker(Tracker):
    """Log a trial as one MLflow run in ``experiment_name``.

    Args:
        tracking_uri: any MLflow tracking URI; ``None`` follows :func:`resolve_tracking_uri`.
        experiment_name: the experiment, created on first use.
        run_name: the run's name; ``None`` lets the trial name it after the schedule family.
        run_id: log into this existing run instead of creating one. A sweeper creates each trial's run and
            owns it: the tracker fills it, and leaves its status (opened and closed by the sweeper) alone.
        parent_run_id: make a new run the child of this one (``mlflow.parentRunId``).
        system_metrics: seconds between samples of the machine's CPU, memory and GPU use (MLflow's system
            metrics, ``system/gpu_0_utilization_percentage`` …; GPUs through NVML) while the run trains;
            ``None``: off.
    """

    def __init__(
        self,
        tracking_uri: str | None = None,
        experiment_name: str = "lrsweep",
        run_name: str | None = None,
        run_id: str | None = None,
        parent_run_id: str | None = None,
        system_metrics: float | None = None,
    ) -> None:
        if system_metrics is not None and not system_metrics > 0:
            from lrsweep._errors import ConfigError

            raise ConfigError("tracking.system_metrics", system_metrics, "seconds between samples (> 0) or null")
        self.system_metrics = system_metrics
        self._monitor: Any = None
        if not isinstance(experiment_name, str) or not experiment_name.strip():
            from lrsweep._errors import ConfigError

            raise ConfigError("experiment_name", experiment_name, "a non-empty name (MLflow's experiment)")
        self.tracking_uri = resolve_tracking_uri(reveal(tracking_uri))
        _check_scheme(self.tracking_uri, from_config=tracking_uri is not None)
        self.experiment_name = experiment_name
        self.run_name = run_name
        self.run_id: str | None = run_id
        self._owns_run = run_id is None
        self.parent_run_id = parent_run_id
        self.experiment_id: str | None = None
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            from mlflow import MlflowClient

            self._client = MlflowClient(tracking_uri=self.tracking_uri)
        return self._client

    def experiment_id_for_name(self) -> str:
        """The id of ``experiment_name``, created if it does not exist yet."""
        experiment = self.client.get_experiment_by_name(self.experiment_name)
        if experiment is not None:
            return str(experiment.experiment_id)
        try:
            # The UI then opens the experiment on its runs (model training), not on GenAI traces.
            return str(self.client.create_experiment(self.experiment_name, tags=_EXPERIMENT_TAGS))
        except Exception:  # created meanwhile by a concurrent trial
            experiment = self.client.get_experiment_by_name(self.experiment_name)
            if experiment is None:
                raise
            return str(experiment.experiment_id)

    def check_params(self, params: Mapping[str, str]) -> None:
        """A param MLflow would truncate (values over its length limit) or refuse (keys over theirs) is bad input:
        one line naming it, before the run exists."""
        from mlflow.utils.validation import MAX_ENTITY_KEY_LENGTH, MAX_PARAM_VAL_LENGTH

        from lrsweep._errors import ConfigError

        for key, value in params.items():
            if len(key) > MAX_ENTITY_KEY_LENGTH:
                raise ConfigError(key[:60] + "…", "…", f"a key of at most {MAX_ENTITY_KEY_LENGTH} characters "
                                  f"(MLflow's limit for a param name; it has {len(key)})")  # fmt: skip
            if len(str(value)) > MAX_PARAM_VAL_LENGTH:
                shown = f"{str(value)[:40]}… ({len(str(value))} characters)"
                raise ConfigError(key, shown, f"at most {MAX_PARAM_VAL_LENGTH} characters (MLflow keeps no more in a "
                                  "param)")  # fmt: skip

    def start(self, *, run_name: str, params: Mapping[str, str], tags: Mapping[str, str]) -> None:
        from mlflow.entities import Param

        if self.run_id is not None:  # a run made for this trial beforehand, by its owner
            self.experiment_id = self.client.get_run(self.run_id).info.experiment_id
            self.set_tags(tags)
        else:
            self.experiment_id = self.experiment_id_for_name()
            all_tags = {**tags, **({"mlflow.parentRunId": self.parent_run_id} if self.parent_run_id else {})}
            run = self.client.create_run(self.experiment_id, run_name=self.run_name or run_name, tags=all_tags)
            self.run_id = run.info.run_id
        items = [Param(key, value) for key, value in params.items()]
        for start in range(0, len(items), _MAX_PARAMS_PER_BATCH):
            self.client.log_batch(self.run_id, params=items[start : start + _MAX_PARAMS_PER_BATCH])
        if self.system_metrics is not None:
            self._monitor = _system_monitor(self.run_id, self.tracking_uri, self.system_metrics)

    def log_metrics(self, metrics: Iterable[Metric]) -> None:
        from mlflow.entities import Metric as MlflowMetric

        now = int(time.time() * 1000)
        items = [MlflowMetric(key, float(value), now, int(step)) for key, value, step in metrics]
        for start in range(0, len(items), _MAX_METRICS_PER_BATCH):
            self.client.log_batch(self.run_id, metrics=items[start : start + _MAX_METRICS_PER_BATCH])

    def set_tags(self, tags: Mapping[str, str]) -> None:
        from mlflow.entities import RunTag

        self.client.log_batch(self.run_id, tags=[RunTag(key, str(value)) for key, value in tags.items()])

    def log_text(self, text: str, path: str) -> None:
        self.client.log_text(self.run_id, text, path)

    def log_input(self, dataset: Mapping[str, Any]) -> None:
        """``mlflow.log_input``'s record: the dataset's name, digest, source and shapes, in the training context."""
        import json

        from mlflow.entities import Dataset, DatasetInput, InputTag

        source = str(dataset.get("source", ""))
        local = Path(source).exists()
        record = Dataset(
            name=str(dataset.get("name", "dataset")),
            digest=str(dataset.get("digest", "")),
            source_type="local" if local else "code",
            source=json.dumps({"uri": source} if local else {"factory": source}),
            schema=json.dumps({"targets": dataset.get("targets")}),
            profile=json.dumps({k: dataset[k] for k in ("train", "val") if k in dataset}),
        )
        tags = [InputTag("mlflow.data.context", "training")]
        self.client.log_inputs(self.run_id, datasets=[DatasetInput(record, tags)])

    def log_dict(self, data: Mapping[str, Any], path: str) -> None:
        self.client.log_dict(self.run_id, dict(data), path)

    def log_figure(self, figure: Any, path: str) -> None:
        self.client.log_figure(self.run_id, figure, path)

    def end(self, status: str) -> None:
        if self._monitor is not None:  # its last samples are logged while the run is still open
            self._monitor.finish()
            self._monitor = None
        if self.run_id is not None and self._owns_run:
            self.client.set_terminated(self.run_id, _STATUS[status])

    def study_tracker(
        self, study: Study, settings: Mapping[str, str], objectives: Sequence[str]
    ) -> StudyTracker | None:
        """The study's parent run in the experiment named after the study, and its trials' runs under it."""
        self.experiment_name = study.study_name
        return MLflowStudyTracker(self, study, settings, objectives)

    def describe(self) -> str:
        return f"MLflow run {self.run_id} in experiment '{self.experiment_name}' at {mask(self.tracking_uri)}"


def _system_monitor(run_id: str, tracking_uri: str, interval: float) -> Any:
    """MLflow's system-metrics monitor for the run, started; ``None`` (with a warning) where it cannot run."""
    import logging

    logging.getLogger("mlflow.system_metrics").setLevel(logging.WARNING)  # not two INFO lines per trial
    try:
        from mlflow.system_metrics.system_metrics_monitor import SystemMetricsMonitor
    except ImportError as error:  # psutil missing
        logging.getLogger("lrsweep.tracking").warning("no system metrics: %s", error)
        return None
    monitor = SystemMetricsMonitor(run_id, sampling_interval=interval, tracking_uri=tracking_uri)
    monitor.start()
    return monitor


_FINISHED = ("COMPLETE", "PRUNED")  # the Optuna states whose run ends finished; any other, failed


class MLflowStudyTracker(StudyTracker):
    """The study's parent run, found or created, and a child run for each trial (see :class:`StudyTracker`)."""

    def __init__(
        self, tracker: MLflowTracker, study: Study, settings: Mapping[str, str], objectives: Sequence[str] = ("value",)
    ) -> None:
        self.tracker = tracker
        self.tracking_uri = tracker.tracking_uri
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
        """The value is metric ``optuna.value``; in a multi-objective study each objective's is
        ``optuna.value.<objective>``, and ``front_size`` the parent run's ``pareto_front_size``."""
        from mlflow.entities import Metric, RunTag

        tags = [RunTag(keys.TAG_STATE, state)]
        if reason:
            tags.append(RunTag(keys.TAG_FAIL_REASON, reason[:4000]))
        metrics = []
        if values is not None:
            names = keys.value_metrics(self.objectives) if len(values) == len(self.objectives) else [keys.METRIC_VALUE]
            metrics = [Metric(name, float(value), 0, 0) for name, value in zip(names, values, strict=False)]
        self.client.log_batch(run_id, metrics=metrics, tags=tags)
        self.client.set_terminated(run_id, _STATUS[status or ("finished" if state in _FINISHED else "failed")])
        if front_size is not None and values is not None:
            self.client.log_batch(self.parent_run_id, metrics=[Metric(keys.METRIC_FRONT, float(front_size), 0, 0)])

    def log_best(self, number: int, value: float) -> None:
        from mlflow.entities import Metric

        self.client.log_batch(self.parent_run_id, metrics=[Metric(keys.METRIC_BEST, float(value), 0, number)])

    def log_params(self, params: Mapping[str, str]) -> None:
        from mlflow.entities import Param

        self.client.log_batch(self.parent_run_id, params=[Param(k, v) for k, v in params.items()])

    def nested(self) -> Tracker:
        return MLflowTracker(
            tracking_uri=self.tracking_uri, experiment_name=self.study.study_name, parent_run_id=self.parent_run_id
        )

    def finish(self, status: str) -> None:
        self.client.set_terminated(self.parent_run_id, _STATUS[status])

    def ui_lines(self, what: str = "the study's runs") -> list[str]:
        from lrsweep.tracking._ui import ui_lines

        return ui_lines(self.tracking_uri, self.experiment_id, what)
