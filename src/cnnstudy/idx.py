"""Reader of the IDX format of MNIST-style datasets (gzip or raw).

Kept over torchvision's reader (``torchvision.datasets.mnist.read_image_file``), which agrees
with it on valid files (tested): torchvision's reads uncompressed files by path only, and a
truncated or overlong file fails there with a RuntimeError that names no file. Here every way a
file can be wrong (bad magic, truncated payload, trailing bytes) is one line naming the file.
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

from cnnstudy.errors import DataError

# type code in the magic number -> numpy dtype (big-endian, as the format stores it)
IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
GZIP_MAGIC = b"\x1f\x8b"


def read_bytes(path: Path) -> bytes:
    """The file's content, gunzipped when it is gzip-compressed (detected by its magic)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    if raw[:2] == GZIP_MAGIC:
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError) as error:
            raise DataError(f"{path}: corrupt gzip stream ({error})") from None
    return raw


def parse_idx(data: bytes, name: str = "<bytes>") -> np.ndarray:
    """Parse an idx payload; check magic, dimensions and the exact payload length."""
    if len(data) < 4:
        raise DataError(f"{name}: too short for an idx header ({len(data)} bytes)")
    zero, type_code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or type_code not in IDX_DTYPES or ndim == 0:
        raise DataError(f"{name}: not an idx file (magic {data[:4].hex()})")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{name}: truncated header ({len(data)} bytes, need {header})")
    dims = struct.unpack(f">{ndim}I", data[4:header])
    dtype = IDX_DTYPES[type_code]
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    payload = len(data) - header
    if payload < expected:
        raise DataError(f"{name}: truncated: dimensions {list(dims)} need {expected} bytes, found {payload}")
    if payload > expected:
        raise DataError(f"{name}: {payload - expected} unexpected bytes after dimensions {list(dims)}")
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(dims)
    return array.astype(dtype.newbyteorder("="))
