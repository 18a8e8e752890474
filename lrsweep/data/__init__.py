"""Datasets: the contract a trial's data fulfils, Fashion-MNIST from IDX files, and the other data options."""

from __future__ import annotations

from lrsweep.data._dataset import Dataset, StreamDataset, TrialData, as_dataset
from lrsweep.data._fashion_mnist import (
    FILES,
    candidate_dirs,
    check_available,
    find_fashion_mnist,
    is_fashion_mnist,
    load_fashion_mnist,
    train_images,
)
from lrsweep.data._idx import idx_shape, read_idx, write_idx
from lrsweep.data._loaders import KERAS_DATASETS, load_arrays, load_image_folder, load_keras_dataset

__all__ = [
    "FILES",
    "KERAS_DATASETS",
    "Dataset",
    "StreamDataset",
    "TrialData",
    "as_dataset",
    "candidate_dirs",
    "check_available",
    "find_fashion_mnist",
    "idx_shape",
    "is_fashion_mnist",
    "load_arrays",
    "load_fashion_mnist",
    "load_image_folder",
    "load_keras_dataset",
    "read_idx",
    "train_images",
    "write_idx",
]
