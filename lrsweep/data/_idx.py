"""Read and write the IDX format of (Fashion-)MNIST, gzip-compressed or not."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

from lrsweep._errors import DataFileError

__all__ = ["idx_shape", "read_idx", "write_idx"]

_UBYTE = 0x08


def _open(path: Path, mode: str):  # type: ignore[no-untyped-def]
    return gzip.open(path, mode) if path.suffix == ".gz" else open(path, mode)


def read_idx(path: str | Path) -> np.ndarray:
    """The uint8 array stored in an IDX file; a truncated or foreign file raises a clear error."""
    path = Path(path)
    try:
        with _open(path, "rb") as handle:
            raw = handle.read()
    except EOFError as error:  # a gzip stream cut short: an interrupted download or copy
        raise DataFileError(f"{path}: truncated or corrupted ({error})") from None
    except OSError as error:
        raise DataFileError(f"{path}: not a readable IDX file ({error})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != _UBYTE:
        raise DataFileError(f"{path}: not an IDX file of unsigned bytes (bad magic number {raw[:4].hex()})")
    ndim = raw[3]
    header = 4 + 4 * ndim
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    expected = header + int(np.prod(shape))
    if len(raw) != expected:
        raise DataFileError(f"{path}: truncated or corrupted ({len(raw)} bytes, the header promises {expected})")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def idx_shape(path: str | Path) -> tuple[int, ...]:
    """The array shape an IDX file's header announces, reading the header only."""
    path = Path(path)
    with _open(path, "rb") as handle:
        head = handle.read(4)
        if len(head) < 4 or head[:3] != bytes([0, 0, _UBYTE]):
            raise DataFileError(f"{path}: not an IDX file of unsigned bytes (bad magic number {head.hex()})")
        return struct.unpack(f">{head[3]}I", handle.read(4 * head[3]))


def write_idx(path: str | Path, array: np.ndarray) -> Path:
    """Write a uint8 array as an IDX file (gzip-compressed when the name ends in ``.gz``)."""
    path = Path(path)
    data = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, _UBYTE, data.ndim]) + struct.pack(f">{data.ndim}I", *data.shape)
    with _open(path, "wb") as handle:
        handle.write(header + data.tobytes())
    return path
