"""Optuna studies on any storage URL, and the trial a job reattaches to."""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import optuna
from optuna import Study
from optuna.pruners import BasePruner
from optuna.samplers import BaseSampler
from optuna.storages import BaseStorage, RDBStorage
from optuna.trial import Trial

from lrsweep._errors import StorageError
from lrsweep._internals import attach_trial
from lrsweep._secrets import mask, reveal
from lrsweep.sweep.storage._lock import StudyLock
from lrsweep.sweep.storage._urls import default_storage, engine_kwargs, normalize_url

__all__ = ["check_storage", "connect_storage", "load_trial", "make_storage", "open_study"]

log = logging.getLogger(__name__)


def connect_storage(
    url: str,
    *,
    heartbeat_interval: int | None = None,
    grace_period: int | None = None,
    stale_trial_callback: Callable[..., None] | None = None,
    field: str = "hydra.sweeper.storage",
) -> RDBStorage:
    """An Optuna RDB storage for ``url`` (real or masked), connected now; a :class:`StorageError` if it cannot be.

    With ``heartbeat_interval``, trials whose heartbeat stops for ``grace_period`` seconds are failed by the next
    worker that looks, and ``stale_trial_callback`` is called for each (Optuna's heartbeat mechanism).
    ``field`` names the setting in error messages.
    """
    real = normalize_url(reveal(url) or url)
    _check_sqlite_folder(real, field)
    with _storage_errors(url, field):
        return _rdb_storage(
            real,
            heartbeat_interval=heartbeat_interval,
            grace_period=grace_period,
            heartbeat_stale_trial_callback=stale_trial_callback,
        )
    raise AssertionError("unreachable")


def check_storage(url: str, field: str = "hydra.sweeper.storage") -> None:
    """What :func:`connect_storage` would refuse, found without writing anything: the URL's form, its driver, a
    SQLite file's folder, and (for a database server) one connection opened and closed. No table, no study."""
    import sqlalchemy

    real = normalize_url(reveal(url) or url)
    _check_sqlite_folder(real, field)
    with _storage_errors(url, field):
        engine = sqlalchemy.create_engine(real, **engine_kwargs(real, pooled=False))
        try:
            if engine.dialect.name != "sqlite":  # a SQLite file is created by a connection: leave it to the study
                engine.connect().close()
        finally:
            engine.dispose()


@contextlib.contextmanager
def _storage_errors(url: str, field: str) -> Iterator[None]:
    """SQLAlchemy's and the drivers' errors about a storage URL as one :class:`StorageError` line."""
    import sqlalchemy.exc

    shown = mask(url)
    try:
        yield
    except sqlalchemy.exc.ArgumentError:
        raise StorageError(
            f"`{field}` must be a database URL such as sqlite:///lrsweep.db, "
            f"postgresql://user:password@host/db or mysql+pymysql://user:password@host/db. Received: {shown}"
        ) from None
    except sqlalchemy.exc.NoSuchModuleError as error:
        raise StorageError(f"no SQLAlchemy dialect for the study storage {shown}: {error}") from None
    except ImportError as error:
        cause = error.__cause__ if isinstance(error.__cause__, ImportError) else error
        missing = f"the Python package '{cause.name}'" if getattr(cause, "name", None) else "a database driver"
        raise StorageError(f"the study storage {shown} needs {missing}, which is not installed") from None
    except sqlalchemy.exc.DBAPIError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig is not None else str(error)
        raise StorageError(f"cannot connect to the study storage {shown}: {mask(reason)}") from None


def _check_sqlite_folder(url: str, field: str) -> None:
    """A SQLite file can be created only in a folder that exists: say which folder, before anything is written."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return  # connect_storage says what a URL looks like
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return
    folder = Path(parsed.database).absolute().parent
    if not folder.is_dir():
        raise StorageError(
            f"`{field}` must be a SQLite file in an existing folder: {folder} does not exist "
            f"(create it, or name another). Received: {mask(url)}"
        )


def _rdb_storage(url: str, **settings: Any) -> RDBStorage:
    """``RDBStorage(url)``; Optuna creates its tables on first use, so workers starting together on an empty
    database take turns (the database's lock), and one that still meets a half-made table tries again."""
    import sqlalchemy.exc

    for attempt in range(3):
        lock = StudyLock(url, "lrsweep:tables")
        try:
            with lock:
                return optuna.storages.RDBStorage(url, engine_kwargs=engine_kwargs(url), **settings)
        except (sqlalchemy.exc.IntegrityError, sqlalchemy.exc.ProgrammingError):
            if attempt == 2:
                raise
        finally:
            lock.close()
    raise AssertionError("unreachable")


def make_storage(url: str | None, field: str = "hydra.sweeper.storage") -> RDBStorage:
    """The storage for a URL (``sqlite:///…``, ``postgresql://…``, ``mysql+pymysql://…``), masked or not.

    One storage object per URL and process, so the trials a sweep runs in its own process share one
    connection pool instead of opening one per trial.
    """
    return _storage(url or default_storage(), field)


@functools.lru_cache(maxsize=8)
def _storage(url: str, field: str) -> RDBStorage:
    return connect_storage(url, field=field)


def open_study(
    name: str,
    storage: str | BaseStorage | None,
    *,
    directions: list[str],
    sampler: BaseSampler | None = None,
    pruner: BasePruner | None = None,
) -> Study:
    """Create the study or load it if it exists (a re-run resumes it). ``storage``: a URL or a storage;
    ``directions``: one per objective."""
    return optuna.create_study(
        study_name=name,
        storage=make_storage(storage) if storage is None or isinstance(storage, str) else storage,
        directions=directions,  # type: ignore[arg-type]
        sampler=sampler,
        pruner=pruner,
        load_if_exists=True,
    )


def load_trial(study_name: str, storage: str | None, trial_number: int, pruner: BasePruner | None = None) -> Trial:
    """The running trial ``trial_number`` of a study, attached through the storage (works in any process)."""
    study = optuna.load_study(study_name=study_name, storage=make_storage(storage), pruner=pruner)
    return attach_trial(study, trial_number)
