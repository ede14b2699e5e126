"""What every workflow script shares: a log file, thread count and allocator, one-line errors.

Scripts stay thin: ``with job(snakemake.log[0], snakemake.params.code, snakemake.threads) as log:``
then one call.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn, TextIO

from cnnstudy.errors import CnnstudyError, EnvironmentMismatch

Log = Callable[[str], None]


@contextlib.contextmanager
def job(log_path: str | Path, code: str | None, threads: int | None = None, gpu: bool = False,
        granted: int | None = None, jobs_per_gpu: int = 1) -> Iterator[Log]:
    """Open the job's log; turn project and OS errors into one line on stderr and exit status 1.

    ``code``: the rule's hash of the library behind this script (``params.code``), checked against
    the library this process imports (None: no check, for code run outside the workflow).
    ``threads``: torch's thread count, the declared one (it changes results); ``granted``: the
    cores Snakemake gave the job, logged when fewer. ``gpu``: claim a free GPU slot for this job
    (``jobs_per_gpu`` slots per device; see cnnstudy.gpus) before torch starts CUDA.
    """
    try:
        Path(log_path).parent.mkdir(parents=True, exist_ok=True)
        stream = open(log_path, "w", buffering=1)
    except OSError as error:
        fail(None, error)
    with stream, contextlib.ExitStack() as held:
        log = logger(stream)
        try:
            if code is not None:
                check_library(code, Path(sys.argv[0]))
            if gpu:
                from cnnstudy.gpus import pin_gpu

                device, lock = pin_gpu(slots=jobs_per_gpu)
                if lock is not None:
                    held.callback(lock.close)
                log(f"using GPU {device} (CUDA_VISIBLE_DEVICES={device})")
            if threads is not None:
                start_torch(threads, granted, log)
            yield log
        except (CnnstudyError, OSError) as error:
            fail(log, error)


def check_library(code: str, script: Path) -> None:
    """The library a job imports comes from its environment (a venv, a conda env, a cluster
    node's): a stale or foreign copy there would run other code than the rule was planned with
    (``code`` is hashed from the workflow's own src/), silently."""
    from cnnstudy.codehash import PACKAGE_DIR, code_hash

    if code_hash(script) != code:
        raise EnvironmentMismatch(library_differs(PACKAGE_DIR, script))


# Run by the jobs' Python: the hash of each script's library code as that Python imports it.
_ENVIRONMENT_CODES = """
import json, sys
from pathlib import Path
try:
    from cnnstudy.codehash import PACKAGE_DIR, code_hash
except ModuleNotFoundError as error:
    if error.name != "cnnstudy":
        raise
    print(json.dumps({"missing": True}))
    raise SystemExit
print(json.dumps({"package": str(PACKAGE_DIR), "codes": {s: code_hash(Path(s)) for s in sys.argv[1:]}}))
"""


def check_environment(python: str, codes: dict[Path, str], workflow: Path) -> None:
    """Before any job: the jobs' Python (``python``) imports a library whose code behind each
    script is the workflow's own (``codes``: script -> the rule's hash of it). The workflow parses
    with its own src/, so this asks that Python in a process of its own."""
    import subprocess

    result = subprocess.run([python, "-c", _ENVIRONMENT_CODES, *map(str, codes)], capture_output=True, text=True)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no message"])[-1]
        raise EnvironmentMismatch(f"this Python ({python}) cannot import the cnnstudy library the jobs need: {last}")
    found = json.loads(result.stdout)
    if found.get("missing"):
        raise EnvironmentMismatch(f"the cnnstudy library is not installed in this Python ({python}): run "
                                  f"`pip install -e {workflow}` (README, Quick start)")
    for script, code in codes.items():
        if found["codes"].get(str(script)) != code:
            raise EnvironmentMismatch(library_differs(found["package"], script))


def library_differs(package: Path | str, script: Path) -> str:
    return (f"this Python imports the cnnstudy library from {package}, whose code behind {script.name} differs "
            f"from the workflow's src/: install the workflow's own in this environment (pip install -e <workflow "
            f"folder>; with --sdm conda, delete the env under .snakemake/conda to rebuild it)")


def start_torch(threads: int, granted: int | None, log: Log) -> None:
    import torch

    from cnnstudy.runtime import keep_freed_memory

    torch.set_num_threads(threads)
    kept = keep_freed_memory()
    log(f"torch {torch.__version__}, {threads} thread(s), CPU capability {torch.backends.cpu.get_cpu_capability()}"
        f"{', freed memory kept for reuse' if kept else ''}")
    if granted is not None and granted < threads:
        log(f"Snakemake granted {granted} core(s); running the declared {threads} threads, which define the result")


def one_line(error: BaseException) -> str:
    """``<path>: <what>`` for an OS error (the path it names, the system's words), else the message."""
    if isinstance(error, OSError) and error.strerror:
        where = error.filename if error.filename is not None else "(no file named)"
        return f"{where}: {error.strerror[0].lower()}{error.strerror[1:]}"
    return str(error)


def fail(log: Log | None, error: BaseException) -> NoReturn:
    message = one_line(error)
    if log is not None:
        log(f"error: {message}")
    print(f"cnnstudy: {message}", file=sys.stderr)
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
