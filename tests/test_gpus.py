"""Device-id assignment for GPU jobs, tested without a GPU."""

import subprocess
import sys
import time

import pytest
import torch

from cnnstudy.gpus import GpuError, claim_gpu, pin_gpu, visible_gpus
from conftest import train_settings


@pytest.mark.parametrize("value, expected", [("0,2", ["0", "2"]), ("", []), ("-1", []), (" 1 , 3", ["1", "3"])])
def test_visible_gpus_follow_cuda_visible_devices(value, expected):
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": value}) == expected


def test_each_claim_gets_its_own_device(tmp_path):
    first, lock_a = claim_gpu(["0", "1"], tmp_path)
    second, lock_b = claim_gpu(["0", "1"], tmp_path)
    assert {first, second} == {"0", "1"}
    with pytest.raises(GpuError, match="no free GPU slot among"):
        claim_gpu(["0", "1"], tmp_path, timeout=0.2, poll=0.05)
    lock_a.close()
    third, lock_c = claim_gpu(["0", "1"], tmp_path, timeout=1)
    assert third == first
    lock_b.close()
    lock_c.close()


def test_a_waiting_job_gets_the_device_when_it_frees(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; from cnnstudy.gpus import claim_gpu;"
         f" gpu, lock = claim_gpu(['7'], Path(r'{tmp_path}')); print(gpu, flush=True); time.sleep(1.5)"],
        stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "7"
    started = time.monotonic()
    gpu, lock = claim_gpu(["7"], tmp_path, timeout=20, poll=0.05)
    assert gpu == "7" and time.monotonic() - started > 0.3  # had to wait for the holder to exit
    holder.wait()
    lock.close()


def test_parallel_jobs_get_distinct_devices(tmp_path):
    code = ("import time; from pathlib import Path; from cnnstudy.gpus import claim_gpu;"
            f" gpu, lock = claim_gpu(['0', '1', '2'], Path(r'{tmp_path}')); print(gpu, flush=True); time.sleep(1)")
    jobs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) for _ in range(3)]
    assert sorted(job.communicate()[0].strip() for job in jobs) == ["0", "1", "2"]


def test_n_jobs_share_a_device_and_spread_over_devices_first(tmp_path):
    """jobs_per_gpu = 3 on two GPUs: six holders at most, three per device, one each before any second."""
    held = [claim_gpu(["0", "1"], tmp_path, slots=3) for _ in range(6)]
    devices = [gpu for gpu, _ in held]
    assert devices[:2] in (["0", "1"], ["1", "0"])  # the second job takes the idle device, not a second slot
    assert devices.count("0") == devices.count("1") == 3
    with pytest.raises(GpuError, match=r"no free GPU slot among devices \['0', '1'\] with 3 job\(s\) each"):
        claim_gpu(["0", "1"], tmp_path, timeout=0.2, poll=0.05, slots=3)  # a seventh: beyond N on every device
    freed = devices.index("1")
    held[freed][1].close()
    again, lock = claim_gpu(["0", "1"], tmp_path, timeout=1, slots=3)
    assert again == "1"  # the freed slot, on the device that lost a job
    for _, handle in held[:freed] + held[freed + 1:] + [(again, lock)]:
        handle.close()


def test_concurrent_jobs_never_put_more_than_n_on_a_device(tmp_path):
    """Eight processes race for 2 devices x 2 slots: four hold at once (two per device); the rest wait and
    take the slots as they free, never a third job on a device."""
    code = ("import time, sys; from pathlib import Path; from cnnstudy.gpus import claim_gpu;"
            f" gpu, lock = claim_gpu(['0', '1'], Path(r'{tmp_path}'), timeout=30, poll=0.02, slots=2);"
            " print(gpu, time.time(), flush=True); time.sleep(0.6); print(gpu, time.time(), flush=True)")
    jobs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) for _ in range(8)]
    spans = []
    for job in jobs:
        (gpu, start), (_, end) = [line.split() for line in job.communicate()[0].split("\n") if line]
        spans.append((gpu, float(start), float(end)))
    for gpu, start, _ in spans:  # at the moment each job started: how many held its device
        holding = sum(1 for g, s, e in spans if g == gpu and s <= start < e)
        assert holding <= 2
    assert {gpu for gpu, _, _ in spans} == {"0", "1"}


def test_jobs_per_gpu_below_one_is_refused(tmp_path):
    with pytest.raises(GpuError, match="training.jobs_per_gpu: 0 is below 1"):
        claim_gpu(["0"], tmp_path, slots=0)


def test_pin_gpu_narrows_cuda_visible_devices(tmp_path, monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3,5")
    gpu, lock = pin_gpu(tmp_path)
    import os

    assert gpu == "3" and os.environ["CUDA_VISIBLE_DEVICES"] == "3"
    lock.close()


def test_pin_gpu_passes_the_jobs_per_gpu_on(tmp_path, monkeypatch):
    handles = []
    for expected in ("3", "5", "3"):  # two devices, two slots each: spread, then share
        monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3,5")
        gpu, lock = pin_gpu(tmp_path, slots=2)
        assert gpu == expected
        handles.append(lock)
    for handle in handles:
        handle.close()


def test_a_single_visible_device_is_taken_without_a_lock(tmp_path, monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2")  # e.g. what SLURM gives a --gpus=1 job
    assert pin_gpu(tmp_path) == ("2", None)
    assert not list(tmp_path.iterdir())


def test_no_gpu_is_a_clear_error(tmp_path):
    with pytest.raises(GpuError, match="no GPU is visible"):
        claim_gpu([], tmp_path)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device here")
def test_training_on_cuda_records_the_device():
    from cnnstudy.train import fit, seeded_model

    images = torch.randint(0, 255, (64, 28, 28), dtype=torch.uint8)
    labels = (torch.arange(64) % 10).to(torch.uint8)
    model = seeded_model({"family": "ciresan", "conv_depth": 3, "fc_depth": 1}, 0)
    history = fit(model, images, labels, images, labels, train_settings(epochs=1, batch_size=32), 0,
                  torch.device("cuda"), "bf16", log=lambda m: None)
    assert next(model.parameters()).is_cuda and len(history) == 1
