#!/usr/bin/env bash
# Generated images on real crops at CPU size (issue 16): train the learned camera-style generator on
# the training images and camera ids of DATA_ROOT (no identity labels), render one other camera per
# training image, then run the CPU grid (scripts/cpu_experiments.sh) with the variants in VARIANTS:
# `camera_entropy` (the 12-epoch recipe, no generated images: the schedule `colour` and `learned` keep), `colour` (the closed-form baseline, fitted in-process) and
# `learned` (the rendered folder). The generator's checkpoints and sample grids go to OUT/generator,
# its log (with its time) to OUT/generator_train.log.
#
# usage: scripts/generator_ablation_cpu.sh DATA_ROOT OUT [extra --set overrides for every step...]
# env:   GEN_STEPS=1500  GEN_HEIGHT=64  GEN_WIDTH=32  RENDER_HEIGHT=128  RENDER_WIDTH=64  VARIANTS="camera_entropy colour learned"  SEEDS="0 1 2"
#        THREADS=2  PYTHON=python3 (the rest as in scripts/cpu_experiments.sh)
set -euo pipefail
data=${1:?DATA_ROOT}; out=${2:?OUT}; shift 2
py=${PYTHON:-python3}
here=$(cd "$(dirname "$0")/.." && pwd)
export PYTHONPATH="$here/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
mkdir -p "$out"
common=(--config market1501_cpu --set "data.root=$data" --set "train.threads=${THREADS:-2}" "$@")
if [[ ! -f "$out/generator/generator.pth" ]]; then
  resume=(); [[ -f "$out/generator/generator_last.pth" ]] && resume=(--resume)
  "$py" -m unreid.cli.main generator train "${common[@]}" --out "$out/generator" --no-progress "${resume[@]}" \
    --set "generator.training.steps=${GEN_STEPS:-1500}" --set "generator.training.height=${GEN_HEIGHT:-64}" \
    --set "generator.training.width=${GEN_WIDTH:-32}" --set generator.training.channels=16 \
    --set generator.training.residual=2 --set generator.training.batch_size=16 --set generator.training.lr=1e-3 \
    --set generator.training.sample_every=500 --set generator.training.checkpoint_every=500 \
    >> "$out/generator_train.log" 2>&1
fi
tail -n 1 "$out/generator_train.log"
if [[ ! -f "$out/rendered_learned/manifest.csv" ]]; then
  # one other camera per training image, as the colour baseline's generator.per_image=1, at the training size
  "$py" -m unreid.cli.main generator render "${common[@]}" --checkpoint "$out/generator/generator.pth" \
    --per-image 1 --height "${RENDER_HEIGHT:-128}" --width "${RENDER_WIDTH:-64}" --out "$out/rendered_learned" --no-progress 2>&1 | tail -n 1
fi
LEARNED_DIR="$out/rendered_learned" VARIANTS=${VARIANTS:-"camera_entropy colour learned"} BASELINE=${BASELINE:-camera_entropy} \
  THREADS=${THREADS:-2} PYTHON="$py" "$here/scripts/cpu_experiments.sh" "$data" "$out/grid" "$@"
