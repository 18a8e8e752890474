"""OmegaConf nodes as plain Python values, for code that accepts either."""

from __future__ import annotations

from typing import Any

__all__ = ["plain"]


def plain(node: Any) -> Any:
    """A ``DictConfig``/``ListConfig`` as a resolved dict/list (``???`` kept); any other value as it is."""
    try:
        from omegaconf import DictConfig, ListConfig, OmegaConf
    except ImportError:  # pragma: no cover - omegaconf comes with hydra-core
        return node
    if isinstance(node, DictConfig | ListConfig):
        return OmegaConf.to_container(node, resolve=True, throw_on_missing=False)
    return node
