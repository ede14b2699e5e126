#!/usr/bin/env python3
"""Job status for the cluster-generic test: running, success or failed (from <queue>/<id>.exit)."""

import os
import sys
from pathlib import Path

queue = Path(os.environ.get("CNNSTUDY_TEST_QUEUE", ".cluster-queue")).resolve()
exit_file = queue / f"{sys.argv[1]}.exit"
if not exit_file.exists():
    print("running")
else:
    print("success" if exit_file.read_text().strip() == "0" else "failed")
