#!/usr/bin/env bash
# Loss-level ablation on the built-in synthetic set (the demo's CPU config):
# centroid only (Cluster Contrast), + intra-class, + inter-class, all three. Prints mAP and R1.
# usage: scripts/ablation_synthetic.sh OUT [extra --set overrides...]
set -euo pipefail
out=${1:?OUT}; shift
py=${PYTHON:-python3}
here=$(cd "$(dirname "$0")/.." && pwd)
export PYTHONPATH="$here/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
declare -A levels=(
  [centroid]="--set loss.intra=false --set loss.inter=false"
  [centroid_intra]="--set loss.inter=false"
  [centroid_inter]="--set loss.intra=false"
  [all_three]=""
)
for name in centroid centroid_intra centroid_inter all_three; do
  # shellcheck disable=SC2086
  "$py" -m unreid.cli.main train --config synthetic_cpu --no-progress \
    --set "output_dir=$out/$name" ${levels[$name]} "$@" > "$out.$name.log" 2>&1 || echo "run $name failed: see $out.$name.log"
done
"$py" "$here/scripts/results_table.py" "$out"/centroid/results.json "$out"/centroid_intra/results.json \
  "$out"/centroid_inter/results.json "$out"/all_three/results.json --note "synthetic ablation"
