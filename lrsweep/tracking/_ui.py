"""Where a study's runs are in the MLflow UI: the command that serves it and the URL that opens them.

MLflow 3.17's UI opens an experiment on its GenAI overview unless the browser's "GenAI / Model training" switch is
on model training; neither the ``mlflow.experimentKind`` tag nor a server option changes that landing. The
``workflowType=machine_learning`` query of a runs URL does: it opens the runs list (the study's parent run with
its trials) whatever the switch says.
"""

from __future__ import annotations

from urllib.parse import urlparse

from lrsweep._secrets import mask

__all__ = ["UI_ADDRESS", "runs_url", "ui_lines", "ui_root"]

UI_ADDRESS = "http://127.0.0.1:5000"
"""Where ``mlflow ui`` serves when given no ``--host``/``--port``."""


def _is_server(tracking_uri: str) -> bool:
    return urlparse(tracking_uri).scheme in ("http", "https")


def ui_root(tracking_uri: str) -> str:
    """The UI's home page: the tracking server itself, or ``mlflow ui`` on its default address for a local store."""
    return mask(tracking_uri).rstrip("/") if _is_server(tracking_uri) else UI_ADDRESS


def runs_url(tracking_uri: str, experiment_id: str, run_id: str | None = None) -> str:
    """The URL of an experiment's runs list in the model-training view (or of one run's page)."""
    path = f"#/experiments/{experiment_id}/runs"
    if run_id is not None:
        path += f"/{run_id}"
    return f"{ui_root(tracking_uri)}/{path}?workflowType=machine_learning"


def ui_lines(tracking_uri: str, experiment_id: str | None, what: str = "the study's runs") -> list[str]:
    """What to type to see ``what`` in the MLflow UI: the ``mlflow ui`` command (for a local store), then the URL."""
    if _is_server(tracking_uri):
        return [] if experiment_id is None else [f"{what} in the MLflow UI: {runs_url(tracking_uri, experiment_id)}"]
    lines = [f"mlflow ui --backend-store-uri {mask(tracking_uri)}"]
    if experiment_id is not None:
        lines.append(f"  then open {what}: {runs_url(tracking_uri, experiment_id)}")
    return lines
