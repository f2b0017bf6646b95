#!/usr/bin/env bash
# The whole real-data run on one GPU machine without network:
#   (a) ImageNet ResNet-50, no training; (b) centroid level only (Cluster Contrast);
#   (c) the full multi-level loss; (b) and (c) with each seed in SEEDS.
# Installs nothing it cannot find locally; reads data and weights from the given paths;
# writes logs, metrics and results.json per run under OUT; prints a final table and
# appends one line per run to RESULTS.md (date, GPU, config, mAP, R1, wall time).
#
# usage: scripts/gpu_market_dev.sh DATA_ROOT WEIGHTS OUT [extra --set overrides...]
#   DATA_ROOT  Market-1501 layout (e.g. .data/market1501-dev)
#   WEIGHTS    torchvision-style ResNet-50 ImageNet weights (`unreid weights`; fp16 file works too)
#   OUT        output folder
# env: SEEDS="0 1"  EPOCHS=50  PYTHON=python3
set -euo pipefail
data=${1:?DATA_ROOT}; weights=${2:?WEIGHTS}; out=${3:?OUT}; shift 3
py=${PYTHON:-python3}
seeds=${SEEDS:-"0 1"}
epochs=${EPOCHS:-50}
here=$(cd "$(dirname "$0")/.." && pwd)
export PYTHONPATH="$here/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
mkdir -p "$out"
common=(--config market1501 --set "data.root=$data" --set "model.pretrained=$weights" --no-progress "$@")

run() {  # name, extra args...
  local name=$1; shift
  echo "=== $name ==="
  "$py" -m unreid.cli.main train "${common[@]}" --set "output_dir=$out/$name" "$@" 2>&1 | tee "$out/$name.log"
}

run imagenet --set train.epochs=0 --set generator.enabled=false
for seed in $seeds; do
  run "centroid_s$seed" --set "train.seed=$seed" --set "train.epochs=$epochs" --set loss.intra=false --set loss.inter=false
  run "full_s$seed" --set "train.seed=$seed" --set "train.epochs=$epochs"
done
"$py" "$here/scripts/results_table.py" "$out"/*/results.json --append "$here/RESULTS.md"
