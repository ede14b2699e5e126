import numpy as np
import pytest
import torch
from scipy.ndimage import gaussian_filter

from cnnstudy.datasets import load_mnist5k
from cnnstudy.distort import (
    distorted_copies,
    elastic_distort,
    random_fields,
    smooth,
    warp,
)


def mean_displacement(fields: torch.Tensor) -> float:
    """Mean length in pixels of the displacement vectors of a field batch."""
    return float(torch.sqrt((fields**2).sum(dim=1)).mean())


def reference_warp(image: np.ndarray, field: np.ndarray) -> np.ndarray:
    """map_coordinates applied with a given field: checks :func:`warp` against scipy."""
    from scipy.ndimage import map_coordinates

    height, width = image.shape
    rows, cols = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    return map_coordinates(image.astype(np.float64), [rows + field[0], cols + field[1]], order=1, mode="constant")


@pytest.fixture(scope="module")
def digits():
    images, _, _ = load_mnist5k()
    return images[::250]  # 20 real digits, two per class


def test_alpha_zero_gives_the_input_back(digits):
    np.testing.assert_array_equal(elastic_distort(digits, alpha=0, sigma=4, seed=1), digits)


def test_same_seed_same_output_other_seed_other_output(digits):
    first = elastic_distort(digits, 34, 4, seed=7)
    np.testing.assert_array_equal(first, elastic_distort(digits, 34, 4, seed=7))
    assert not np.array_equal(first, elastic_distort(digits, 34, 4, seed=8))


def test_shape_dtype_and_range_kept(digits):
    out = elastic_distort(digits, 34, 4, seed=0)
    assert out.shape == digits.shape and out.dtype == np.uint8
    assert out.max() <= 255 and out.min() >= 0
    assert not np.array_equal(out, digits)


def test_chunking_does_not_change_the_result(digits):
    np.testing.assert_array_equal(elastic_distort(digits, 34, 4, 3, chunk=7), elastic_distort(digits, 34, 4, 3))


def test_each_image_gets_its_own_field():
    generator = torch.Generator().manual_seed(0)
    fields = random_fields(2, 28, 28, 34, 4, generator)
    assert not torch.allclose(fields[0], fields[1])


def test_mean_displacement_grows_with_alpha():
    means = [mean_displacement(random_fields(64, 28, 28, alpha, 4, torch.Generator().manual_seed(0)))
             for alpha in (0, 8, 17, 34, 68)]
    assert means[0] == 0
    assert all(a < b for a, b in zip(means, means[1:]))
    assert means[4] == pytest.approx(2 * means[3], rel=1e-5)  # linear in alpha for a fixed noise


def test_smoothing_equals_scipy_gaussian_filter():
    noise = torch.rand(3, 2, 28, 28, generator=torch.Generator().manual_seed(1)) * 2 - 1
    ours = smooth(noise, 4).numpy()
    for b in range(3):
        for c in range(2):
            expected = gaussian_filter(noise[b, c].double().numpy(), 4, mode="constant")
            np.testing.assert_allclose(ours[b, c], expected, atol=1e-6)


def test_warp_equals_scipy_map_coordinates(digits):
    fields = random_fields(len(digits), 28, 28, 34, 4, torch.Generator().manual_seed(2))
    ours = warp(torch.from_numpy(digits).float(), fields).numpy()
    for image, field, out in zip(digits, fields.double().numpy(), ours):
        np.testing.assert_allclose(out, reference_warp(image, field), atol=2e-3)


def test_copies_differ_and_are_reproducible(digits):
    copies = distorted_copies(digits, 34, 4, copies=3, seed=0)
    assert copies.shape == (3,) + digits.shape
    assert not np.array_equal(copies[0], copies[1])
    np.testing.assert_array_equal(copies, distorted_copies(digits, 34, 4, copies=3, seed=0))
