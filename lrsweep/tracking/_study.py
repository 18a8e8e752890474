"""A swept study's runs, found again from its user attrs, for ``lrsweep export``, ``report`` and ``check``.

The sweep's :class:`~lrsweep.tracking._mlflow.MLflowStudyTracker` made them: the experiment named after the study,
the parent run's id the study's user attr ``mlflow_parent_run_id``, each trial's child run id its user attr
``mlflow_run_id``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lrsweep import _keys as keys
from lrsweep._secrets import reveal
from lrsweep.tracking._mlflow import resolve_tracking_uri

__all__ = ["RunView", "StudyRecord", "StudyRuns", "study_record", "study_runs"]


@dataclass(frozen=True)
class StudyRecord:
    """Where a finished study's runs are: its tracking URI, experiment and parent run."""

    tracking_uri: str
    client: Any
    experiment_id: str
    parent_run_id: str

    def ui_lines(self, what: str = "the study's runs") -> list[str]:
        """The ``mlflow ui`` command and the URL that opens the study's runs (see :mod:`lrsweep.tracking._ui`)."""
        from lrsweep.tracking._ui import ui_lines

        return ui_lines(self.tracking_uri, self.experiment_id, what)

    def log_export(self, files: Sequence[tuple[Path, str]], best_run_id: str) -> None:
        """An export's files as artifacts of the parent run (each in its folder), and ``best_run_id`` tagged the
        study's best (``lrsweep.best``), the tag taken from any run that had it."""
        for path, folder in files:
            self.client.log_artifact(self.parent_run_id, str(path), artifact_path=folder)
        for run in self.client.search_runs([self.experiment_id], filter_string=f"tags.`{keys.TAG_BEST}` = 'true'"):
            self.client.set_tag(run.info.run_id, keys.TAG_BEST, "false")
        self.client.set_tag(best_run_id, keys.TAG_BEST, "true")


def study_record(study: Any) -> StudyRecord | None:
    """The study's MLflow record, or ``None`` for a study swept without tracking (or whose run is gone)."""
    parent = study.user_attrs.get(keys.STUDY_PARENT_RUN)
    if not parent:
        return None
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    uri = resolve_tracking_uri(reveal(study.user_attrs.get(keys.STUDY_TRACKING_URI)))
    client = MlflowClient(uri)
    try:
        experiment_id = client.get_run(parent).info.experiment_id
    except MlflowException:
        return None
    return StudyRecord(uri, client, str(experiment_id), str(parent))


@dataclass(frozen=True)
class RunView:
    """One trial run as ``lrsweep check`` reads it: MLflow's status word (``FINISHED``, ``FAILED``, …), its tags
    and its metrics' last values."""

    run_id: str
    status: str
    tags: Mapping[str, str]
    metrics: Mapping[str, float]


@dataclass(frozen=True)
class StudyRuns:
    """What the tracking store holds of a study: its parent runs (one, if all is well) and its trial runs."""

    parents: list[str]
    trials: list[RunView]


def study_runs(tracking_uri: str, study_name: str) -> StudyRuns | None:
    """The study's runs in the experiment named after it at ``tracking_uri`` (masked or not); ``None`` when there
    is no such experiment."""
    from mlflow import MlflowClient

    client = MlflowClient(reveal(tracking_uri))
    experiment = client.get_experiment_by_name(study_name)
    if experiment is None:
        return None
    role = f"tags.`{keys.TAG_ROLE}`"
    study = f"tags.`{keys.TAG_STUDY}` = '{study_name}'"
    parents = client.search_runs([experiment.experiment_id], filter_string=f"{role} = '{keys.ROLE_STUDY}' and {study}")
    trials = [
        RunView(run.info.run_id, run.info.status, dict(run.data.tags), dict(run.data.metrics))
        for run in _pages(client, experiment.experiment_id, f"{role} = '{keys.ROLE_TRIAL}' and {study}")
    ]
    return StudyRuns([run.info.run_id for run in parents], trials)


def _pages(client: Any, experiment_id: str, query: str) -> Iterator[Any]:
    token = None
    while True:
        page = client.search_runs([experiment_id], filter_string=query, max_results=1000, page_token=token)
        yield from page
        token = page.token
        if not token:
            return
