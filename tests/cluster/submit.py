#!/usr/bin/env python3
"""A tiny local 'scheduler' for the cluster-generic test: runs each job script as its own
detached process and prints a job id; the job's exit status lands in <queue>/<id>.exit."""

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

queue = Path(os.environ.get("CNNSTUDY_TEST_QUEUE", ".cluster-queue")).resolve()
queue.mkdir(parents=True, exist_ok=True)
jobscript = sys.argv[-1]
job_id = uuid.uuid4().hex[:12]
shutil.copy(jobscript, queue / f"{job_id}.sh")  # what was submitted, for the test to read
with open(queue / f"{job_id}.log", "w") as log:
    subprocess.Popen(
        ["bash", "-c", 'bash "$1"; echo $? > "$2.tmp" && mv "$2.tmp" "$2"', "job", jobscript,
         str(queue / f"{job_id}.exit")],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
    )
print(job_id)
