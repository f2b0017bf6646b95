#!/usr/bin/env bash
# The CPU experiment grid on real crops (issue 15): named variants x seeds of the packaged CPU
# recipe (--config market1501_cpu), back to back, resumable.
#
# Every run folder is OUT/<variant>_s<seed>. A finished run (results.json present) is skipped,
# an interrupted one continues from last.pth (--resume auto), so the script can be called again
# and again (BUDGET_S: stop starting new runs after this many seconds). At the end it prints
# mean ± std per variant (scripts/variant_summary.py) and the paired differences by seed against
# BASELINE (scripts/paired_differences.py); with APPEND=1 both go into RESULTS.md.
#
# usage: scripts/cpu_experiments.sh DATA_ROOT OUT [extra --set overrides...]
# env:   VARIANTS="recipe oracle ..."  SEEDS="0 1 2"  BASELINE=recipe  BUDGET_S=86400  APPEND=0  PYTHON=python3
#        THREADS=0 (every core; same-seed runs are bit-identical at any fixed thread count)
set -euo pipefail
data=${1:?DATA_ROOT}; out=${2:?OUT}; shift 2
py=${PYTHON:-python3}
seeds=${SEEDS:-"0 1 2"}
budget=${BUDGET_S:-86400}
baseline=${BASELINE:-recipe}
here=$(cd "$(dirname "$0")/.." && pwd)
export PYTHONPATH="$here/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
mkdir -p "$out"

# shellcheck disable=SC2034
declare -A variant=(
  [recipe]=""
  [oracle]="--set cluster.oracle=true"
  [eps_0.6]="--set cluster.eps=0.6 --set cluster.k1=30"
  [centroid]="--set loss.intra=false --set loss.inter=false"
  [mobilenetv2]="--set model.backbone=mobilenetv2_100"
  [lite0]="--set model.backbone=tf_efficientnet_lite0"
  [last_stride_one]="--set model.last_stride_one=true"
)
names=${VARIANTS:-"recipe oracle"}
start=$(date +%s)
for seed in $seeds; do
  for name in $names; do
    [[ -v "variant[$name]" ]] || { echo "unknown variant $name; known: ${!variant[*]}"; exit 2; }
    dir="$out/${name}_s$seed"
    [[ -f "$dir/results.json" ]] && continue
    if (( $(date +%s) - start > budget )); then echo "budget of $budget s used: call again to continue"; break 2; fi
    echo "=== $name seed $seed ($(( $(date +%s) - start )) s) ==="
    # shellcheck disable=SC2086
    "$py" -m unreid.cli.main train --config market1501_cpu --no-progress --resume auto \
      --set "data.root=$data" --set "output_dir=$dir" --set "train.seed=$seed" --set "train.threads=${THREADS:-0}" \
      ${variant[$name]} "$@" >> "$dir.log" 2>&1 || echo "run $name seed $seed failed: see $dir.log"
    tail -n 2 "$dir.log"
  done
done
note="cpu_experiments.sh, market1501_cpu, seeds $seeds, $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
append=()
[[ "${APPEND:-0}" == 1 ]] && append=(--append "$here/RESULTS.md")
"$py" "$here/scripts/variant_summary.py" "$out" "${append[@]}" --note "$note"
"$py" "$here/scripts/paired_differences.py" "$out" --baseline "$baseline" "${append[@]}"
