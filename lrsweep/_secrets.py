"""Passwords in storage and tracking URLs: masked wherever lrsweep writes or prints a URL.

A URL such as ``postgresql://user:pw@db/optuna`` typed on the command line is masked (``user:***@db``) in the
config Hydra saves and hands to the jobs; the real URL travels to the processes that need it in the environment
(``LRSWEEP_SECRET_URLS``, inherited by the workers a sweep starts), and :func:`reveal` turns the masked form back
into it where a connection is made. ``$MLFLOW_TRACKING_URI`` counts as known too.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, ListConfig, OmegaConf, open_dict, read_write

from lrsweep._internals import node_of

__all__ = ["MaskSecrets", "mask", "remember", "reveal"]

MASK = "***"
ENV = "LRSWEEP_SECRET_URLS"
# scheme://user:password@host/... — the password runs from the ':' after the user to the last '@' before the path.
_URL_WITH_PASSWORD = re.compile(
    r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^:/@\s'\"]*:)(?P<password>[^\s/'\"]*)(?P<tail>@[^\s'\"]*)"
)


def mask(text: str) -> str:
    """``text`` with the password of every URL in it replaced by ``***``."""

    def _masked(match: re.Match[str]) -> str:
        return match["head"] + MASK + match["tail"]

    return _URL_WITH_PASSWORD.sub(_masked, text)


def has_password(text: str) -> bool:
    match = _URL_WITH_PASSWORD.search(text)
    return match is not None and match["password"] != MASK


def _known() -> list[str]:
    known = json.loads(os.environ.get(ENV, "[]"))
    if os.environ.get("MLFLOW_TRACKING_URI"):
        known.append(os.environ["MLFLOW_TRACKING_URI"])
    return known


def remember(url: str) -> None:
    """Keep ``url`` in this process's environment (and so in every process it starts) for :func:`reveal`."""
    known = json.loads(os.environ.get(ENV, "[]"))
    if url not in known:
        os.environ[ENV] = json.dumps([*known, url])


def reveal(url: str | None) -> str | None:
    """The real URL behind a masked one, when this process knows it; any other value unchanged."""
    if url is None or MASK not in url:
        return url
    for candidate in _known():
        if candidate != url and mask(candidate) == url:
            return candidate
    return url


def _mask_node(node: Any) -> None:
    """Mask, in place, every literal string value of a config that holds a URL with a password."""
    keys: list[Any] = list(node.keys()) if isinstance(node, DictConfig) else list(range(len(node)))
    for key in keys:
        child = node_of(node, key)
        if isinstance(child, DictConfig | ListConfig):
            _mask_node(child)
        elif not OmegaConf.is_interpolation(node, key) and not OmegaConf.is_missing(node, key):
            value = node[key]
            if isinstance(value, str) and has_password(value):
                remember_all(value)
                node[key] = mask(value)


def remember_all(text: str) -> None:
    """:func:`remember` each URL with a password in ``text`` (e.g. the value part of an override)."""
    for match in _URL_WITH_PASSWORD.finditer(text):
        remember(match.group(0))


def mask_config(config: DictConfig) -> None:
    """Mask passwords in a composed config (values and the recorded overrides), in place."""
    with read_write(config), open_dict(config):
        _mask_node(config)


class MaskSecrets(Callback):
    """A Hydra callback (``hydra.callbacks.mask_secrets``): masks URL passwords before anything is saved.

    Hydra writes ``.hydra/config.yaml``, ``hydra.yaml`` and ``overrides.yaml`` from the config it composed; this
    runs first, on a single run and on a multirun (before the sweeper is made, so the jobs inherit the mask).
    """

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        mask_config(config)

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        mask_config(config)
