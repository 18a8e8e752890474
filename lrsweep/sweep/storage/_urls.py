"""Study database URLs and the SQLAlchemy engine settings every connection to them uses.

Both the study storage (:mod:`lrsweep.sweep.storage._study`) and the study lock
(:mod:`lrsweep.sweep.storage._lock`) read these; neither imports the other's module for them.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

__all__ = ["default_storage", "engine_kwargs", "normalize_url"]

# SQLite serialises writers; wait for the lock instead of failing with "database is locked".
_SQLITE_TIMEOUT_S = 120
# A database server that does not answer fails the connection after this long (then the caller may retry).
_CONNECT_TIMEOUT_S = 10
# `postgresql://` and `mysql://` name no driver: SQLAlchemy then wants psycopg2 / mysqlclient; lrsweep ships
# psycopg (3) and PyMySQL, used when the default driver is not installed.
_DRIVERS = {"postgresql": ("psycopg2", "postgresql+psycopg"), "postgres": ("psycopg2", "postgresql+psycopg"),
            "mysql": ("MySQLdb", "mysql+pymysql")}  # fmt: skip


def default_storage() -> str:
    """The embedded default: ``lrsweep.db`` (SQLite) in the working directory."""
    return f"sqlite:///{Path.cwd() / 'lrsweep.db'}"


def normalize_url(url: str) -> str:
    """``url`` with a driver SQLAlchemy can load for a bare ``postgresql://`` or ``mysql://`` scheme."""
    scheme, separator, rest = url.partition("://")
    if separator and scheme in _DRIVERS:
        default_module, installed = _DRIVERS[scheme]
        if importlib.util.find_spec(default_module) is None:
            return f"{installed}://{rest}"
    return url


def engine_kwargs(url: str, *, pooled: bool = True) -> dict[str, Any]:
    """``create_engine`` arguments for ``url``: SQLite waits for its lock, servers time out and are pinged."""
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": _SQLITE_TIMEOUT_S}}
    kwargs: dict[str, Any] = {"connect_args": {"connect_timeout": _CONNECT_TIMEOUT_S}}
    if pooled:
        kwargs["pool_pre_ping"] = True
    return kwargs
