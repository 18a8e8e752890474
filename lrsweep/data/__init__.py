"""Datasets: Fashion-MNIST from local IDX files, and the IDX reader/writer."""

from __future__ import annotations

from lrsweep.data._fashion_mnist import (
    FILES,
    Dataset,
    candidate_dirs,
    check_available,
    find_fashion_mnist,
    load_fashion_mnist,
    train_images,
)
from lrsweep.data._idx import idx_shape, read_idx, write_idx

__all__ = [
    "FILES",
    "Dataset",
    "candidate_dirs",
    "check_available",
    "find_fashion_mnist",
    "idx_shape",
    "load_fashion_mnist",
    "read_idx",
    "train_images",
    "write_idx",
]
