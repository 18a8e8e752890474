from __future__ import annotations

import gzip

import numpy as np
import pytest

from lrsweep import LRSweepError
from lrsweep.data import read_idx, write_idx


@pytest.mark.parametrize("name", ["images-idx3-ubyte.gz", "images-idx3-ubyte"])
def test_round_trip(tmp_path, name):
    array = np.random.default_rng(0).integers(0, 256, size=(5, 28, 28)).astype(np.uint8)
    np.testing.assert_array_equal(read_idx(write_idx(tmp_path / name, array)), array)


def test_header_is_the_idx_format(tmp_path):
    path = write_idx(tmp_path / "labels-idx1-ubyte.gz", np.array([3, 1, 4], dtype=np.uint8))
    raw = gzip.decompress(path.read_bytes())
    assert raw == bytes([0, 0, 8, 1, 0, 0, 0, 3, 3, 1, 4])


def test_truncated_file_is_detected(tmp_path):
    path = write_idx(tmp_path / "x.gz", np.zeros((4, 28, 28), dtype=np.uint8))
    raw = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(raw[:-100]))
    with pytest.raises(LRSweepError, match="truncated or corrupted"):
        read_idx(path)


def test_foreign_file_is_detected(tmp_path):
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(b"<html>not a dataset</html>"))
    with pytest.raises(LRSweepError, match="bad magic number"):
        read_idx(path)
    path.write_bytes(b"not even gzip")
    with pytest.raises(LRSweepError, match="not a readable IDX file"):
        read_idx(path)
