import gzip
import struct

import numpy as np
import pytest

from cnnstudy.errors import DataError
from cnnstudy.idx import parse_idx
from conftest import read_idx, write_idx


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.int32, np.float32, np.float64])
def test_round_trip(tmp_path, compress, dtype):
    array = (np.arange(2 * 3 * 4) - 7).reshape(2, 3, 4).astype(dtype)
    if dtype == np.uint8:
        array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    path = tmp_path / "a.idx"
    write_idx(path, array, compress=compress)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == compress
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(back, array)


def test_header_layout_is_mnist_standard(tmp_path):
    labels = np.array([3, 1, 4], dtype=np.uint8)
    write_idx(tmp_path / "l", labels)
    data = (tmp_path / "l").read_bytes()
    assert data[:4] == bytes([0, 0, 0x08, 1])
    assert struct.unpack(">I", data[4:8]) == (3,)
    assert data[8:] == bytes([3, 1, 4])


def test_bad_magic_names_file(tmp_path):
    path = tmp_path / "junk-idx3-ubyte"
    path.write_bytes(b"\x12\x34\x08\x03" + b"\0" * 20)
    with pytest.raises(DataError, match=r"junk-idx3-ubyte: not an idx file"):
        read_idx(path)


def test_truncated_payload(tmp_path):
    path = tmp_path / "images"
    write_idx(path, np.zeros((5, 28, 28), dtype=np.uint8))
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(DataError, match=r"images: truncated: dimensions \[5, 28, 28\] need 3920 bytes, found 3910"):
        read_idx(path)


def test_truncated_header():
    with pytest.raises(DataError, match="truncated header"):
        parse_idx(bytes([0, 0, 8, 3, 0, 0, 0, 5]), "x")


def test_trailing_bytes(tmp_path):
    path = tmp_path / "labels"
    write_idx(path, np.zeros(4, dtype=np.uint8))
    path.write_bytes(path.read_bytes() + b"\0\0")
    with pytest.raises(DataError, match="2 unexpected bytes"):
        read_idx(path)


def test_corrupt_gzip(tmp_path):
    path = tmp_path / "labels.gz"
    path.write_bytes(gzip.compress(b"0123456789" * 100)[:30])
    with pytest.raises(DataError, match=r"labels.gz: corrupt gzip stream"):
        read_idx(path)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        read_idx(tmp_path / "nope")


def test_it_reads_what_torchvision_reads_and_names_the_file_where_torchvision_does_not(tmp_path):
    import torch
    from torchvision.datasets.mnist import read_image_file, read_label_file

    images = np.random.default_rng(0).integers(0, 256, (7, 28, 28), dtype=np.uint8)
    labels = np.arange(7, dtype=np.uint8) % 10
    write_idx(tmp_path / "images", images)
    write_idx(tmp_path / "labels", labels)
    assert torch.equal(torch.from_numpy(read_idx(tmp_path / "images")), read_image_file(str(tmp_path / "images")))
    assert torch.equal(torch.from_numpy(read_idx(tmp_path / "labels")).long(), read_label_file(str(tmp_path / "labels")))
    short = tmp_path / "short"
    short.write_bytes((tmp_path / "images").read_bytes()[:-100])
    with pytest.raises(RuntimeError) as theirs:
        read_image_file(str(short))
    assert str(short) not in str(theirs.value)
    with pytest.raises(DataError, match=rf"^{short}: truncated"):
        read_idx(short)
