"""Trackers: where a trial's params, metrics and artifacts go (``tracking=mlflow`` or ``tracking=none``)."""

from __future__ import annotations

from lrsweep.tracking._base import Metric, NullTracker, Tracker
from lrsweep.tracking._mlflow import MLflowTracker, resolve_tracking_uri
from lrsweep.tracking._ui import runs_url, ui_lines

__all__ = ["MLflowTracker", "Metric", "NullTracker", "Tracker", "resolve_tracking_uri", "runs_url", "ui_lines"]
