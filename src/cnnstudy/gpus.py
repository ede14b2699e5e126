"""A device for each GPU job on a multi-GPU host, up to N jobs sharing one.

Snakemake counts GPUs (``resources: gpu=1`` with ``--resources gpu=N``) but does not say which
device a job should use. Each GPU job therefore claims a free slot itself: with ``slots`` jobs
allowed per device (``training.jobs_per_gpu``), it takes an exclusive ``flock`` on
``<lock_dir>/<host>-gpu<id>-slot<k>.lock`` and sets ``CUDA_VISIBLE_DEVICES`` to that id before CUDA
starts. Slots are tried slot by slot across the devices, so jobs spread over the GPUs before any
GPU takes a second. The kernel drops the lock when the process ends, even when it crashes, so a
slot can never stay claimed by a dead job.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import IO

from cnnstudy.errors import CnnstudyError


class GpuError(CnnstudyError, RuntimeError):
    """No GPU to give a GPU job."""

LOCK_DIR = Path(".snakemake") / "gpu-locks"


def visible_gpus(environ: dict[str, str] | None = None) -> list[str]:
    """Device ids this process may use: CUDA_VISIBLE_DEVICES if set, else what nvidia-smi lists."""
    environ = os.environ if environ is None else environ
    if environ.get("CUDA_VISIBLE_DEVICES") is not None:
        return [d.strip() for d in environ["CUDA_VISIBLE_DEVICES"].split(",") if d.strip() and d.strip() != "-1"]
    if shutil.which("nvidia-smi") is None:
        return []
    result = subprocess.run(["nvidia-smi", "--query-gpu=index", "--format=csv,noheader"],
                            capture_output=True, text=True, check=False)
    return [line.strip() for line in result.stdout.splitlines() if line.strip()] if result.returncode == 0 else []


def claim_gpu(gpus: list[str], lock_dir: Path = LOCK_DIR, timeout: float = 600.0,
              poll: float = 0.5, slots: int = 1) -> tuple[str, IO[str]]:
    """Lock a free slot of ``gpus`` (``slots`` per device; the least shared device first); wait
    up to ``timeout`` seconds for one.

    Returns the device id and the open lock file: keep it open for as long as the job runs.
    """
    if not gpus:
        raise GpuError("training.device: a GPU job started (--resources gpu=N), but no GPU is visible "
                       "(CUDA_VISIBLE_DEVICES is unset or empty and nvidia-smi lists none): run it where a GPU is, "
                       "or set training.device: cpu")
    if slots < 1:
        raise GpuError(f"training.jobs_per_gpu: {slots} is below 1")
    lock_dir.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout
    while True:
        for slot in range(slots):
            for gpu in gpus:
                handle = open(lock_dir / f"{socket.gethostname()}-gpu{gpu}-slot{slot}.lock", "a+")
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    handle.close()
                    continue
                handle.seek(0)
                handle.truncate()
                handle.write(f"{os.getpid()}\n")
                handle.flush()
                return gpu, handle
        if time.monotonic() > deadline:
            raise GpuError(f"no free GPU slot among devices {gpus} with {slots} job(s) each after {timeout:.0f}s "
                           f"(locks in {lock_dir}): is --resources gpu larger than the GPUs times "
                           "training.jobs_per_gpu?")
        time.sleep(poll)


def pin_gpu(lock_dir: Path = LOCK_DIR, slots: int = 1) -> tuple[str, IO[str] | None]:
    """Claim a device slot and make that device the only one this process (and torch) sees.

    A job that sees a single device (one GPU, or a scheduler such as SLURM that already gave
    the job its own) takes it without a lock: Snakemake's ``--resources gpu`` then caps the
    jobs on it.
    """
    gpus = visible_gpus()
    if len(gpus) == 1:
        return gpus[0], None
    gpu, handle = claim_gpu(gpus, lock_dir, slots=slots)
    os.environ["CUDA_VISIBLE_DEVICES"] = gpu
    return gpu, handle
