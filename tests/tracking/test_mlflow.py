"""MLflowTracker against a real SQLite-backed MLflow store."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlflow import MlflowClient

from lrsweep.tracking import MLflowTracker, resolve_tracking_uri


def test_tracking_uri_precedence(monkeypatch, tmp_path):
    assert resolve_tracking_uri() == f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:////elsewhere/m.db")
    assert resolve_tracking_uri() == "sqlite:////elsewhere/m.db"
    assert resolve_tracking_uri("http://127.0.0.1:5000") == "http://127.0.0.1:5000"


def test_run_holds_params_tags_metrics_and_status(tmp_path):
    tracker = MLflowTracker(experiment_name="exp")
    tracker.start(run_name="r", params={"a.b": "1"}, tags={"lrsweep.family": "x"})
    tracker.log_metrics([("lr", 0.5 / (i + 1), i) for i in range(2500)] + [("val_accuracy", 0.25, 0)])
    tracker.log_text("k: v\n", "config.yaml")
    tracker.log_dict({"k": 1}, "schedule.json")
    tracker.set_tags({"lrsweep.status": "finished"})
    tracker.end("finished")

    assert Path("mlflow.db").is_file()  # the default store is in the working directory
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    run = client.get_run(tracker.run_id)
    assert run.info.status == "FINISHED" and run.info.run_name == "r"
    assert run.data.params == {"a.b": "1"}
    assert run.data.tags["lrsweep.family"] == "x" and run.data.tags["lrsweep.status"] == "finished"
    history = client.get_metric_history(tracker.run_id, "lr")
    assert [m.step for m in history] == list(range(2500))
    assert history[9].value == pytest.approx(0.05)
    assert sorted(a.path for a in client.list_artifacts(tracker.run_id)) == ["config.yaml", "schedule.json"]


def test_experiment_is_reused(tmp_path):
    first, second = MLflowTracker(experiment_name="same"), MLflowTracker(experiment_name="same")
    for tracker in (first, second):
        tracker.start(run_name="r", params={}, tags={})
        tracker.end("failed")
    assert first.experiment_id == second.experiment_id
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    assert client.get_run(second.run_id).info.status == "FAILED"


def test_system_metrics_are_sampled_while_the_run_trains_and_stop_with_it(tmp_path):
    """MLflow's system metrics (CPU, memory; GPU utilisation through NVML where there is a GPU) every
    ``system_metrics`` seconds, under the run; off with null."""
    import time

    tracker = MLflowTracker(experiment_name="sys", system_metrics=0.5)
    tracker.start(run_name="r", params={}, tags={})
    time.sleep(1.8)
    tracker.end("finished")
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    history = client.get_metric_history(tracker.run_id, "system/cpu_utilization_percentage")
    assert len(history) >= 2 and all(0 <= m.value <= 100 for m in history)
    assert "system/system_memory_usage_megabytes" in client.get_run(tracker.run_id).data.metrics
    time.sleep(1.0)  # stopped with the run: no sample after it ended
    assert len(client.get_metric_history(tracker.run_id, "system/cpu_utilization_percentage")) == len(history)

    quiet = MLflowTracker(experiment_name="sys", system_metrics=None)
    quiet.start(run_name="q", params={}, tags={})
    time.sleep(0.6)
    quiet.end("finished")
    assert not [k for k in client.get_run(quiet.run_id).data.metrics if k.startswith("system/")]


def test_a_sampling_interval_that_is_not_positive_is_named():
    from lrsweep import ConfigError

    with pytest.raises(ConfigError, match=r"`tracking.system_metrics` must be seconds between samples"):
        MLflowTracker(system_metrics=0)
