"""A lock the workers of one study take in turn, held by the study's own database.

Workers started independently (on one machine or many) each count the study's trials and ask for a new one
only while the count is below ``n_trials``; doing both under this lock makes the budget exact, however many
workers share the study. The lock is the database's: a PostgreSQL session advisory lock, a MySQL/MariaDB
named lock (``GET_LOCK``), or, for SQLite, an ``flock`` on a file beside the database. A worker that dies
while holding it releases it with its connection (or file descriptor).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine, TextClause

__all__ = ["StudyLock"]

log = logging.getLogger("lrsweep.sweep")
_MYSQL_WAIT_S = 600


class StudyLock:
    """``with StudyLock(url, key):`` — one holder at a time among all processes using the database at ``url``."""

    def __init__(self, url: str, key: str) -> None:
        from sqlalchemy.engine import make_url

        self.url = url
        self.key = key
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        self.path = (
            Path(parsed.database)
            if self.dialect == "sqlite" and parsed.database not in (None, "", ":memory:")
            else None
        )
        self._engine: Engine | None = None

    def _connection(self) -> Connection:
        if self._engine is None:
            import sqlalchemy
            from sqlalchemy.pool import NullPool

            from lrsweep.sweep.storage._urls import engine_kwargs

            kwargs = engine_kwargs(self.url, pooled=False)
            self._engine = sqlalchemy.create_engine(self.url, poolclass=NullPool, **kwargs)
        return self._engine.connect()

    def __enter__(self) -> StudyLock:
        self._held = contextlib.ExitStack()
        self._held.enter_context(self._acquire())
        return self

    def __exit__(self, *exc: object) -> None:
        self._held.close()

    def _acquire(self) -> contextlib.AbstractContextManager[None]:
        if self.dialect == "postgresql":
            return self._postgresql()
        if self.dialect in ("mysql", "mariadb"):
            return self._mysql()
        if self.dialect == "sqlite" and self.path is not None:
            return self._file()
        return contextlib.nullcontext()

    @contextlib.contextmanager
    def _postgresql(self) -> Iterator[None]:
        from sqlalchemy import text

        number = int.from_bytes(hashlib.sha1(self.key.encode()).digest()[:8], "big", signed=True)
        connection = self._connection()
        try:
            connection.execute(text("SELECT pg_advisory_lock(:n)"), {"n": number})
            yield
        finally:
            _release(connection, text("SELECT pg_advisory_unlock(:n)"), {"n": number})

    @contextlib.contextmanager
    def _mysql(self) -> Iterator[None]:
        from sqlalchemy import text

        name = "lrsweep:" + hashlib.sha1(self.key.encode()).hexdigest()[:40]
        connection = self._connection()
        try:
            got = connection.execute(text("SELECT GET_LOCK(:name, :wait)"), {"name": name, "wait": _MYSQL_WAIT_S})
            if got.scalar() != 1:
                raise TimeoutError(f"waited {_MYSQL_WAIT_S} s for the study lock {name} in {self.dialect}")
            yield
        finally:
            _release(connection, text("SELECT RELEASE_LOCK(:name)"), {"name": name})

    @contextlib.contextmanager
    def _file(self) -> Iterator[None]:
        assert self.path is not None
        with open(f"{self.path}.lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


def _release(connection: Connection, statement: TextClause, parameters: dict[str, Any]) -> None:
    """Unlock and close; if the connection is gone (a database restart), the server has dropped the lock."""
    try:
        connection.execute(statement, parameters)
        connection.close()
    except Exception as error:  # the session ended, and with it the lock
        log.debug("study lock released with its connection (%s)", error)
        with contextlib.suppress(Exception):
            connection.invalidate()
