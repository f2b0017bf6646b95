#!/usr/bin/env bash
# The smallest honest CPU version of the market1501-dev experiment (no GPU at hand):
# ImageNet ResNet-50 (Keras weights converted by `unreid weights`), 128x64 input, last stride 2,
# the first 2,000 training images (whole identities), 3 epochs x 20 iterations x 64 images.
# (a) ImageNet, no training; (b) centroid only (Cluster Contrast); (c) full multi-level loss.
# usage: scripts/cpu_market_dev.sh DATA_ROOT WEIGHTS OUT
set -euo pipefail
data=${1:?DATA_ROOT}; weights=${2:?WEIGHTS}; out=${3:?OUT}
py=${PYTHON:-python3}
here=$(cd "$(dirname "$0")/.." && pwd)
export PYTHONPATH="$here/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
mkdir -p "$out"
common=(--config market1501 --no-progress
  --set "data.root=$data" --set "model.pretrained=$weights" --set data.height=128 --set data.width=64
  --set model.last_stride_one=false --set data.max_train_images=2000 --set train.device=cpu --set train.amp=none
  --set train.compile=false --set train.channels_last=false --set train.epochs=3 --set train.iterations=20
  --set train.num_identities=8 --set train.num_instances=8 --set train.eval_every=0 --set model.samples_per_bn=32
  --set eval.batch_size=128)
"$py" -m unreid.cli.main train "${common[@]}" --set "output_dir=$out/imagenet" --set train.epochs=0 --set generator.enabled=false 2>&1 | tee "$out/imagenet.log"
"$py" -m unreid.cli.main train "${common[@]}" --set "output_dir=$out/centroid" --set loss.intra=false --set loss.inter=false 2>&1 | tee "$out/centroid.log"
"$py" -m unreid.cli.main train "${common[@]}" --set "output_dir=$out/full" 2>&1 | tee "$out/full.log"
"$py" "$here/scripts/results_table.py" "$out"/imagenet/results.json "$out"/centroid/results.json "$out"/full/results.json --note "CPU, 2k train images, 3x20 it"
