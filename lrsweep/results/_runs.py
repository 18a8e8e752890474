"""The MLflow side of a finished study, as ``export`` and ``report`` find it from the study's user attrs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lrsweep import _records as keys

__all__ = ["StudyRecord", "study_record"]


@dataclass(frozen=True)
class StudyRecord:
    """Where a study's runs are: its tracking URI, MLflow client, experiment and parent run."""

    tracking_uri: str
    client: Any
    experiment_id: str
    parent_run_id: str

    def ui_lines(self, what: str = "the study's runs") -> list[str]:
        """The ``mlflow ui`` command and the URL that opens the study's runs (see :mod:`lrsweep.tracking._ui`)."""
        from lrsweep.tracking import ui_lines

        return ui_lines(self.tracking_uri, self.experiment_id, what)


def study_record(study: Any) -> StudyRecord | None:
    """The study's MLflow record, or ``None`` for a study swept without tracking (or whose run is gone)."""
    parent = study.user_attrs.get(keys.STUDY_PARENT_RUN)
    if not parent:
        return None
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    from lrsweep._secrets import reveal
    from lrsweep.tracking import resolve_tracking_uri

    uri = resolve_tracking_uri(reveal(study.user_attrs.get(keys.STUDY_TRACKING_URI)))
    client = MlflowClient(uri)
    try:
        experiment_id = client.get_run(parent).info.experiment_id
    except MlflowException:
        return None
    return StudyRecord(uri, client, str(experiment_id), str(parent))
