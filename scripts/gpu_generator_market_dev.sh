#!/usr/bin/env bash
# Issue 8's GPU protocol on market1501-dev (one GPU, no network):
#   1. `unreid generator train` (128x64, timed) and `unreid generator render` (timed, images/s);
#   2. unreid without generated images, with the colour baseline and with the learned
#      generator, each with every seed in SEEDS and the same schedule;
#   3. a final table (`unreid report table`) appended to RESULTS.md.
# The learned generator must beat "none" by more than twice the seed-to-seed spread.
#
# usage: scripts/gpu_generator_market_dev.sh DATA_ROOT WEIGHTS OUT [extra --set overrides...]
# env: SEEDS="0 1 2"  EPOCHS=50  GEN_STEPS=20000  PER_IMAGE=0 (0 = every other camera)  PYTHON=python3
set -euo pipefail
data=${1:?DATA_ROOT}; weights=${2:?WEIGHTS}; out=${3:?OUT}; shift 3
py=${PYTHON:-python3}
seeds=${SEEDS:-"0 1 2"}
epochs=${EPOCHS:-50}
here=$(cd "$(dirname "$0")/.." && pwd)
export PYTHONPATH="$here/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
mkdir -p "$out"
data_args=(--config market1501 --set "data.root=$data")

/usr/bin/time -v "$py" -m unreid.cli.main generator train "${data_args[@]}" --out "$out/generator" \
  --set "generator.training.steps=${GEN_STEPS:-20000}" --no-progress 2>&1 | tee "$out/generator_train.log"
for kind in learned color; do
  "$py" -m unreid.cli.main generator render "${data_args[@]}" --kind "$kind" --checkpoint "$out/generator/generator.pth" \
    --per-image "${PER_IMAGE:-0}" --out "$out/rendered_$kind" --no-progress 2>&1 | tee "$out/render_$kind.log"
done

common=("${data_args[@]}" --set "model.pretrained=$weights" --set "train.epochs=$epochs" --no-progress "$@")
for seed in $seeds; do
  for variant in none color learned; do
    case $variant in
      none) extra=(--set generator.kind=none) ;;
      *) extra=(--generated "$out/rendered_$variant") ;;
    esac
    echo "=== ${variant}_s$seed ==="
    "$py" -m unreid.cli.main train "${common[@]}" --set "train.seed=$seed" --set "output_dir=$out/${variant}_s$seed" \
      "${extra[@]}" 2>&1 | tee "$out/${variant}_s$seed.log"
  done
done
"$py" -m unreid.cli.main report table "$out"/*/results.json --append "$here/RESULTS.md"
