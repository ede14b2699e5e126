#!/usr/bin/env bash
# As much of the full study as one short GPU window holds, its results brought back as a bundle.
#   1. plan: benchmarks/study_cost.py --fit on config/full.yaml with the GPU rates recorded in
#      benchmarks/rates/h200-bf16.csv: the claims cheapest first, those whose trainings fit;
#   2. train them (config/full.yaml, run.variants = those, training.device cuda, N jobs per GPU)
#      under a time limit, with the audits and the speed audit;
#   3. pack results/bundle.tar.gz and copy it with the overlay that made it to --out.
# Build the report anywhere from it: `snakemake --cores all --configfile config/full.yaml
# <out>/gpu-study.yaml --config run='{"bundle": "<out>/bundle.tar.gz"}'` (docs/deployment.md, "Build
# the report somewhere else").
# Usage: bash benchmarks/gpu_study.sh [--minutes 7] [--data DIR] [--jobs-per-gpu 4]
#                                     [--shared-gain 1] [--out DIR] [--plan-only]
set -euo pipefail
cd "$(dirname "$0")/.."
python=$(command -v "${PYTHON:-python}")
case "$python" in /*) ;; *) python="$PWD/$python" ;; esac

minutes=7
data=""
jobs_per_gpu=4
shared_gain=1
out=gpu-study
plan_only=false
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    --jobs-per-gpu) jobs_per_gpu=$2; shift 2 ;;
    --shared-gain) shared_gain=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --plan-only) plan_only=true; shift ;;
    *) echo "gpu_study: unknown option $1" >&2; exit 2 ;;
  esac
done

echo "== 1. plan: the claims that fit in $minutes minutes of training on one GPU"
plan=$("$python" benchmarks/study_cost.py --configfile config/full.yaml --rates benchmarks/rates/h200-bf16.csv \
  --jobs-per-gpu "$jobs_per_gpu" --shared-gain "$shared_gain" --fit "$minutes")
echo "$plan"
variants=$(echo "$plan" | awk -F': ' '/^variants:/{print $2}')
if [ -z "$variants" ]; then
  echo "gpu_study: no claim that needs training fits in $minutes minutes at these rates; the audits decide the others"
fi
if $plan_only; then exit 0; fi

if [ -z "$data" ]; then
  for candidate in resources/mnist ../shared/data/mnist shared/data/mnist; do
    if [ -e "$candidate/train-images-idx3-ubyte.gz" ] || [ -e "$candidate/train-images-idx3-ubyte" ]; then
      data=$candidate; break
    fi
  done
fi
[ -n "$data" ] || { echo "gpu_study: no MNIST files found; pass --data DIR" >&2; exit 2; }
data=$(cd "$data" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
cat > "$out/gpu-study.yaml" <<EOF
run: {variants: [${variants}]}
datasets:
  mnist: {source: mnist, path: "$data", download: false}
training: {device: cuda, jobs_per_gpu: $jobs_per_gpu}
EOF
echo "== 2. training ${variants:-nothing} ($jobs_per_gpu jobs per GPU), at most $minutes minutes"
started=$(date +%s)
status=0
timeout $(( minutes * 60 )) "$python" -m snakemake --cores all --resources gpu="$jobs_per_gpu" \
  --configfile config/full.yaml "$out/gpu-study.yaml" >"$out/snakemake.log" 2>&1 || status=$?
echo "   snakemake exit $status after $(( $(date +%s) - started )) s (124: the time limit)"
if [ "$status" -ne 0 ]; then tail -n 20 "$out/snakemake.log"; exit "$status"; fi
echo "== 3. the bundle"
"$python" -m snakemake --cores all results/bundle.tar.gz --configfile config/full.yaml "$out/gpu-study.yaml" \
  >>"$out/snakemake.log" 2>&1
cp results/bundle.tar.gz "$out/bundle.tar.gz"
echo "== gpu_study done: $out/bundle.tar.gz ($(du -h "$out/bundle.tar.gz" | cut -f1)) and $out/gpu-study.yaml"
