#!/usr/bin/env bash
# Issue 7's variants on the built-in synthetic set, on a CPU, several seeds, JOBS runs at a
# time (one thread each): the tiny end-to-end configuration (40 identities, resnet10t from
# scratch, 64x32). Prints mean ± std per variant (`unreid report summary`).
#
# usage: scripts/ablation_synthetic.sh OUT [extra --set overrides...]
# env:   VARIANTS="centroid full ..." (names from scripts/variants.sh)  SEEDS="0 1 2 3 4"
#        EPOCHS=8  ITERATIONS=10  JOBS=2  APPEND=0 (1: append the table to RESULTS.md)  PYTHON=python3
set -euo pipefail
out=${1:?OUT}; shift
py=${PYTHON:-python3}
here=$(cd "$(dirname "$0")/.." && pwd)
export PYTHONPATH="$here/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
source "$here/scripts/variants.sh"
mkdir -p "$out"
tiny=(--set data.dataset=synthetic --set "data.root=$out/synthetic" --set data.synthetic_identities=40
      --set data.height=64 --set data.width=32 --set model.backbone=resnet10t --set model.samples_per_bn=16
      --set cluster.k1=10 --set cluster.k2=3 --set cluster.min_samples=2 --set cluster.eps=0.45
      --set "train.epochs=${EPOCHS:-8}" --set "train.iterations=${ITERATIONS:-10}" --set train.num_identities=4
      --set train.num_instances=8 --set train.device=cpu --set train.threads=1 --set train.amp=none
      --set train.channels_last=false --set train.eval_every=0 --set train.lr_step=10 --set eval.batch_size=64
      --set eval.grid_queries=3)
# build the data set once, before runs start in parallel
"$py" -c "from pathlib import Path; from unreid.data.synthetic import SyntheticConfig, make_synthetic_pedestrians as make; make(root=Path('$out/synthetic'), config=SyntheticConfig(num_identities=40))"
names=${VARIANTS:-"centroid full full_centroid_modes full_batch camera_centering"}
jobs=()
for seed in ${SEEDS:-0 1 2 3 4}; do
  for name in $names; do
    [[ -v "variant[$name]" ]] || { echo "unknown variant $name; known: ${!variant[*]}"; exit 2; }
    dir="$out/${name}_s$seed"
    [[ -f "$dir/results.json" ]] && continue
    # shellcheck disable=SC2086
    "$py" -m unreid.cli.main train --no-progress --resume auto "${tiny[@]}" --set "output_dir=$dir" \
      --set "train.seed=$seed" ${variant[$name]} "$@" > "$dir.log" 2>&1 &
    jobs+=($!)
    if (( ${#jobs[@]} >= ${JOBS:-2} )); then wait "${jobs[0]}" || true; jobs=("${jobs[@]:1}"); fi
  done
done
wait || true
"$py" -m unreid.cli.main report summary "$out" $( [[ "${APPEND:-0}" == 1 ]] && echo --append "$here/RESULTS.md") \
  --note "scripts/ablation_synthetic.sh (synthetic, 40 ids, resnet10t 64x32 from scratch, ${EPOCHS:-8} x ${ITERATIONS:-10} iterations, CPU)"
