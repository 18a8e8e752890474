"""Trackers: where a trial's params, metrics and artifacts go (``tracking=mlflow`` or ``tracking=none``), and a
study's side of them: the parent run a sweep opens and closes, and the lookups ``export``, ``report`` and
``check`` make afterwards. All of lrsweep's MLflow code lives in this package.
"""

from __future__ import annotations

from lrsweep.tracking._base import Metric, NullTracker, StudyTracker, Tracker
from lrsweep.tracking._mlflow import MLflowTracker, resolve_tracking_uri
from lrsweep.tracking._study import RunView, StudyRecord, StudyRuns, study_record, study_runs
from lrsweep.tracking._ui import runs_url, ui_lines

__all__ = [
    "MLflowTracker",
    "Metric",
    "NullTracker",
    "RunView",
    "StudyRecord",
    "StudyRuns",
    "StudyTracker",
    "Tracker",
    "resolve_tracking_uri",
    "runs_url",
    "study_record",
    "study_runs",
    "ui_lines",
]
