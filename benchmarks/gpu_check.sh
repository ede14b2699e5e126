#!/usr/bin/env bash
# Is the workflow ready for one GPU, and what would the full study cost there? Under 8 minutes:
#   1. the test suite's CUDA tests (pytest -m cuda);
#   2. a short full-data training of two variants through the workflow (config/full.yaml with
#      training.device: cuda, one seed, --epochs epochs), and their measured throughput;
#   3. with --jobs-per-gpu N (N > 1): N seeds of the first variant at once on the device
#      (training.jobs_per_gpu N, --resources gpu=N), their combined training rate against the
#      one job of step 2: the benchmark ratio of sharing a GPU;
#   4. benchmarks/study_cost.py --device cuda for every variant of config/full.yaml, which
#      prints the projected wall time of the full study on this GPU.
# The MNIST files: --data, else resources/mnist, ../shared/data/mnist or shared/data/mnist.
# Usage: bash benchmarks/gpu_check.sh [--device cuda|cpu] [--data DIR] [--source mnist|idx]
#                                     [--epochs 1] [--train-images N] [--variants "a b"] [--jobs-per-gpu N]
#                                     [--rates CSV]
# --rates CSV: step 4 projects from recorded training rates (benchmarks/rates/) instead of timing
# every variant here, which takes minutes on a CPU.
# --device cpu runs the same steps on the CPU (the test suite does, on a small idx folder).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
python=$(command -v "${PYTHON:-python}")
case "$python" in /*) ;; *) python="$PWD/$python" ;; esac  # the steps below run in other folders

device=cuda
data=""
source=mnist
epochs=1
train_images=null
variants="ciresan-4conv residual"
jobs_per_gpu=1
rates=""
while [ $# -gt 0 ]; do
  case "$1" in
    --device) device=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    --source) source=$2; shift 2 ;;
    --epochs) epochs=$2; shift 2 ;;
    --train-images) train_images=$2; shift 2 ;;
    --variants) variants=$2; shift 2 ;;
    --jobs-per-gpu) jobs_per_gpu=$2; shift 2 ;;
    --rates) rates=$2; shift 2 ;;
    *) echo "gpu_check: unknown option $1" >&2; exit 2 ;;
  esac
done
if [ -z "$data" ]; then
  for candidate in resources/mnist ../shared/data/mnist shared/data/mnist; do
    if [ -e "$candidate/train-images-idx3-ubyte.gz" ] || [ -e "$candidate/train-images-idx3-ubyte" ]; then
      data=$candidate; break
    fi
  done
fi
if [ -z "$data" ]; then
  echo "gpu_check: no MNIST files found (resources/mnist, ../shared/data/mnist, shared/data/mnist); pass --data DIR" >&2
  exit 2
fi
data=$(cd "$data" && pwd)
started=$(date +%s)
echo "== gpu_check on $device: $("$python" -c "import torch; print(torch.cuda.get_device_name(0) if '$device' == 'cuda' else 'CPU ' + torch.backends.cpu.get_cpu_capability())"), data $data"

echo "== 1. the CUDA tests"
"$python" -m pytest -q -m cuda tests

echo "== 2. full-data training of $variants through the workflow ($epochs epoch(s), device $device)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for part in Snakefile rules scripts report envs config src profiles; do cp -r "$repo/$part" "$work/"; done
cat > "$work/config/gpu-check.yaml" <<EOF
run: {datasets: [check], seeds: [0]}
datasets:
  check: {source: $source, path: "$data", download: false}
training: {device: $device, epochs: $epochs, train_images: $train_images, threads: 2}
EOF
targets=""
for variant in $variants; do
  targets="$targets results/check/$variant/seed0/metrics.json"
  echo "variants: {$variant: {training: {epochs: $epochs, train_images: $train_images}}}" > "$work/config/v-$variant.yaml"
done
overlays="config/full.yaml config/gpu-check.yaml $(for v in $variants; do printf 'config/v-%s.yaml ' "$v"; done)"
(cd "$work" && "$python" -m snakemake $targets --cores 4 --resources gpu=1 --configfile $overlays >snakemake.log 2>&1) || {
  tail -n 30 "$work/snakemake.log"; exit 1; }
for variant in $variants; do
  "$python" - "$work/results/check/$variant/seed0" <<'EOF'
import json, sys
from pathlib import Path

import pandas as pd

run = Path(sys.argv[1])
metrics, speed = json.loads((run / "metrics.json").read_text()), json.loads((run / "speed.json").read_text())
seconds = pd.read_csv(run / "history.csv")["seconds"]
digits = metrics["training"]["train_images"]
# the first epoch also pays one-off costs (CUDA start, kernel selection); later ones show the steady rate
later = f" (epochs 2-{len(seconds)}: {digits * (len(seconds) - 1) / seconds.iloc[1:].sum():.0f})" if len(seconds) > 1 else ""
print(f"  {run.parts[-2]:24s} {digits * len(seconds) / seconds.sum():8.0f} training img/s{later}  "
      f"test accuracy {metrics['accuracy']:.4f} after {len(seconds)} epoch(s) on {digits:,} "
      f"digits  ({metrics['device']}, {metrics['precision']})")
EOF
done

first=${variants%% *}
if [ "$jobs_per_gpu" -gt 1 ]; then
  echo "== 3. $jobs_per_gpu jobs of $first sharing the device (training.jobs_per_gpu $jobs_per_gpu)"
  printf 'run: {seeds: [%s]}\ntraining: {jobs_per_gpu: %s}\n' "$(seq -s, 0 $(( jobs_per_gpu - 1 )))" "$jobs_per_gpu" \
    > "$work/config/shared.yaml"
  mv "$work/results/check/$first" "$work/alone"
  shared_targets=$(for s in $(seq 0 $(( jobs_per_gpu - 1 ))); do printf 'results/check/%s/seed%s/model.pt ' "$first" "$s"; done)
  (cd "$work" && "$python" -m snakemake $shared_targets --cores $(( 2 * jobs_per_gpu )) --resources gpu=$jobs_per_gpu \
      --configfile $overlays config/shared.yaml >shared.log 2>&1) || { tail -n 30 "$work/shared.log"; exit 1; }
  "$python" - "$work/alone/seed0/history.csv" "$work/results/check/$first" "$jobs_per_gpu" <<'EOF'
import sys
from pathlib import Path

import pandas as pd


def steady(history: pd.DataFrame) -> float:
    """Mean seconds per epoch, the first epoch's one-off costs left out where there are more."""
    return float((history.iloc[1:] if len(history) > 1 else history)["seconds"].mean())


alone, runs, jobs = steady(pd.read_csv(sys.argv[1])), Path(sys.argv[2]), int(sys.argv[3])
shared = [steady(pd.read_csv(runs / f"seed{seed}" / "history.csv")) for seed in range(jobs)]
print(f"  {jobs} jobs sharing the device: {sum(alone / s for s in shared):.2f}x the training rate of one job "
      f"alone (an epoch: {alone:.1f} s alone, {sum(shared) / jobs:.1f} s per job shared)")
EOF
fi

echo "== 4. the full study's cost on this device"
"$python" benchmarks/study_cost.py --configfile config/full.yaml --device "$device" --jobs-per-gpu "$jobs_per_gpu" \
  ${rates:+--rates "$rates"}
echo "== gpu_check done in $(( $(date +%s) - started )) s"
