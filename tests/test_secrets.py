"""Passwords in storage and tracking URLs: masked everywhere lrsweep writes, yet every connection still works."""

from __future__ import annotations

import os
import subprocess

import pytest
from omegaconf import OmegaConf

from lrsweep import _secrets
from lrsweep._secrets import mask, mask_config, reveal
from tests.commands import LRSWEEP
from tests.servers import fresh_database

PASSWORD = "Tr0ub4dor-and-3"


@pytest.fixture(autouse=True)
def _no_known_secrets(monkeypatch):
    monkeypatch.delenv(_secrets.ENV, raising=False)


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql://user:pw@db:5432/optuna", "postgresql://user:***@db:5432/optuna"),
        ("mysql+pymysql://root:p@ss@db/optuna", "mysql+pymysql://root:***@db/optuna"),
        ("hydra.sweeper.storage='postgresql://u:pw@h/d'", "hydra.sweeper.storage='postgresql://u:***@h/d'"),
        ("http://host:5000/path@x", "http://host:5000/path@x"),  # a port, not a password
        ("sqlite:////tmp/lrsweep.db", "sqlite:////tmp/lrsweep.db"),
        ("postgresql://user@db/optuna", "postgresql://user@db/optuna"),
    ],
)
def test_mask(url, masked):
    assert mask(url) == masked


def test_reveal_gives_back_only_what_this_process_was_told(monkeypatch):
    assert reveal("postgresql://u:***@h/d") == "postgresql://u:***@h/d"
    _secrets.remember("postgresql://u:pw@h/d")
    assert reveal("postgresql://u:***@h/d") == "postgresql://u:pw@h/d"
    assert reveal("postgresql://v:***@h/d") == "postgresql://v:***@h/d"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "https://me:token@mlflow.example")
    assert reveal("https://me:***@mlflow.example") == "https://me:token@mlflow.example"
    assert reveal(None) is None


def test_mask_config_masks_values_and_recorded_overrides_but_not_interpolations():
    config = OmegaConf.create(
        {
            "tracking": {"tracking_uri": "postgresql://u:pw@h/mlflow"},
            "secret_from_env": "${oc.env:SOME_URI,x}",
            "hydra": {"overrides": {"task": ["tracking.tracking_uri=postgresql://u:pw@h/mlflow", "a=1"]}},
        }
    )
    OmegaConf.set_readonly(config, True)
    mask_config(config)
    assert config.tracking.tracking_uri == "postgresql://u:***@h/mlflow"
    assert list(config.hydra.overrides.task) == ["tracking.tracking_uri=postgresql://u:***@h/mlflow", "a=1"]
    assert OmegaConf.to_container(config)["secret_from_env"] == "${oc.env:SOME_URI,x}"
    assert reveal("postgresql://u:***@h/mlflow") == "postgresql://u:pw@h/mlflow"


def _database_text(url: str) -> str:
    """Every row of every table of a PostgreSQL database, as text."""
    import psycopg

    name = url.rsplit("/", 1)[1]

    with psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={name}", autocommit=True) as connection:
        tables = [t for (t,) in connection.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        return "\n".join(str(row) for t in tables for row in connection.execute(f'SELECT * FROM "{t}"'))


@pytest.mark.slow
def test_a_password_leaves_no_trace(tmp_path):
    with (
        fresh_database("postgresql", password=PASSWORD) as (storage, _),
        fresh_database("postgresql", password=PASSWORD) as (tracking, _),
    ):
        assert PASSWORD in storage and PASSWORD in tracking
        outputs = []

        def lrsweep(*args: str, env: dict[str, str] | None = None) -> None:
            done = subprocess.run(
                [LRSWEEP, *args],
                cwd=tmp_path,
                capture_output=True,
                text=True,
                env={**os.environ, **(env or {})},
                timeout=600,
            )
            assert done.returncode == 0, done.stderr[-3000:]
            outputs.append(done.stdout + done.stderr)

        lrsweep(
            "-m",
            "+sweep=constant",
            "hydra.sweeper.n_trials=2",
            "trainer.epochs=1",
            f"hydra.sweeper.storage={storage}",
            f"tracking.tracking_uri={tracking}",
        )
        # Resumed with the storage from the environment, as docs/scaling-out.md recommends (Hydra resolves it).
        lrsweep(
            "-m",
            "+sweep=constant",
            "hydra.sweeper.n_trials=3",
            "trainer.epochs=1",
            "hydra.sweeper.storage=${oc.env:LRSWEEP_TEST_DB}",
            f"tracking.tracking_uri={tracking}",
            env={"LRSWEEP_TEST_DB": storage},
        )
        lrsweep("schedule=constant", "trainer.epochs=1", f"tracking.tracking_uri={tracking}")  # a single run
        # The results commands find MLflow through the study; $MLFLOW_TRACKING_URI holds the password for them.
        env = {"MLFLOW_TRACKING_URI": tracking}
        lrsweep("export", "--study", "constant", "--storage", storage, "--out", "export", env=env)
        lrsweep("report", "--study", "constant", "--storage", storage, "--out", "report", env=env)
        lrsweep("check", "--study", "constant", "--storage", storage, env=env)
        assert "3 trials (3 COMPLETE or PRUNED)" in outputs[-1] and "consistent" in outputs[-1]
        assert "***" in outputs[0]  # the sweep's summary names the storage, masked

        assert not any(PASSWORD in output for output in outputs)
        files = [p for p in tmp_path.rglob("*") if p.is_file()]
        assert any(p.parts[-2:] == (".hydra", "overrides.yaml") for p in files)
        assert any(p.name == "config.yaml" for p in files) and (tmp_path / "export" / "schedule.json").exists()
        leaked = [str(p) for p in files if PASSWORD.encode() in p.read_bytes()]
        assert leaked == []
        assert "lrsweep.role" in _database_text(tracking)  # the MLflow store has the runs ...
        assert PASSWORD not in _database_text(tracking)  # ... and no password
        assert PASSWORD not in _database_text(storage)
