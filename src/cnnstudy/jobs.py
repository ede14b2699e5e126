"""What every workflow script shares: a log file, thread count and allocator, one-line errors.

Scripts stay thin: ``with job(snakemake.log[0], snakemake.threads) as log:`` then one call.
"""

from __future__ import annotations

import contextlib
import sys
import time
from pathlib import Path
from typing import Callable, Iterator, TextIO

from cnnstudy.errors import CnnstudyError

Log = Callable[[str], None]


@contextlib.contextmanager
def job(log_path: str | Path, threads: int | None = None, gpu: bool = False) -> Iterator[Log]:
    """Open the job's log; turn project errors into one line on stderr and exit status 1.

    ``gpu``: claim one free GPU for this job (see cnnstudy.gpus) before torch starts CUDA.
    """
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w", buffering=1) as stream, contextlib.ExitStack() as held:
        log = logger(stream)
        if gpu:
            from cnnstudy.gpus import pin_gpu

            device, lock = pin_gpu()
            if lock is not None:
                held.callback(lock.close)
            log(f"using GPU {device} (CUDA_VISIBLE_DEVICES={device})")
        if threads is not None:
            import torch

            from cnnstudy.runtime import keep_freed_memory

            torch.set_num_threads(threads)
            kept = keep_freed_memory()
            log(f"torch {torch.__version__}, {threads} thread(s)"
                f"{', freed memory kept for reuse' if kept else ''}")
        try:
            yield log
        except CnnstudyError as error:
            log(f"error: {error}")
            print(f"cnnstudy: {error}", file=sys.stderr)
            sys.exit(1)


class LineStream:
    """A file for tqdm that turns its carriage-return redraws into log lines."""

    def __init__(self, stream: TextIO):
        self.stream = stream

    def write(self, text: str) -> None:
        text = text.replace("\r", "\n").strip("\n")
        if text:
            self.stream.write(text + "\n")

    def flush(self) -> None:
        self.stream.flush()


def logger(stream: TextIO) -> Log:
    start = time.perf_counter()

    def log(message: str) -> None:
        stream.write(f"[{time.perf_counter() - start:8.1f}s] {message}\n")

    log.stream = LineStream(stream)  # type: ignore[attr-defined]  # progress bars (tqdm) write here
    return log
