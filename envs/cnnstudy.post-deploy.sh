#!/usr/bin/env bash
# Snakemake runs this once in a new conda env (--sdm conda), from a copy under .snakemake/conda, so
# the workflow names its own folder in CNNSTUDY_WORKFLOW (rules/common.smk). The library is
# installed editable: the env then runs the checkout's code, and a job whose env holds other code
# stops with one line (cnnstudy.jobs.check_library).
set -euo pipefail
if [ -z "${CNNSTUDY_WORKFLOW:-}" ] || [ ! -f "$CNNSTUDY_WORKFLOW/pyproject.toml" ]; then
  echo "cnnstudy post-deploy: CNNSTUDY_WORKFLOW='${CNNSTUDY_WORKFLOW:-}' is not the workflow's folder (it holds pyproject.toml)" >&2
  exit 1
fi
python -m pip install --quiet --no-deps --no-build-isolation --editable "$CNNSTUDY_WORKFLOW"
