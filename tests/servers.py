"""The real servers tests talk to: a fresh database on this machine's PostgreSQL or MariaDB, an MLflow server."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import free_port

BIN = Path(sys.executable).parent
_ADMIN = {"postgresql": "postgresql+psycopg://postgres", "mysql": "mysql+pymysql://root"}
_PORT = {"postgresql": 5432, "mysql": 3306}


def admin(kind: str) -> Any:
    """An autocommit connection to the server's administrative database."""
    if kind == "postgresql":
        import psycopg

        return psycopg.connect(
            "host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True, connect_timeout=5
        )
    import pymysql

    return pymysql.connect(host="127.0.0.1", port=3306, user="root", password="", connect_timeout=5, autocommit=True)


def execute(kind: str, *statements: str) -> None:
    connection = admin(kind)
    try:
        for statement in statements:
            connection.cursor().execute(statement)
    finally:
        connection.close()


@contextlib.contextmanager
def fresh_database(kind: str, password: str | None = None) -> Iterator[tuple[str, str]]:
    """A new, empty database (``kind``: postgresql or mysql): yields (its SQLAlchemy URL, its name); dropped after.

    The servers here trust local connections, so a ``password`` in the URL is accepted whatever it is.
    """
    name = f"lrsweep_test_{os.getpid()}_{time.time_ns() // 1000}"
    try:
        execute(kind, f"CREATE DATABASE {name}")
    except Exception as error:
        pytest.skip(f"no {kind} server on 127.0.0.1 to create a test database in ({error})")
    user = _ADMIN[kind] + (f":{password}" if password else "")
    try:
        yield f"{user}@127.0.0.1:{_PORT[kind]}/{name}", name
    finally:
        import sqlalchemy.orm

        sqlalchemy.orm.close_all_sessions()
        force = " WITH (FORCE)" if kind == "postgresql" else ""
        execute(kind, f"DROP DATABASE IF EXISTS {name}{force}")


def wait_for(condition: Any, timeout: float = 60.0, step: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    return condition()


@contextlib.contextmanager
def mlflow_server(store: str, cwd: Path, workers: int | None = None, command: str = "server") -> Iterator[str]:
    """``mlflow server --backend-store-uri STORE`` (or ``mlflow ui``, as a user starts it) on a free loopback port;
    yields its http:// URI."""
    port, log = free_port(), cwd / f"mlflow-{command}.log"
    command_line = [str(BIN / "mlflow"), command, "--backend-store-uri", store, "--host", "127.0.0.1"]
    with open(log, "w") as output:
        server = subprocess.Popen(
            [*command_line, "--port", str(port), *(["--workers", str(workers)] if workers else [])],
            cwd=cwd,
            stdout=output,
            stderr=subprocess.STDOUT,
        )

    def healthy() -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                return True
        except OSError:
            return False

    try:
        assert wait_for(healthy, timeout=180), f"mlflow server did not start: {log.read_text()[-2000:]}"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)
