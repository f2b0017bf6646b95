#!/usr/bin/env bash
# Issue 8's protocol at CPU scale on the synthetic set: train and render the learned generator,
# then unreid with no generated images, with the colour baseline and with the learned generator,
# each with every seed in SEEDS and the same schedule (the tiny end-to-end test's config).
# usage: scripts/generator_ablation_synthetic.sh OUT [extra --set overrides...]
# env: SEEDS="0 1 2"  EPOCHS=6  GEN_STEPS=400  PER_IMAGE=0  STRENGTH=0.0  PYTHON=python3
set -euo pipefail
out=${1:?OUT}; shift
py=${PYTHON:-python3}
here=$(cd "$(dirname "$0")/.." && pwd)
export PYTHONPATH="$here/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
mkdir -p "$out"
data=(--set data.dataset=synthetic --set "data.root=$out/synthetic" --set data.synthetic_identities=40
      --set "data.synthetic_camera_strength=${STRENGTH:-0.0}" --set data.height=64 --set data.width=32
      --set train.device=cpu --set train.threads=1)
"$py" -m unreid.cli.main generator train "${data[@]}" --out "$out/generator" --no-progress \
  --set "generator.training.steps=${GEN_STEPS:-400}" --set generator.training.height=64 --set generator.training.width=32 \
  --set generator.training.channels=16 --set generator.training.residual=2 --set generator.training.batch_size=16 \
  --set generator.training.lr=1e-3 --set generator.training.sample_every=200 \
  > "$out/generator_train.log" 2>&1
tail -1 "$out/generator_train.log"
"$py" -m unreid.cli.main generator render "${data[@]}" --checkpoint "$out/generator/generator.pth" \
  --per-image "${PER_IMAGE:-0}" --out "$out/rendered_learned" --no-progress 2>&1 | tail -1
"$py" -m unreid.cli.main generator render "${data[@]}" --kind color --height 64 --width 32 \
  --per-image "${PER_IMAGE:-0}" --out "$out/rendered_color" --no-progress 2>&1 | tail -1
tiny=(--set model.backbone=resnet10t --set model.samples_per_bn=16 --set cluster.k1=10 --set cluster.k2=3
      --set cluster.min_samples=2 --set cluster.eps=0.45 --set "train.epochs=${EPOCHS:-6}" --set train.iterations=10
      --set train.num_identities=4 --set train.num_instances=8 --set train.amp=none --set train.channels_last=false
      --set train.eval_every=0 --set train.lr_step=10 --set eval.batch_size=64 --set eval.grid_queries=3)
for seed in ${SEEDS:-0 1 2}; do
  for variant in none color learned; do
    case $variant in
      none) extra=(--set generator.kind=none) ;;
      *) extra=(--generated "$out/rendered_$variant") ;;
    esac
    "$py" -m unreid.cli.main train "${data[@]}" "${tiny[@]}" --set "train.seed=$seed" \
      --set "output_dir=$out/${variant}_s$seed" "${extra[@]}" "$@" --no-progress > "$out/${variant}_s$seed.log" 2>&1 \
      || echo "run ${variant}_s$seed failed: see $out/${variant}_s$seed.log"
    grep -o '"mAP": [0-9.]*' "$out/${variant}_s$seed/results.json" | tail -1 | sed "s/^/${variant}_s$seed after: /"
  done
done
"$py" -m unreid.cli.main report table "$out"/*_s*/results.json --note "generator ablation (synthetic, CPU)"
