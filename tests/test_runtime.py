import subprocess
import sys

import pytest
import torch

from cnnstudy.runtime import normalise, set_determinism
from conftest import conv2_layouts, train_settings

# Allocates and frees a 64 MiB tensor (above glibc's largest dynamic mmap threshold, 32 MiB)
# ten times to settle the heap, then ten more, and prints the page faults of those.
FAULTS_OF_REPEATED_ALLOCATION = """
import resource, sys, torch
from cnnstudy.runtime import keep_freed_memory
if sys.argv[1] == "keep":
    assert keep_freed_memory()
def allocate():
    torch.ones(16 * 1024 * 1024)
for _ in range(10):
    allocate()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(10):
    allocate()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def page_faults(mode: str) -> int:
    result = subprocess.run([sys.executable, "-c", FAULTS_OF_REPEATED_ALLOCATION, mode],
                            capture_output=True, text=True, check=True)
    return int(result.stdout.strip())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator setting")
def test_kept_memory_is_reused_without_page_faults():
    default, kept = page_faults("default"), page_faults("keep")
    assert default > 10 * (64 << 20) // 4096 // 2  # every 64 MiB faulted in again
    assert kept < default / 20, (kept, default)


def test_deterministic_mode_does_not_fill_new_tensors():
    try:
        set_determinism(True, torch.device("cpu"))
        assert torch.are_deterministic_algorithms_enabled()
        assert torch.utils.deterministic.fill_uninitialized_memory is False
    finally:
        set_determinism(False, torch.device("cpu"))


def test_normalise_gives_channels_last_floats():
    images = torch.tensor([[[0, 255]]], dtype=torch.uint8)
    x = normalise(images)
    assert x.shape == (1, 1, 1, 2) and x.is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(x.flatten(), torch.tensor([-0.1307 / 0.3081, (1 - 0.1307) / 0.3081]))


def test_auto_precision_is_fp32_where_torch_may_not_use_avx512():
    """ATEN_CPU_CAPABILITY=avx2 plays a laptop CPU: `auto` must pick fp32 there, as on one."""
    import os

    code = "import torch; from cnnstudy.runtime import pick_precision; print(pick_precision('auto', torch.device('cpu')))"
    environment = dict(os.environ, ATEN_CPU_CAPABILITY="avx2", ONEDNN_MAX_CPU_ISA="AVX2")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=environment)
    assert result.stdout.strip() == "fp32"


def test_layout_follows_precision_and_device():
    from cnnstudy.models import build_model
    from cnnstudy.runtime import memory_format
    from cnnstudy.train import fit

    cpu = torch.device("cpu")
    plain = build_model({"family": "ciresan", "conv_depth": 3, "fc_depth": 1})
    separable = build_model({"family": "ciresan", "conv_depth": 3, "fc_depth": 1, "separable": True})
    assert memory_format(cpu, "fp32", plain) == torch.contiguous_format
    assert memory_format(cpu, "fp32", separable) == torch.channels_last  # oneDNN's depth-wise kernels
    assert memory_format(cpu, "bf16", plain) == torch.channels_last
    assert memory_format(torch.device("cuda"), "fp32", plain) == torch.channels_last

    images, labels = torch.zeros(8, 28, 28, dtype=torch.uint8), torch.arange(8, dtype=torch.uint8) % 10
    for precision, separable, channels_last in (("fp32", False, False), ("bf16", False, True), ("fp32", True, True)):
        model = build_model({"family": "ciresan", "conv_depth": 3, "fc_depth": 1, "separable": separable})
        layouts = conv2_layouts(model)
        fit(model, images, labels, images, labels, train_settings(epochs=1, batch_size=8), 0, cpu, precision,
            log=lambda message: None)
        assert layouts and set(layouts) == {channels_last}, (precision, separable)
