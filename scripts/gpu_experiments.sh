#!/usr/bin/env bash
# Issue 7's experiment grid on one GPU: named variants x seeds, back to back, resumable.
#
# Every run folder is OUT/<variant>_s<seed>. A finished run (results.json present) is
# skipped, an interrupted one continues (--resume auto: from last.pth, or afresh
# when none was written), so the script can be called again
# and again under a per-command time limit (BUDGET_S: stop starting new runs after this
# many seconds). At the end it prints mean ± std per variant (`unreid report summary`)
# and, with APPEND=1, appends that table to RESULTS.md.
#
# usage: scripts/gpu_experiments.sh DATA_ROOT WEIGHTS OUT [extra --set overrides...]
# env:   VARIANTS="centroid full ..."  SEEDS="0 1 2"  EPOCHS=10  BUDGET_S=540  APPEND=0  PYTHON=python3
#
# On the lent H100 (no network, no ../shared), stage data and weights first, e.g.
#   run 1: cp -r ../shared/data/market1501-dev .stage/ (carry .stage) ; cp -r .stage/market1501-dev /opt/data/
#   run 2: cp resnet50.fp16.pth .stage/ (carry .stage) ; cp .stage/*.pth /opt/data/
#   run 3+: bash scripts/gpu_experiments.sh /opt/data/market1501-dev /opt/data/resnet50.fp16.pth /opt/out
set -euo pipefail
data=${1:?DATA_ROOT}; weights=${2:?WEIGHTS}; out=${3:?OUT}; shift 3
py=${PYTHON:-python3}
seeds=${SEEDS:-"0 1 2"}
epochs=${EPOCHS:-10}
budget=${BUDGET_S:-540}
here=$(cd "$(dirname "$0")/.." && pwd)
export PYTHONPATH="$here/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
export TORCHINDUCTOR_CACHE_DIR=${TORCHINDUCTOR_CACHE_DIR:-$out/.inductor-cache}  # compile once per machine
mkdir -p "$out"

source "$here/scripts/variants.sh"  # declares the named variants
names=${VARIANTS:-"centroid full full_centroid_modes full_batch camera_centering camera_aware"}
run_one() {  # NAME SEED DIR
  # shellcheck disable=SC2086
  "$py" -m unreid.cli.main train --config market1501 --no-progress --resume auto \
    --set "data.root=$data" --set "model.pretrained=$weights" --set "output_dir=$3" \
    --set "train.seed=$2" --set "train.epochs=$epochs" --set train.eval_every=1 \
    ${variant[$1]} "${extra[@]}" >> "$3.log" 2>&1
}
extra=("$@")
source "$here/scripts/grid_loop.sh"
grid_loop "$out" "$budget" "$seeds" "$names"
"$py" -m unreid.cli.main report summary "$out" $( [[ "${APPEND:-0}" == 1 ]] && echo --append "$here/RESULTS.md") --note "gpu_experiments.sh, $epochs epochs, seeds $seeds, $(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)"
