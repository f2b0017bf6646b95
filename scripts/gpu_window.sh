#!/usr/bin/env bash
# One GPU window (issue 16): 15 minutes of device time in all, the machine's start, the transfers and
# torch.compile included. It runs the default method and the paper's method (the default until the CPU lane chose
# the camera-entropy weight and no generated images) on market1501-dev
# with ResNet-50, one after the other (two trainings at once on one GPU each ran at half speed on the
# H100, ../shared/measurements/h100-market-dev), and writes RESULTS.md rows into OUT.
#
# A call carries at most 64 MiB, so the window takes two calls, chained at once (an idle machine goes
# back after 30 s):
#   here:    scripts/gpu_window.sh stage ../shared/data/market1501-dev
#            -> .stage/data (30 MB) and .stage/weights (the float16 ResNet-50, 51.5 MB); both ignored by git
#   call 1:  scripts/gpu_window.sh unpack .stage/data /opt/data                      (carry .stage/data)
#   call 2:  scripts/gpu_window.sh unpack .stage/weights /opt/data &&
#            scripts/gpu_window.sh run /opt/data/market1501-dev /opt/data/resnet50.pth "$OUT"   (carry .stage/weights)
#   here:    cat FILES_AT/RESULTS.md >> RESULTS.md
#
# `run` trains VARIANTS (names of scripts/variants.sh) for EPOCHS epochs each, under a deadline of
# DEADLINE_S seconds for all of them: a run that would start with less than MIN_RUN_S left is skipped,
# one still going at the deadline is stopped, and it is reported at its last evaluated epoch. Run folders
# go to WORK (outside OUT: model files are large); OUT receives the logs, metrics, curves and the rows.
#
# env: VARIANTS="default paper"  EPOCHS=10  DEADLINE_S=500  MIN_RUN_S=120  SEED=0  CONFIG=market1501
#      WORK=/tmp/gpu_window  PYTHON=python3;  extra arguments of `run` are --set overrides for every run
#      (the CPU test of this script passes a tiny synthetic setting).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
py=${PYTHON:-python3}
export PYTHONPATH="$here/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1

stage() {  # DATA_ROOT
  local data=${1:?DATA_ROOT}
  mkdir -p "$here/.stage/data" "$here/.stage/weights"
  cp -r "$data" "$here/.stage/data/"
  "$py" -m unreid.cli.main weights --fp16 --out "$here/.stage/weights/resnet50.pth"
  du -sh --apparent-size "$here/.stage/data" "$here/.stage/weights"  # each call carries at most 64 MiB
}

unpack() {  # SRC DEST
  mkdir -p "${2:?DEST}"
  cp -r "${1:?SRC}"/. "$2"/
  ls "$2"
}

run() {  # DATA WEIGHTS OUT [--set overrides...]
  local data=${1:?DATA} weights=${2:?WEIGHTS} out=${3:?OUT}; shift 3
  local work=${WORK:-/tmp/gpu_window} deadline=${DEADLINE_S:-500} min_run=${MIN_RUN_S:-120} start left name dir
  start=$(date +%s)
  mkdir -p "$out" "$work"
  export TORCHINDUCTOR_CACHE_DIR=${TORCHINDUCTOR_CACHE_DIR:-$work/.inductor-cache}  # the second run compiles warm
  # shellcheck source=scripts/variants.sh
  source "$here/scripts/variants.sh"
  for name in ${VARIANTS:-default paper}; do
    [[ -v "variant[$name]" ]] || { echo "unknown variant $name; known: ${!variant[*]}"; exit 2; }
    left=$(( deadline - ($(date +%s) - start) ))
    if (( left < min_run )); then echo "skipping $name: $left s left of $deadline"; continue; fi
    dir="$work/${name}_s${SEED:-0}"
    echo "=== $name ($left s left) ==="
    # shellcheck disable=SC2086
    timeout --signal=TERM --kill-after=20 "$left" "$py" -m unreid.cli.main train --config "${CONFIG:-market1501}" \
      --no-progress --resume auto --set "data.root=$data" --set "model.pretrained=$weights" --set "output_dir=$dir" \
      --set "train.seed=${SEED:-0}" --set "train.epochs=${EPOCHS:-10}" ${variant[$name]} "$@" > "$dir.log" 2>&1 \
      || echo "$name stopped (exit $?): reported at its last evaluated epoch"
    tail -n 2 "$dir.log"
    mkdir -p "$out/$name"
    cp "$dir.log" "$out/$name/train.log"
    find "$dir" -maxdepth 1 -type f \( -name '*.jsonl' -o -name '*.json' -o -name '*.png' -o -name '*.yaml' \) \
      -exec cp {} "$out/$name/" \;
  done
  "$py" -m unreid.cli.main report summary "$work" --partial --append "$out/RESULTS.md" \
    --note "scripts/gpu_window.sh, ${EPOCHS:-10} epochs, seed ${SEED:-0}, $(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1 || true)"
  echo "window used $(( $(date +%s) - start )) s of $deadline"
}

command=${1:?"usage: scripts/gpu_window.sh stage|unpack|run ..."}; shift
case "$command" in
  stage|unpack|run) "$command" "$@" ;;
  *) echo "unknown command $command: stage, unpack or run"; exit 2 ;;
esac
