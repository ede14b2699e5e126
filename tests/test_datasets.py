import functools
import gzip
import hashlib
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from cnnstudy import datasets
from cnnstudy.datasets import (
    load_idx_folder,
    load_split,
    prepare,
    save_split,
    stratified_head,
    stratified_split,
)
from cnnstudy.errors import ConfigError, DataError
from conftest import synthetic_digits, write_idx, write_idx_folder


def md5_table(folder):
    """MD5 of each .gz archive, as a download mirror publishes them."""
    return {p.name: hashlib.md5(p.read_bytes()).hexdigest() for p in folder.glob("*.gz")}


def content_md5_table(folder):
    """MD5 of each file's uncompressed content, keyed by the bare idx name."""
    return {p.name.removesuffix(".gz"): hashlib.md5(gzip.decompress(p.read_bytes())).hexdigest()
            for p in folder.glob("*.gz")}


def test_stratified_head_keeps_shares_and_order():
    labels = np.array([0] * 60 + [1] * 30 + [2] * 10)
    keep = stratified_head(labels, 10)
    assert np.bincount(labels[keep]).tolist() == [6, 3, 1]
    assert keep.tolist() == [0, 1, 2, 3, 4, 5, 60, 61, 62, 90]


def test_stratified_head_total_is_exact_with_remainders():
    labels = np.arange(1000) % 7
    for n in (1, 13, 99, 500):
        keep = stratified_head(labels, n)
        assert len(keep) == n
        counts = np.bincount(labels[keep], minlength=7)
        assert counts.max() - counts.min() <= 1


def test_split_is_deterministic_stratified_and_disjoint():
    labels = np.repeat(np.arange(10), 500)
    train, test = stratified_split(labels, 1000, seed=3)
    again_train, again_test = stratified_split(labels, 1000, seed=3)
    other_train, _ = stratified_split(labels, 1000, seed=4)
    assert np.array_equal(train, again_train) and np.array_equal(test, again_test)
    assert not np.array_equal(train, other_train)
    assert len(test) == 1000 and len(train) == 4000
    assert len(np.intersect1d(train, test)) == 0
    assert np.bincount(labels[test]).tolist() == [100] * 10


def test_split_rejects_impossible_size():
    with pytest.raises(ConfigError, match="test_size"):
        stratified_split(np.arange(10) % 2, 10, 0)


def test_mnist5k_trains_on_the_embedded_sample_and_tests_on_mnists_test_set():
    splits = prepare("mnist5k", {"source": "mnist5k", "validation_fraction": 0.68, "split_seed": 0})
    train, validation, test = (splits[name] for name in ("train", "validation", "test"))
    assert len(train[1]) == 1600 and len(validation[1]) == 3400  # all 5,000 of the sample
    assert train[2]["counts_per_class"] == {str(c): 160 for c in range(10)}
    assert test[0].shape == (10_000, 28, 28) and test[0].dtype == np.uint8
    # MNIST's published test set, class counts and all
    assert list(test[2]["counts_per_class"].values()) == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert test[2]["files"] == {"t10k-images-idx3-ubyte.gz": datasets.MNIST_CONTENT_MD5["t10k-images-idx3-ubyte"],
                                "t10k-labels-idx1-ubyte.gz": datasets.MNIST_CONTENT_MD5["t10k-labels-idx1-ubyte"]}
    sample = {bytes(image) for name in ("train", "validation") for image in splits[name][0]}
    assert len(sample) > 4990 and not sample & {bytes(image) for image in test[0]}  # no digit in both


def test_shipped_test_set_refuses_a_changed_digit(tmp_path):
    for path in datasets.SHIPPED_TEST.glob("t10k-*.gz"):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    images = tmp_path / "t10k-images-idx3-ubyte.gz"
    content = bytearray(gzip.decompress(images.read_bytes()))
    content[16 + 28 * 14 + 14] ^= 0xFF  # one pixel of the first digit
    images.write_bytes(gzip.compress(bytes(content)))
    with pytest.raises(DataError, match=r"t10k-images-idx3-ubyte.gz: content MD5 \w+ is not the published 2646ac"):
        datasets.load_shipped_test(tmp_path)


def test_mnist5k_carved_keeps_its_test_split_inside_the_sample():
    spec = {"source": "mnist5k", "test_split": "carved", "test_size": 1000, "split_seed": 0, "cap": {"train": 200}}
    splits = prepare("mnist5k", spec)
    images, labels, provenance = splits["test"]
    assert images.shape == (1000, 28, 28) and images.dtype == np.uint8
    assert provenance["counts_per_class"] == {str(c): 100 for c in range(10)}
    assert splits["train"][0].shape == (200, 28, 28)
    assert splits["train"][2]["counts_per_class"] == {str(c): 20 for c in range(10)}
    assert splits["validation"][2]["counts_per_class"] == {str(c): 40 for c in range(10)}  # 10% of 4,000
    assert list(provenance["files"]) == ["mnist_5k.csv.gz"]
    assert images.max() > 200  # real digits, not an empty array


def test_validation_is_carved_from_training_digits_only(tmp_path):
    folder = write_idx_folder(tmp_path / "idx", train=200, test=50)
    spec = {"source": "idx", "path": str(folder), "validation_fraction": 0.25, "split_seed": 3}
    splits = prepare("x", spec)
    train, validation, test = (splits[name][0] for name in ("train", "validation", "test"))
    assert len(validation) == 50 and len(train) == 150 and len(test) == 50
    assert np.bincount(splits["validation"][1]).tolist() == [5] * 10
    all_train, _ = synthetic_digits(200, 1)
    all_test, _ = synthetic_digits(50, 2)
    np.testing.assert_array_equal(test, all_test)
    rows = {bytes(image) for image in all_train}
    assert {bytes(image) for image in validation} <= rows and {bytes(image) for image in train} <= rows
    assert not {bytes(image) for image in validation} & {bytes(image) for image in train}
    np.testing.assert_array_equal(prepare("x", spec)["validation"][0], validation)  # deterministic
    with pytest.raises(DataError, match="validation_fraction 0.001 of 200 training digits"):
        prepare("x", {**spec, "validation_fraction": 0.001})


def test_idx_folder_gzip_and_raw(tmp_path):
    for compress in (True, False):
        folder = write_idx_folder(tmp_path / str(compress), train=30, test=10, compress=compress)
        splits = prepare("x", {"source": "idx", "path": str(folder), "cap": {"test": 5}})
        expected, _ = synthetic_digits(30, 1)
        together = np.concatenate([splits["train"][0], splits["validation"][0]])
        assert sorted(map(bytes, together)) == sorted(map(bytes, expected))
        assert len(splits["test"][1]) == 5
        assert splits["train"][2]["count"] == 27 and splits["validation"][2]["count"] == 3


def test_torchvision_layout_is_found(tmp_path):
    write_idx_folder(tmp_path / "MNIST" / "raw")
    splits = load_idx_folder(tmp_path)
    assert len(splits["train"][1]) == 60


def test_count_mismatch_names_both_files(idx_folder):
    write_idx(idx_folder / "t10k-labels-idx1-ubyte.gz", np.zeros(19, dtype=np.uint8), compress=True)
    with pytest.raises(DataError, match=r"t10k-images-idx3-ubyte.gz: 20 images but .*t10k-labels-idx1-ubyte.gz has 19"):
        load_idx_folder(idx_folder)


def test_images_that_are_not_28x28_are_refused_at_preparation(idx_folder):
    write_idx(idx_folder / "train-images-idx3-ubyte.gz", np.zeros((60, 32, 32), dtype=np.uint8), compress=True)
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte.gz: images are 32x32 pixels; the study's nets "
                                        r"take 28x28 digits"):
        load_idx_folder(idx_folder)


def test_labels_outside_range(idx_folder):
    labels = np.zeros(60, dtype=np.uint8)
    labels[7] = 12
    write_idx(idx_folder / "train-labels-idx1-ubyte.gz", labels, compress=True)
    with pytest.raises(DataError, match=r"train-labels-idx1-ubyte.gz: label 12 at index 7 is outside 0-9"):
        load_idx_folder(idx_folder)


def test_truncated_file_in_folder(idx_folder):
    path = idx_folder / "train-images-idx3-ubyte.gz"
    raw = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(raw[:-100]))
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte.gz: truncated"):
        load_idx_folder(idx_folder)


def test_missing_files_listed(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match=r"missing train-images-idx3-ubyte\[.gz\]"):
        load_idx_folder(tmp_path / "empty")


def test_content_md5_checked(idx_folder):
    md5s = content_md5_table(idx_folder)
    assert load_idx_folder(idx_folder, content_md5s=md5s)["test"][2]["files"]
    md5s["t10k-labels-idx1-ubyte"] = "0" * 32
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte.gz: content MD5 [0-9a-f]{32} is not the published 0{32}"):
        load_idx_folder(idx_folder, content_md5s=md5s)


def test_published_content_is_checked_whatever_the_packing(tmp_path):
    """A recompressed archive or extracted raw files are the same data; one changed digit is not."""
    folder = write_idx_folder(tmp_path / "gz")
    md5s = content_md5_table(folder)
    recompressed = tmp_path / "recompressed"
    recompressed.mkdir()
    for path in folder.glob("*.gz"):
        (recompressed / path.name).write_bytes(gzip.compress(gzip.decompress(path.read_bytes()), compresslevel=1))
    assert md5_table(recompressed) != md5_table(folder)
    raw = tmp_path / "MNIST-raw"
    (raw / "MNIST" / "raw").mkdir(parents=True)  # torchvision's layout, extracted
    for path in folder.glob("*.gz"):
        (raw / "MNIST" / "raw" / path.name.removesuffix(".gz")).write_bytes(gzip.decompress(path.read_bytes()))
    expected, _ = synthetic_digits(60, 1)
    for packed in (folder, recompressed, raw):
        splits = prepare("mnist", {"source": "mnist", "path": str(packed), "download": False}, md5s=md5s)
        together = np.concatenate([splits["train"][0], splits["validation"][0]])
        assert sorted(map(bytes, together)) == sorted(map(bytes, expected))
    changed = raw / "MNIST" / "raw" / "train-images-idx3-ubyte"
    content = bytearray(changed.read_bytes())
    content[16 + 5 * 784 + 300] ^= 0xFF  # one pixel of digit 5
    changed.write_bytes(bytes(content))
    with pytest.raises(DataError) as error:
        prepare("mnist", {"source": "mnist", "path": str(raw), "download": False}, md5s=md5s)
    message = str(error.value)
    assert "\n" not in message and "train-images-idx3-ubyte: content MD5" in message and "changed or damaged" in message


def test_published_md5s_are_torchvisions():
    from torchvision.datasets import MNIST

    assert dict(MNIST.resources) == datasets.MNIST_MD5


@pytest.fixture
def local_mirror(tmp_path):
    """A loopback HTTP server holding four synthetic MNIST files (no network needed)."""
    mirror = write_idx_folder(tmp_path / "mirror")
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(mirror))
    handler.log_message = lambda *args: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield mirror, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def test_mnist_download_through_torchvision(tmp_path, monkeypatch, local_mirror):
    """The real torchvision download code, served by a local mirror."""
    from torchvision.datasets import MNIST

    mirror, url = local_mirror
    md5s = md5_table(mirror)
    monkeypatch.setattr(MNIST, "mirrors", [url])
    monkeypatch.setattr(MNIST, "resources", [(name, md5s[name]) for name in datasets.MNIST_MD5])
    target = tmp_path / "mnist"
    splits = prepare("mnist", {"source": "mnist", "path": str(target), "download": True},
                     md5s=content_md5_table(mirror))
    assert (target / "MNIST" / "raw" / "train-images-idx3-ubyte.gz").exists()
    assert splits["train"][0].shape == (54, 28, 28) and splits["validation"][0].shape == (6, 28, 28)
    assert splits["test"][2]["files"]["t10k-images-idx3-ubyte.gz"] == content_md5_table(mirror)["t10k-images-idx3-ubyte"]


def test_mnist_offline_without_files_says_how_to_provide_them(tmp_path, monkeypatch):
    from torchvision.datasets import MNIST

    monkeypatch.setattr(MNIST, "mirrors", ["http://127.0.0.1:9/"])  # the discard port: refused
    with pytest.raises(DataError) as error:
        prepare("mnist", {"source": "mnist", "path": str(tmp_path / "mnist"), "download": True})
    message = str(error.value)
    assert "\n" not in message
    assert "download failed" in message and "train-images-idx3-ubyte.gz" in message and "put" in message


def test_mnist_without_download_says_which_files_are_missing(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match=r"missing train-images-idx3-ubyte\[.gz\]"):
        prepare("mnist", {"source": "mnist", "path": str(tmp_path / "empty"), "download": False})


def test_save_and_load_split_keep_provenance(tmp_path):
    images, labels = synthetic_digits(12)
    save_split(tmp_path / "s.npz", images, labels, {"source": "idx", "count": 12})
    back_images, back_labels, provenance = load_split(tmp_path / "s.npz")
    np.testing.assert_array_equal(back_images, images)
    np.testing.assert_array_equal(back_labels, labels)
    assert provenance == {"source": "idx", "count": 12}
    assert not list(tmp_path.glob("*.part*"))


def test_load_split_rejects_other_files(tmp_path):
    np.savez(tmp_path / "x.npz", a=np.zeros(2))
    with pytest.raises(DataError, match="x.npz: no array .images., .labels., .provenance. \\(holds a\\)"):
        load_split(tmp_path / "x.npz")



def test_split_sizes_are_what_prepare_makes(tmp_path):
    folder = write_idx_folder(tmp_path / "idx", train=200, test=50)
    specs = [
        {"source": "mnist5k", "validation_fraction": 0.68, "split_seed": 0},
        {"source": "mnist5k", "test_split": "carved", "test_size": 1000, "validation_fraction": 0.6, "split_seed": 0},
        {"source": "mnist5k", "cap": {"train": 200, "validation": 100, "test": 100}},
    ]
    for spec in specs:
        splits = prepare("x", spec)
        assert datasets.split_sizes(spec) == tuple(len(splits[name][1]) for name in ("train", "validation", "test"))
    assert datasets.split_sizes({"source": "idx", "path": str(folder)}) == (54_000, 6_000, 10_000)  # MNIST's size
