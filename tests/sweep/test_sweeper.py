"""`lrsweep -m +sweep=...` end to end: the Optuna study and the MLflow store, trial by trial."""

from __future__ import annotations

import contextlib
import itertools
import json
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import optuna
import pytest
import yaml
from mlflow import MlflowClient

from tests.commands import LRSWEEP, at_a_terminal, run_lrsweep
from tests.conftest import free_port
from tests.servers import fresh_database

pytestmark = pytest.mark.slow
SWEEPS = Path(__file__).resolve().parents[2] / "sweeps"
DONE = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)


def command(*args: str) -> list[str]:
    return [LRSWEEP, "-m", *args]


def lrsweep(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_lrsweep("-m", *args, cwd=cwd)


def study(cwd: Path, name: str) -> optuna.Study:
    return optuna.load_study(study_name=name, storage=f"sqlite:///{cwd / 'lrsweep.db'}")


def mlflow(cwd: Path) -> MlflowClient:
    return MlflowClient(f"sqlite:///{cwd / 'mlflow.db'}")


def child_runs(cwd: Path, name: str) -> list:
    client = mlflow(cwd)
    experiment = client.get_experiment_by_name(name)
    return client.search_runs([experiment.experiment_id], filter_string="tags.`lrsweep.role` = 'trial'")


def assert_study_and_mlflow_agree(cwd: Path, name: str) -> None:
    client, trials = mlflow(cwd), study(cwd, name).trials
    experiment = client.get_experiment_by_name(name)
    (parent,) = client.search_runs([experiment.experiment_id], filter_string="tags.`lrsweep.role` = 'study'")
    runs = {int(r.data.tags["optuna.trial_number"]): r for r in child_runs(cwd, name)}
    ended = [t for t in trials if t.state.is_finished()]
    assert sorted(runs) == sorted(t.number for t in ended), "exactly one child run per finished trial"
    for trial in ended:
        run = runs[trial.number]
        assert trial.user_attrs["mlflow_run_id"] == run.info.run_id
        assert run.data.tags["mlflow.parentRunId"] == parent.info.run_id
        assert run.data.tags["optuna.state"] == trial.state.name
        assert run.data.params["optuna.trial_number"] == str(trial.number)
        started = "schedule.family" in run.data.params  # an interrupted trial may end before its job starts
        assert started or trial.state == optuna.trial.TrialState.FAIL
        for override in trial.user_attrs["overrides"] if started else []:
            key, _, value = override.partition("=")
            if key.startswith("schedule."):
                assert yaml.safe_load(run.data.params[key]) == yaml.safe_load(value), key
        if trial.state == optuna.trial.TrialState.COMPLETE:
            history = client.get_metric_history(run.info.run_id, "val_accuracy")
            assert trial.value == pytest.approx(max(history, key=lambda m: m.step).value)
            assert run.data.metrics["optuna.value"] == pytest.approx(trial.value)
            assert run.data.tags["lrsweep.status"] == "finished"


def test_exponential_decay_sweep_agrees_trial_by_trial(tmp_path):
    done = lrsweep("+sweep=exponential_decay", "hydra.sweeper.n_trials=4", "trainer.epochs=2", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "best trial #" in done.stdout and "optuna-dashboard sqlite:///" in done.stdout
    trials = study(tmp_path, "exponential_decay").trials
    assert len(trials) == 4 and all(t.state in DONE for t in trials)
    # The preset's 500 decay steps lie beyond this 10-step run, outside the space: not enqueued, so no trial the
    # sampler learns from lies outside its distributions.
    assert "not enqueued (schedule.decay_steps_fraction=50 outside the space): preset" in done.stdout + done.stderr
    assert not any(t.system_attrs.get("fixed_params") for t in trials)
    for trial in trials:
        for name, value in trial.params.items():
            distribution = trial.distributions[name]
            choices = getattr(distribution, "choices", None)
            assert value in choices if choices else distribution.low <= value <= distribution.high
    best = study(tmp_path, "exponential_decay").best_trial
    (results,) = tmp_path.glob("multirun/*/*/optimization_results.yaml")  # as hydra-optuna-sweeper writes it
    written = yaml.safe_load(results.read_text())
    assert written["best_value"] == best.value and written["best_trial"] == best.number
    assert written["best_params"]["schedule.decay_rate"] == pytest.approx(best.params["schedule.decay_rate"])
    assert_study_and_mlflow_agree(tmp_path, "exponential_decay")
    assert_opens_in_optuna_dashboard(f"sqlite:///{tmp_path / 'lrsweep.db'}", "exponential_decay")


def assert_opens_in_optuna_dashboard(storage: str, name: str) -> None:
    """Serve the study with the real optuna-dashboard on a loopback port and read it through its HTTP API."""
    port = free_port()
    dashboard = str(Path(sys.executable).with_name("optuna-dashboard"))
    server = subprocess.Popen(
        [dashboard, storage, "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        studies = None
        for _ in range(60):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/studies", timeout=2) as response:
                    studies = json.load(response)["study_summaries"]
                break
            except OSError:
                time.sleep(0.5)
        assert studies is not None, "optuna-dashboard did not answer"
        (entry,) = [s for s in studies if s["study_name"] == name]
        url = f"http://127.0.0.1:{port}/api/studies/{entry['study_id']}?after=0"
        with urllib.request.urlopen(url, timeout=10) as response:
            detail = json.load(response)
        assert len(detail["trials"]) == 4
        names = {p["name"] for trial in detail["trials"] for p in trial["params"]}
        assert {"schedule.initial_learning_rate", "schedule.decay_rate", "schedule.staircase"} <= names
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_interrupted_sweep_resumes_to_exactly_n_trials(tmp_path):
    args = ("+sweep=constant", "hydra.sweeper.n_trials=3", "trainer.epochs=30", "hydra/sweeper/pruner=none")
    log = tmp_path / "sweep.log"
    with open(log, "w") as output:
        process = subprocess.Popen(
            command(*args), cwd=tmp_path, stdout=output, stderr=subprocess.STDOUT, preexec_fn=at_a_terminal
        )
    deadline = time.monotonic() + 300
    # Wait until one trial is done and the next one is in its 30 epochs: Ctrl-C then lands mid-training (a wide
    # window: on a loaded 2-core machine a poll can miss a narrow one, and the sweep ends uninterrupted).
    while time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.2)
        db = tmp_path / "lrsweep.db"
        if not db.exists():
            continue
        try:
            with contextlib.closing(sqlite3.connect(db)) as connection:
                states = [s for (s,) in connection.execute("select state from trials")]
                epochs = connection.execute(
                    "select count(*) from trial_intermediate_values v join trials t on t.trial_id = v.trial_id "
                    "where t.state = 'RUNNING'"
                ).fetchone()[0]
        except sqlite3.OperationalError:  # the sweep is still creating Optuna's tables
            continue
        if states.count("COMPLETE") + states.count("PRUNED") >= 1 and 1 <= epochs <= 25:  # of 30: mid-training
            break
    assert process.poll() is None, "the sweep ended before it could be interrupted mid-trial"
    # Ctrl-C, and again after 8 s as a user would: in a few runs of the suite on a 2-core machine one SIGINT went
    # unanswered (the sweep trained on; cause not found). A handled one ends the sweep in about 3 s.
    for _ in range(15):
        process.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=8)
            break
    assert process.returncode != 0, log.read_text()[-3000:]
    interrupted = study(tmp_path, "constant").trials
    assert interrupted[-1].state == optuna.trial.TrialState.FAIL
    assert interrupted[-1].user_attrs["fail_reason"] == "interrupted"

    done = lrsweep(*args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    trials = study(tmp_path, "constant").trials
    assert sum(t.state in DONE for t in trials) == 3
    numbers = [int(r.data.tags["optuna.trial_number"]) for r in child_runs(tmp_path, "constant")]
    assert len(numbers) == len(set(numbers)) == len(trials)
    assert_study_and_mlflow_agree(tmp_path, "constant")


def test_aggressive_pruner_stops_trials_before_their_last_epoch(tmp_path):
    done = lrsweep(
        "+sweep=constant",
        "hydra.sweeper.n_trials=6",
        "trainer.epochs=3",
        "hydra/sweeper/sampler=random",
        "hydra.sweeper.pruner.n_startup_trials=1",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    pruned = [t for t in study(tmp_path, "constant").trials if t.state == optuna.trial.TrialState.PRUNED]
    assert pruned, "no trial was pruned"
    runs = {int(r.data.tags["optuna.trial_number"]): r for r in child_runs(tmp_path, "constant")}
    for trial in pruned:
        assert max(trial.intermediate_values) < 2  # stopped before the last epoch
        run = runs[trial.number]
        assert run.data.tags["lrsweep.status"] == "pruned"
        assert int(run.data.tags["lrsweep.epochs_completed"]) == max(trial.intermediate_values) + 1
    assert_study_and_mlflow_agree(tmp_path, "constant")


def test_failed_trial_is_recorded_and_the_sweep_goes_on(tmp_path):
    done = lrsweep(
        "+sweep=constant",
        "hydra.sweeper.n_trials=1",
        "data.normalize=false",
        "schedule.initial_learning_rate=choice(0.01, 1e6)",
        "hydra.sweeper.enqueue=[{schedule.initial_learning_rate: 1e6}, {schedule.initial_learning_rate: 0.01}]",
        "hydra.sweeper.enqueue_share=null",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    failed, completed = study(tmp_path, "constant").trials
    assert failed.state == optuna.trial.TrialState.FAIL
    assert failed.user_attrs["fail_reason"].startswith("loss became nan")
    assert completed.state == optuna.trial.TrialState.COMPLETE
    runs = {int(r.data.tags["optuna.trial_number"]): r for r in child_runs(tmp_path, "constant")}
    assert runs[0].info.status == "FAILED"
    assert runs[0].data.tags["lrsweep.failure_reason"].startswith("loss became nan")
    assert_study_and_mlflow_agree(tmp_path, "constant")


def test_a_sweep_whose_trials_keep_failing_stops_with_one_message(tmp_path):
    done = lrsweep(
        "+sweep=constant",
        "hydra.sweeper.n_trials=10",
        "data.normalize=false",
        "schedule.initial_learning_rate=choice(1e6, 1e7)",
        "hydra.sweeper.enqueue=[]",
        cwd=tmp_path,
    )
    assert done.returncode != 0
    assert "more than hydra.sweeper.max_failure_rate=0.5" in done.stderr
    assert len(study(tmp_path, "constant").trials) == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("schedule.initial_learning_rate=interval(1)",),
            "`schedule.initial_learning_rate` must be a valid override value (TypeError while evaluating 'interval(1)'",
        ),  # Hydra's own parser, its message in one line
        (
            ("schedule.initial_learning_rate=interval(0.9, 0.1)",),
            "`hydra.sweeper.params.schedule.initial_learning_rate` must be interval(a, b) with a < b",
        ),
        (("hydra/sweeper/sampler=grid",), "`hydra.sweeper.params.schedule.initial_learning_rate` must be"),
        (("hydra.sweeper.n_trials=0",), "`hydra.sweeper.n_trials` must be >= 1"),
        (("schedule.initial_learning_rate=-1",), "`schedule.initial_learning_rate` must be > 0"),
        (("hydra.sweeper.sampler=nope",), "`hydra.sweeper.sampler` must be a preset, hydra/sweeper/sampler=tpe|"),
        (("hydra.sweeper.pruner=nope",), "`hydra.sweeper.pruner` must be a preset, hydra/sweeper/pruner=median|"),
        (("hydra.sweeper.lr_range=always",), "`hydra.sweeper.lr_range` must be auto or null (off)"),
    ],
)
def test_bad_sweep_input_stops_before_any_trial(tmp_path, args, message):
    done = lrsweep("+sweep=constant", *args, cwd=tmp_path)
    assert done.returncode != 0
    assert message in done.stderr
    assert not (tmp_path / "lrsweep.db").exists() and not (tmp_path / "mlflow.db").exists()


def test_two_parallel_slots_lose_no_trial_and_never_lock_the_database(tmp_path):
    done = lrsweep(
        "+sweep=constant", "hydra.sweeper.n_trials=4", "hydra.sweeper.n_jobs=2", "trainer.epochs=2", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "database is locked" not in done.stdout + done.stderr
    trials = study(tmp_path, "constant").trials
    assert len(trials) == 4 and all(t.state in DONE for t in trials)
    overlapping = sorted((t.datetime_start, t.datetime_complete) for t in trials)
    assert any(later[0] < earlier[1] for earlier, later in itertools.pairwise(overlapping)), "never parallel"
    assert_study_and_mlflow_agree(tmp_path, "constant")


def test_repeats_train_each_configuration_with_several_seeds(tmp_path):
    done = lrsweep(
        "+sweep=constant",
        "hydra.sweeper.n_trials=2",
        "hydra.sweeper.repeats=2",
        "trainer.epochs=2",
        "hydra/sweeper/pruner=none",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    client = mlflow(tmp_path)
    for trial in study(tmp_path, "constant").trials:
        seeds = trial.user_attrs["objective_values"]
        assert len(seeds) == 2
        assert trial.value == pytest.approx(sum(seeds) / 2)
        assert trial.user_attrs["objective_std"] >= 0
        run_id = trial.user_attrs["mlflow_run_id"]
        (nested,) = client.search_runs(
            [client.get_run(run_id).info.experiment_id], filter_string=f"tags.`mlflow.parentRunId` = '{run_id}'"
        )
        assert nested.data.params["trainer.seed"] == "1"
        assert client.get_run(run_id).data.params["trainer.seed"] == "0"
        finals = [client.get_metric_history(r, "val_accuracy")[-1].value for r in (run_id, nested.info.run_id)]
        assert sorted(finals) == pytest.approx(sorted(seeds))


def test_grid_sampler_runs_each_point_once(tmp_path):
    done = lrsweep(
        "+sweep=constant",
        "hydra/sweeper/sampler=grid",
        "schedule.initial_learning_rate=choice(0.01, 0.02)",
        "hydra.sweeper.n_trials=10",
        "trainer.epochs=1",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    trials = study(tmp_path, "constant").trials  # the baseline 0.001 is not a grid point: not enqueued
    assert sorted(t.params["schedule.initial_learning_rate"] for t in trials) == [0.01, 0.02]


@pytest.fixture(params=["postgresql", "mysql"])
def database_url(request):
    """A new, empty database on this machine's PostgreSQL or MariaDB server, dropped afterwards."""
    with fresh_database(request.param) as (url, _):
        yield url


def test_parallel_sweep_on_a_database_server(tmp_path, database_url):
    url = database_url
    done = lrsweep(
        "+sweep=constant",
        "hydra.sweeper.n_trials=3",
        "hydra.sweeper.n_jobs=2",
        "trainer.epochs=2",
        f"hydra.sweeper.storage={url}",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert not (tmp_path / "lrsweep.db").exists()
    storage = optuna.storages.RDBStorage(url)
    trials = optuna.load_study(study_name="constant", storage=storage).trials
    storage.engine.dispose()
    assert len(trials) == 3 and all(t.state in DONE for t in trials)
    runs = {int(r.data.tags["optuna.trial_number"]): r for r in child_runs(tmp_path, "constant")}
    assert sorted(runs) == [0, 1, 2]
    assert all(runs[t.number].info.run_id == t.user_attrs["mlflow_run_id"] for t in trials)


@pytest.mark.parametrize(
    "launcher",
    [
        ("hydra/launcher=joblib", "hydra.launcher.n_jobs=2"),
        ("hydra/launcher=submitit_local", "hydra.launcher.timeout_min=10"),
    ],
    ids=["joblib", "submitit_local"],
)
def test_trials_through_another_hydra_launcher(tmp_path, launcher):
    done = lrsweep(
        "+sweep=constant",
        "hydra.sweeper.n_trials=4",
        "hydra.sweeper.n_jobs=2",
        "trainer.epochs=2",
        *launcher,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    trials = study(tmp_path, "constant").trials
    assert len(trials) == 4 and all(t.state in DONE for t in trials)
    assert_study_and_mlflow_agree(tmp_path, "constant")
    check = subprocess.run(
        [LRSWEEP, "check", "--study", "constant"], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert check.returncode == 0 and "consistent" in check.stdout, check.stdout + check.stderr


def test_check_finds_every_disagreement_between_the_study_and_mlflow(tmp_path):
    done = lrsweep("+sweep=constant", "hydra.sweeper.n_trials=3", "trainer.epochs=1", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]

    def check() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [LRSWEEP, "check", "--study", "constant"], cwd=tmp_path, capture_output=True, text=True, timeout=300
        )

    clean = check()
    assert clean.returncode == 0 and clean.stdout.strip().endswith("3 MLflow runs: consistent"), clean.stdout
    client, trials = mlflow(tmp_path), study(tmp_path, "constant").trials
    run_ids = [t.user_attrs["mlflow_run_id"] for t in trials]
    client.set_tag(run_ids[0], "optuna.state", "PRUNED")
    client.delete_run(run_ids[1])
    client.log_metric(run_ids[2], "optuna.value", 0.123, step=1)
    tampered = check()
    assert tampered.returncode == 1
    lines = [line.strip() for line in tampered.stdout.strip().splitlines()]
    assert lines[0].endswith("2 MLflow runs: 3 problem(s)")
    assert f"trial 0 (COMPLETE): run {run_ids[0]} is tagged optuna.state=PRUNED" in lines
    assert "trial 1 (COMPLETE): 0 MLflow runs; expected exactly one" in lines
    assert any(line.startswith(f"trial 2 (COMPLETE): run {run_ids[2]} has optuna.value=0.123") for line in lines)
